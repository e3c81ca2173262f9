import uuid
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from orders.models import Order, TicketCopy


class TicketCopyFactory(factory.django.DjangoModelFactory):
    """A ticket as tickets' events leave it here."""

    class Meta:
        model = TicketCopy

    id = factory.LazyFunction(uuid.uuid4)
    title = factory.Sequence(lambda n: f"Concert {n}")
    price = Decimal("20.00")
    user_id = factory.LazyFunction(uuid.uuid4)
    version = 0


class OrderFactory(factory.django.DjangoModelFactory):
    """An order as a row, with no event: for reads and for the state a test starts from.
    Tests of writes create orders through `orders.services` instead."""

    class Meta:
        model = Order

    user_id = factory.LazyFunction(uuid.uuid4)
    ticket = factory.SubFactory(TicketCopyFactory)
    ticket_title = factory.SelfAttribute("ticket.title")
    ticket_price = factory.SelfAttribute("ticket.price")
    ticket_version = factory.SelfAttribute("ticket.version")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=15))
