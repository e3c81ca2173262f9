import pytest
from django.core.management import call_command
from django.db import IntegrityError

from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_the_migrations_hold_every_model_change():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.parametrize("holding", ["created", "awaiting:payment", "complete"])
def test_the_database_refuses_a_second_order_holding_a_ticket(holding):
    first = OrderFactory(status="complete")

    with pytest.raises(IntegrityError, match="order_one_holding_per_ticket"):
        OrderFactory(ticket=first.ticket, status=holding)


def test_cancelled_orders_hold_nothing():
    first = OrderFactory(status="cancelled")

    OrderFactory(ticket=first.ticket, status="cancelled")
    OrderFactory(ticket=first.ticket)
