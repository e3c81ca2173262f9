"""Order events as the bus delivers them, in this process: the shared delivery (its inbox, its
retries) around tickets' handlers. `test_delivery.py` runs them in a real worker."""

import uuid
from datetime import UTC, datetime

import pytest

from ticketing_shared.events.envelope import Event
from ticketing_shared.events.models import InboxEvent, OutboxEvent
from ticketing_shared.testing.events import RetryRequested, envelope_deliver_here
from tickets import handlers
from tickets.models import OrderCopy, Ticket
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

HANDLER_OF = {
    "order:created": handlers.order_created,
    "order:cancelled": handlers.order_cancelled,
    "order:completed": handlers.order_completed,
}


def order_event(subject: str, *, order_id, ticket, version: int) -> dict:
    ticket_id = str(ticket.id if isinstance(ticket, Ticket) else ticket)
    data = {"id": str(order_id), "version": version, "ticket": {"id": ticket_id}}
    if subject == "order:created":
        data |= {
            "status": "created",
            "userId": str(uuid.uuid4()),
            "expiresAt": "2026-11-30T10:15:00.000Z",
            "ticket": {"id": ticket_id, "price": "20.00"},
        }
    return Event(
        id=uuid.uuid4(),
        subject=subject,
        occurred_at=datetime.now(UTC),
        producer="orders",
        data=data,
    ).as_envelope()


def deliver(envelope: dict) -> str:
    """One delivery; a handler's failure comes back as `RetryRequested` (the worker would send
    the event again later)."""
    return envelope_deliver_here(envelope, handler=HANDLER_OF[envelope["subject"]])


def created(order_id, ticket, version=0):
    return order_event("order:created", order_id=order_id, ticket=ticket, version=version)


def cancelled(order_id, ticket, version=1):
    return order_event("order:cancelled", order_id=order_id, ticket=ticket, version=version)


def completed(order_id, ticket, version=1):
    return order_event("order:completed", order_id=order_id, ticket=ticket, version=version)


def updates_published() -> list[dict]:
    return [
        event.envelope["data"]
        for event in OutboxEvent.objects.filter(subject="ticket:updated").order_by("position")
    ]


def state(ticket: Ticket) -> tuple:
    ticket.refresh_from_db()
    return ticket.status, ticket.order_id, ticket.version


@pytest.fixture
def ticket():
    return TicketFactory()


class TestOrderCreated:
    def test_reserves_the_ticket_and_publishes_its_order_id(self, ticket):
        order_id = uuid.uuid4()

        assert deliver(created(order_id, ticket)) == "applied"

        assert state(ticket) == ("reserved", order_id, 1)
        assert updates_published() == [
            {
                "id": str(ticket.id),
                "version": 1,
                "title": ticket.title,
                "price": "20.00",
                "userId": str(ticket.user_id),
                "orderId": str(order_id),
            }
        ]

    def test_the_same_event_twice_changes_nothing_more(self, ticket):
        envelope = created(uuid.uuid4(), ticket)
        deliver(envelope)

        assert deliver(envelope) == "duplicate ignored"

        assert state(ticket)[2] == 1
        assert len(updates_published()) == 1

    def test_another_event_with_the_same_version_is_ignored(self, ticket):
        order_id = uuid.uuid4()
        deliver(created(order_id, ticket))

        assert deliver(created(order_id, ticket)) == "applied"

        assert state(ticket)[2] == 1
        assert len(updates_published()) == 1

    def test_a_ticket_not_known_yet_is_retried_then_applied(self):
        ticket_id, order_id = uuid.uuid4(), uuid.uuid4()
        envelope = created(order_id, ticket_id)

        with pytest.raises(RetryRequested):
            deliver(envelope)
        assert not InboxEvent.objects.exists()
        assert not OrderCopy.objects.exists()

        ticket = TicketFactory(id=ticket_id)
        assert deliver(envelope) == "applied"
        assert state(ticket) == ("reserved", order_id, 1)

    def test_a_ticket_another_order_holds_waits_for_that_orders_cancellation(self, ticket):
        first, second = uuid.uuid4(), uuid.uuid4()
        deliver(created(first, ticket))
        second_created = created(second, ticket)

        with pytest.raises(RetryRequested):
            deliver(second_created)
        assert state(ticket) == ("reserved", first, 1)

        deliver(cancelled(first, ticket))
        assert deliver(second_created) == "applied"
        assert state(ticket) == ("reserved", second, 3)


