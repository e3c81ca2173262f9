import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction

from ticketing_shared.errors.exceptions import ApplicationError, NotAuthorized, NotFound
from ticketing_shared.events.models import OutboxEvent
from ticketing_shared.testing.bus.harness import eventually
from ticketing_shared.testing.concurrency import concurrently
from tickets.models import OrderCopy, Ticket
from tickets.services import (
    OrderCopyWrittenMeanwhile,
    TicketVersionConflict,
    ticket_create,
    ticket_release_for_order,
    ticket_reserve_for_order,
    ticket_update,
    ticket_update_by_staff,
)
from tickets.tests.factories import TicketFactory

WRITERS = 10


def versions_published(ticket: Ticket) -> list[int]:
    return [
        event.envelope["data"]["version"]
        for event in OutboxEvent.objects.filter(
            subject__in=["ticket:created", "ticket:updated"]
        ).order_by("position")
        if event.envelope["data"]["id"] == str(ticket.id)
    ]


def new_ticket(**fields) -> Ticket:
    return ticket_create(
        user_id=fields.get("user_id", uuid.uuid4()), title="Concert", price=Decimal("20.00")
    )


@pytest.mark.django_db
class TestTicketCreate:
    def test_version_0_available_and_announced(self):
        ticket = new_ticket()

        assert (ticket.version, ticket.status, ticket.order_id) == (0, "available", None)
        assert versions_published(ticket) == [0]

    def test_a_failed_transaction_takes_its_event_with_it(self):
        class Abort(Exception):
            pass

        def create_then_fail():
            with transaction.atomic():
                new_ticket()
                raise Abort

        with pytest.raises(Abort):
            create_then_fail()

        assert not Ticket.objects.exists()
        assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
class TestTicketUpdate:
    def test_the_seller_edits_one_version_up(self):
        ticket = new_ticket()

        updated = ticket_update(
            ticket_id=ticket.id, editor_id=ticket.user_id, title="New", price=Decimal("5")
        )

        assert (updated.title, updated.price, updated.version) == ("New", Decimal("5"), 1)
        assert versions_published(ticket) == [0, 1]

    def test_someone_else_is_not_authorized(self):
        ticket = new_ticket()

        with pytest.raises(NotAuthorized):
            ticket_update(ticket_id=ticket.id, editor_id=uuid.uuid4(), title="X", price=1)

    def test_an_unknown_ticket(self):
        with pytest.raises(NotFound):
            ticket_update(ticket_id=uuid.uuid4(), editor_id=uuid.uuid4(), title="X", price=1)

    def test_state_is_checked_before_ownership(self):
        ticket = TicketFactory(reserved=True)

        with pytest.raises(ApplicationError, match="Cannot edit a reserved ticket"):
            ticket_update(ticket_id=ticket.id, editor_id=uuid.uuid4(), title="X", price=1)


@pytest.mark.django_db
class TestTicketUpdateByStaff:
    def test_at_the_version_the_form_was_opened_at(self):
        ticket = new_ticket()

        updated = ticket_update_by_staff(
            ticket_id=ticket.id, expected_version=0, title="Fixed typo", price=Decimal("20")
        )

        assert updated.version == 1
        assert versions_published(ticket) == [0, 1]

    def test_two_writers_holding_the_same_version_the_second_fails(self):
        ticket = new_ticket()
        ticket_update_by_staff(ticket_id=ticket.id, expected_version=0, title="First", price=1)

        with pytest.raises(TicketVersionConflict):
            ticket_update_by_staff(ticket_id=ticket.id, expected_version=0, title="Second", price=2)

        ticket.refresh_from_db()
        assert (ticket.title, ticket.version) == ("First", 1)
        assert versions_published(ticket) == [0, 1]

    def test_a_reserved_ticket_is_refused_to_staff_too(self):
        ticket = TicketFactory(reserved=True)

        with pytest.raises(ApplicationError, match="Cannot edit a reserved ticket"):
            ticket_update_by_staff(ticket_id=ticket.id, expected_version=0, title="X", price=1)


