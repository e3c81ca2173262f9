import uuid
from decimal import Decimal

import factory

from tickets.models import OrderCopy, Ticket
from tickets.search import search_key


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket as a row, with no event: for reads and for the state a test starts from.
    Tests of writes create tickets through `tickets.services` instead."""

    class Meta:
        model = Ticket

    title = factory.Sequence(lambda n: f"Concert {n}")
    title_search = factory.LazyAttribute(lambda ticket: search_key(ticket.title))
    price = Decimal("20.00")
    user_id = factory.LazyFunction(uuid.uuid4)

    class Params:
        reserved = factory.Trait(
            status=Ticket.Status.RESERVED, order_id=factory.LazyFunction(uuid.uuid4)
        )
        sold = factory.Trait(status=Ticket.Status.SOLD, order_id=factory.LazyFunction(uuid.uuid4))


class OrderCopyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderCopy

    id = factory.LazyFunction(uuid.uuid4)
    ticket_id = factory.LazyFunction(uuid.uuid4)
    version = 0
    status = OrderCopy.Status.CREATED
