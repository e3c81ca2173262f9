import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_the_migrations_hold_every_model_change():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


class TestTheDatabaseRefuses:
    """What the services never write, refused by the database itself, should a writer ever
    get past them (a data migration, a hand-written UPDATE)."""

    @pytest.mark.parametrize("price", ["0", "-1", "1000000.01"])
    def test_a_price_out_of_range(self, price):
        with pytest.raises(IntegrityError, match="ticket_price_range"):
            TicketFactory(price=Decimal(price))

    def test_a_reserved_ticket_no_order_holds(self):
        with pytest.raises(IntegrityError, match="ticket_order_held_unless_available"):
            TicketFactory(status=Ticket.Status.RESERVED)

    def test_an_available_ticket_an_order_holds(self):
        with pytest.raises(IntegrityError, match="ticket_order_held_unless_available"):
            TicketFactory(order_id=uuid.uuid4())

    def test_an_unknown_status(self):
        with pytest.raises(IntegrityError, match="ticket_status_known"):
            TicketFactory(status="lost", order_id=uuid.uuid4())