@pytest.mark.django_db(transaction=True)
class TestConcurrentWriters:
    def test_staff_writers_at_one_version_exactly_one_wins(self):
        ticket = new_ticket()

        def edit(n: int) -> str:
            try:
                ticket_update_by_staff(
                    ticket_id=ticket.id, expected_version=0, title=f"Edit {n}", price=1
                )
            except TicketVersionConflict:
                return "conflict"
            return "saved"

        outcomes = concurrently(WRITERS, edit)

        assert sorted(outcomes) == ["conflict"] * (WRITERS - 1) + ["saved"]
        ticket.refresh_from_db()
        assert ticket.version == 1
        assert versions_published(ticket) == [0, 1]

    def test_the_sellers_simultaneous_edits_all_land_one_version_each(self):
        ticket = new_ticket()

        def edit(n: int) -> int:
            return ticket_update(
                ticket_id=ticket.id, editor_id=ticket.user_id, title=f"Edit {n}", price=n + 1
            ).version

        versions = concurrently(WRITERS, edit)

        assert sorted(versions) == list(range(1, WRITERS + 1))
        assert versions_published(ticket) == list(range(WRITERS + 1))

    def test_one_order_event_delivered_twice_at_once_reserves_once(self):
        # A replay running beside the original delivery: neither finds the order's copy yet,
        # and the second, once the first commits, finds the ticket already held by its order.
        ticket = new_ticket()
        order_id = uuid.uuid4()

        def deliver(n: int) -> str:
            try:
                ticket_reserve_for_order(order_id=order_id, order_version=0, ticket_id=ticket.id)
            except OrderCopyWrittenMeanwhile:
                # As the bus does: retried, it is an old version now.
                ticket_reserve_for_order(order_id=order_id, order_version=0, ticket_id=ticket.id)
                return "retried"
            return "applied"

        outcomes = concurrently(2, deliver)

        assert sorted(outcomes) in (["applied", "applied"], ["applied", "retried"])

        ticket.refresh_from_db()
        assert (ticket.status, ticket.order_id, ticket.version) == ("reserved", order_id, 1)
        assert versions_published(ticket) == [0, 1]

    def test_an_edit_racing_a_reservation_never_changes_a_reserved_ticket(self):
        ticket = new_ticket()
        order_id = uuid.uuid4()

        def race(n: int) -> str:
            if n == 0:
                ticket_reserve_for_order(order_id=order_id, order_version=0, ticket_id=ticket.id)
                return "reserved"
            try:
                ticket_update(
                    ticket_id=ticket.id, editor_id=ticket.user_id, title="Edited", price=99
                )
            except ApplicationError as error:
                return error.message
            return "edited"

        outcomes = concurrently(2, race)

        ticket.refresh_from_db()
        assert ticket.status == "reserved"
        if outcomes[1] == "edited":
            assert (ticket.title, ticket.version) == ("Edited", 2)
        else:
            assert outcomes[1] == "Cannot edit a reserved ticket"
            assert (ticket.title, ticket.version) == ("Concert", 1)
        assert versions_published(ticket) == list(range(ticket.version + 1))


@pytest.mark.django_db(transaction=True)
def test_a_cancellation_recorded_while_the_creation_waits_leaves_the_ticket_available():
    """The order's creation has found no copy of the order and waits for the ticket's lock;
    its cancellation, which does not wait for the creation, records the order cancelled. The
    creation must then not reserve the ticket for an order that has ended."""
    ticket = new_ticket()
    order_id = uuid.uuid4()
    ticket_held, creation_done = threading.Event(), threading.Event()
    outcome = {}

    def hold_the_ticket():
        with transaction.atomic():
            Ticket.objects.select_for_update().get(pk=ticket.pk)
            ticket_held.set()
            creation_done.wait(timeout=30)
        connection.close()

    def create():
        try:
            ticket_reserve_for_order(order_id=order_id, order_version=0, ticket_id=ticket.id)
            outcome["created"] = "applied"
        except OrderCopyWrittenMeanwhile:
            outcome["created"] = "retried"
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_ticket)
    holder.start()
    assert ticket_held.wait(timeout=30)
    creator = threading.Thread(target=create)
    creator.start()
    eventually(lambda: backends_waiting_for_a_lock() == 1)
    ticket_release_for_order(order_id=order_id, order_version=1, ticket_id=ticket.id)
    creation_done.set()
    holder.join(timeout=30)
    creator.join(timeout=30)
    # The bus retries it: an old version now.
    ticket_reserve_for_order(order_id=order_id, order_version=0, ticket_id=ticket.id)

    ticket.refresh_from_db()
    copy = OrderCopy.objects.get(pk=order_id)
    assert outcome["created"] == "retried"
    assert (ticket.status, ticket.order_id, ticket.version) == ("available", None, 0)
    assert (copy.status, copy.version) == ("cancelled", 1)


def backends_waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]
