"""Tickets' and payments' events as the bus delivers them, in this process: the shared delivery
(its inbox, its retries) around orders' handlers."""

import uuid

import pytest

from orders import handlers
from orders.models import TicketCopy
from orders.tests.factories import OrderFactory
from ticketing_shared.testing.events import RetryRequested, event_deliver_here

pytestmark = pytest.mark.django_db

HANDLER_OF = {
    "ticket:created": handlers.ticket_created,
    "ticket:updated": handlers.ticket_updated,
    "payment:created": handlers.payment_created,
}


def deliver(subject: str, producer: str, data: dict) -> str:
    return event_deliver_here(subject, data, handler=HANDLER_OF[subject], producer=producer)


def ticket_data(ticket_id, version, **changes) -> dict:
    return {
        "id": str(ticket_id),
        "version": version,
        "title": "Concert",
        "price": "20.00",
        "userId": str(uuid.UUID(int=7)),
        **changes,
    }


def test_ticket_created_then_updated_keep_the_copy():
    ticket_id = uuid.uuid4()

    deliver("ticket:created", "tickets", ticket_data(ticket_id, 0))
    deliver("ticket:updated", "tickets", ticket_data(ticket_id, 1, title="New", orderId=None))

    copy = TicketCopy.objects.get()
    assert (copy.title, copy.version, copy.user_id) == ("New", 1, uuid.UUID(int=7))


def test_an_update_ahead_of_its_predecessor_is_retried():
    ticket_id = uuid.uuid4()
    deliver("ticket:created", "tickets", ticket_data(ticket_id, 0))

    with pytest.raises(RetryRequested):
        deliver("ticket:updated", "tickets", ticket_data(ticket_id, 2, orderId=None))
    assert TicketCopy.objects.get().version == 0


def test_payment_created_completes_the_order():
    order = OrderFactory()

    deliver(
        "payment:created",
        "payments",
        {
            "id": str(uuid.uuid4()),
            "orderId": str(order.id),
            "stripeId": "ch_1",
            "amount": 2000,
            "currency": "usd",
        },
    )

    order.refresh_from_db()
    assert order.status == "complete"