class TestOrderCancelled:
    def test_frees_the_ticket_and_publishes(self, ticket):
        order_id = uuid.uuid4()
        deliver(created(order_id, ticket))

        deliver(cancelled(order_id, ticket))

        assert state(ticket) == ("available", None, 2)
        assert [(d["version"], d["orderId"]) for d in updates_published()] == [
            (1, str(order_id)),
            (2, None),
        ]

    def test_a_stale_cancellation_of_another_order_leaves_the_reservation(self, ticket):
        old_order, new_order = uuid.uuid4(), uuid.uuid4()
        deliver(created(old_order, ticket))
        deliver(cancelled(old_order, ticket))
        deliver(created(new_order, ticket))

        # The old order's cancellation again, as a new event (a replay from its producer).
        assert deliver(cancelled(old_order, ticket)) == "applied"

        assert state(ticket) == ("reserved", new_order, 3)
        assert len(updates_published()) == 3

    def test_cancelling_an_order_that_never_held_the_ticket_leaves_it(self, ticket):
        holder, other = uuid.uuid4(), uuid.uuid4()
        deliver(created(holder, ticket))
        # The other order was created while the holder held the ticket (its creation is
        # still being retried here) and is cancelled: the holder keeps the ticket.
        OrderCopy.objects.create(id=other, ticket_id=ticket.id, version=0, status="created")

        deliver(cancelled(other, ticket))

        assert state(ticket) == ("reserved", holder, 1)

    def test_a_cancellation_before_its_creation_ends_the_order_here(self, ticket):
        order_id = uuid.uuid4()

        assert deliver(cancelled(order_id, ticket)) == "applied"
        assert deliver(created(order_id, ticket)) == "applied"

        assert state(ticket) == ("available", None, 0)
        assert updates_published() == []
        assert OrderCopy.objects.get(pk=order_id).status == "cancelled"

    def test_a_cancelled_order_whose_creation_comes_last_never_deadlocks(self, ticket):
        # Order A is created and cancelled, then B buys: B's creation is applied first.
        first, second = uuid.uuid4(), uuid.uuid4()
        deliver(created(second, ticket))

        with pytest.raises(RetryRequested):
            deliver(created(first, ticket))  # B holds the ticket: A's creation waits
        deliver(cancelled(first, ticket))
        assert deliver(created(first, ticket)) == "applied"  # now an old version

        assert state(ticket) == ("reserved", second, 1)

    def test_the_same_cancellation_twice_changes_nothing_more(self, ticket):
        order_id = uuid.uuid4()
        deliver(created(order_id, ticket))
        envelope = cancelled(order_id, ticket)
        deliver(envelope)

        assert deliver(envelope) == "duplicate ignored"
        assert state(ticket) == ("available", None, 2)


class TestOrderCompleted:
    def test_marks_the_ticket_sold_and_publishes(self, ticket):
        order_id = uuid.uuid4()
        deliver(created(order_id, ticket))

        deliver(completed(order_id, ticket))

        assert state(ticket) == ("sold", order_id, 2)
        assert updates_published()[-1]["orderId"] == str(order_id)

    def test_twice_changes_nothing_more(self, ticket):
        order_id = uuid.uuid4()
        deliver(created(order_id, ticket))
        deliver(completed(order_id, ticket))

        assert deliver(completed(order_id, ticket)) == "applied"
        assert state(ticket) == ("sold", order_id, 2)
        assert len(updates_published()) == 2

    def test_a_sold_ticket_is_not_freed_by_a_late_cancellation_of_its_order(self, ticket):
        order_id = uuid.uuid4()
        deliver(created(order_id, ticket))
        deliver(completed(order_id, ticket))

        deliver(cancelled(order_id, ticket, version=2))

        assert state(ticket) == ("sold", order_id, 2)

    def test_a_completion_while_another_order_holds_the_ticket_waits(self, ticket):
        holder, other = uuid.uuid4(), uuid.uuid4()
        deliver(created(holder, ticket))
        # The other order's creation is still being retried here (the holder has the ticket).
        OrderCopy.objects.create(id=other, ticket_id=ticket.id, version=0, status="created")

        with pytest.raises(RetryRequested):
            deliver(completed(other, ticket))
        assert state(ticket) == ("reserved", holder, 1)

    def test_a_completion_before_its_creation_waits_for_it(self, ticket):
        order_id = uuid.uuid4()

        with pytest.raises(RetryRequested):
            deliver(completed(order_id, ticket))
        assert state(ticket) == ("available", None, 0)
