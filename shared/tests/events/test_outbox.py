import base64
import json
import uuid
from datetime import UTC, datetime

import psycopg2
import pytest
from django.db import connection, transaction

from tests.sample.services import sample_order_create
from ticketing_shared.events.catalog import PayloadInvalid
from ticketing_shared.events.models import OutboxEvent
from ticketing_shared.events.names import events_queue
from ticketing_shared.events.outbox import (
    event_publish_on_commit,
    outbox_events_retry,
    outbox_relay,
    outbox_sweep,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("as_orders")]

TICKETS_QUEUE = events_queue("tickets")


def order_create() -> uuid.UUID:
    return sample_order_create(ticket_id=uuid.uuid4(), price="20.00", user_id=uuid.uuid4())


def row_insert(*, subject="order:created", consumers=("tickets",), envelope=None) -> OutboxEvent:
    """An outbox row as some earlier code, or a catalog since changed, left it."""
    event_id = uuid.uuid4()
    if envelope is None:
        envelope = {"id": str(event_id), "subject": subject, "producer": "orders", "data": {}}
    return OutboxEvent.objects.create(
        event_id=event_id,
        subject=subject,
        consumers=list(consumers),
        occurred_at=datetime.now(UTC),
        envelope=envelope,
    )


def pending_orders_create(bus, count: int) -> list[OutboxEvent]:
    """Orders whose events wait in the outbox for the sweep (the broker was down at commit)."""
    bus.stop()
    order_ids = {str(order_create()) for _ in range(count)}
    bus.start()
    return [
        row
        for row in OutboxEvent.objects.filter(subject="order:created")
        if isinstance(row.envelope, dict) and row.envelope["data"].get("id") in order_ids
    ]


def queued_event_ids(bus, queue: str) -> list[str]:
    """The event ids waiting in a queue, oldest first (kombu pushes left and pops right)."""
    return [_envelope(message)["id"] for message in reversed(bus.client().lrange(queue, 0, -1))]


def _envelope(message: bytes) -> dict:
    args, _kwargs, _options = json.loads(base64.b64decode(json.loads(message)["body"]))
    return args[0]


def test_an_event_is_recorded_and_sent_to_each_consumer_after_commit(bus):
    order_id = order_create()

    row = OutboxEvent.objects.get()
    assert row.subject == "order:created"
    assert row.consumers == ["tickets", "payments"]  # recorded as the catalog names them
    assert row.envelope["data"]["id"] == str(order_id)
    assert row.published_at is not None
    assert queued_event_ids(bus, events_queue("tickets")) == [str(row.event_id)]
    assert queued_event_ids(bus, events_queue("payments")) == [str(row.event_id)]


def test_a_message_names_its_event_and_subject_for_logs_and_monitoring(bus):
    order_create()

    (message,) = [json.loads(raw) for raw in bus.client().lrange(TICKETS_QUEUE, 0, -1)]
    row = OutboxEvent.objects.get()
    assert message["headers"]["task"] == "order:created"
    # Celery shows argsrepr in its logs and monitors, instead of the whole envelope.
    assert message["headers"]["argsrepr"] == f"[{row.event_id}]"


def test_nothing_reaches_the_broker_before_the_commit(bus):
    with transaction.atomic():
        order_create()
        assert bus.queue_length(TICKETS_QUEUE) == 0

    assert bus.queue_length(TICKETS_QUEUE) == 1


def test_publishing_needs_the_transaction_of_the_change():
    with pytest.raises(RuntimeError, match="needs the transaction"):
        event_publish_on_commit(subject="order:cancelled", data={})


def test_a_payload_that_does_not_fit_records_nothing(bus):
    with pytest.raises(PayloadInvalid), transaction.atomic():
        event_publish_on_commit(subject="order:cancelled", data={"id": "x"})

    assert not OutboxEvent.objects.exists()


def test_the_sweep_sends_what_an_outage_left_behind_oldest_first(bus):
    bus.stop()
    order_ids = [order_create() for _ in range(3)]
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 3
    bus.start()

    assert outbox_sweep() == 3

    sent = queued_event_ids(bus, TICKETS_QUEUE)
    recorded = [
        str(e) for e in OutboxEvent.objects.order_by("position").values_list("event_id", flat=True)
    ]
    assert sent == recorded
    assert [OutboxEvent.objects.get(event_id=e).envelope["data"]["id"] for e in sent] == [
        str(order_id) for order_id in order_ids
    ]
    assert outbox_sweep() == 0


def test_the_relay_after_a_commit_sends_that_commits_events_only(bus):
    bus.stop()
    order_create()  # left pending by the outage
    bus.start()

    order_create()

    latest = OutboxEvent.objects.order_by("position").last()
    assert queued_event_ids(bus, TICKETS_QUEUE) == [str(latest.event_id)]
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 1  # the sweep's
    assert outbox_sweep() == 1


def test_a_broker_outage_leaves_every_row_pending_and_sets_none_aside(bus, settings):
    settings.EVENTS_OUTBOX_MAX_ATTEMPTS = 2
    bus.stop()
    order_create()
    order_create()
    unsendable = row_insert(consumers=[])  # its own failure counts even while the broker is out

    for _ in range(3):
        assert outbox_sweep() == 0

    rows = list(OutboxEvent.objects.exclude(position=unsendable.position))
    assert [row.published_at for row in rows] == [None, None]
    assert [row.set_aside_at for row in rows] == [None, None]
    assert [row.attempts for row in rows] == [0, 0]  # nothing was wrong with them
    assert all("Error" in row.last_error for row in rows)
    unsendable.refresh_from_db()
    assert unsendable.attempts == 2
    assert unsendable.set_aside_at is not None
    bus.start()
    assert outbox_sweep() == 2
    assert bus.queue_length(TICKETS_QUEUE) == 2


def test_a_row_whose_subject_left_the_catalog_goes_to_its_recorded_consumers(bus):
    bus.stop()
    renamed = row_insert(subject="ticket:renamed", consumers=["tickets"])
    order_create()
    bus.start()

    assert outbox_sweep() == 2

    later = OutboxEvent.objects.get(subject="order:created")
    assert queued_event_ids(bus, TICKETS_QUEUE) == [str(renamed.event_id), str(later.event_id)]
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


UNSENDABLE_ROWS = {
    "envelope-not-an-object": ({"envelope": ["not", "an", "object"]}, "not an object"),
    "envelope-without-subject": ({"envelope": {"id": "x", "data": {}}}, "names no subject"),
    "consumer-not-a-service": ({"consumers": ["tickets", "Tickets Service!"]}, "service name"),
    "no-consumers": ({"consumers": []}, "no consumers recorded"),
}


@pytest.mark.parametrize(("row", "error"), UNSENDABLE_ROWS.values(), ids=UNSENDABLE_ROWS.keys())
def test_a_row_that_cannot_be_sent_does_not_hold_back_the_rows_behind_it(bus, row, error):
    unsendable = row_insert(**row)
    behind = pending_orders_create(bus, 2)

    assert outbox_sweep() == 2

    assert queued_event_ids(bus, TICKETS_QUEUE) == [str(event.event_id) for event in behind]
    unsendable.refresh_from_db()
    assert unsendable.published_at is None
    assert unsendable.attempts == 1
    assert error in unsendable.last_error


def test_a_sweep_tries_each_row_once(bus):
    unsendable = row_insert(consumers=[])
    pending_orders_create(bus, 2)

    assert outbox_sweep(batch_size=1) == 2

    unsendable.refresh_from_db()
    assert unsendable.attempts == 1


def test_a_row_that_keeps_failing_is_set_aside_and_then_skipped(bus, settings):
    settings.EVENTS_OUTBOX_MAX_ATTEMPTS = 3
    unsendable = row_insert(consumers=[])

    for attempts in (1, 2):
        outbox_sweep()
        unsendable.refresh_from_db()
        assert (unsendable.attempts, unsendable.set_aside_at) == (attempts, None)
    outbox_sweep()
    unsendable.refresh_from_db()
    assert unsendable.attempts == 3
    assert unsendable.set_aside_at is not None
    assert "no consumers recorded" in unsendable.last_error

    outbox_sweep()
    unsendable.refresh_from_db()
    assert unsendable.attempts == 3  # no longer tried
    assert unsendable.published_at is None


def test_retry_puts_a_set_aside_row_back_in_line(bus):
    row = row_insert()
    OutboxEvent.objects.filter(position=row.position).update(
        set_aside_at=datetime.now(UTC), attempts=10, last_error="ValueError: was broken"
    )
    assert outbox_sweep() == 0

    assert outbox_events_retry(positions=[row.position]) == 1

    row.refresh_from_db()
    assert (row.set_aside_at, row.attempts) == (None, 0)
    assert outbox_sweep() == 1
    assert queued_event_ids(bus, TICKETS_QUEUE) == [str(row.event_id)]


def test_retry_leaves_a_sent_row_alone(bus):
    order_create()
    row = OutboxEvent.objects.get()

    assert outbox_events_retry(positions=[row.position]) == 0


@pytest.fixture
def other_connection():
    """A second connection to the test database, as another relay process would hold."""
    settings_dict = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or 5432,
    )
    yield other
    other.close()


@pytest.fixture
def lock_wait_limited():
    """A relay that waits for a lock fails after a second instead of hanging the test run."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '1s'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


@pytest.mark.usefixtures("lock_wait_limited")
def test_a_row_another_relay_holds_is_skipped_and_the_next_one_sent(bus, other_connection):
    held, free = pending_orders_create(bus, 2)
    with other_connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM events_outboxevent WHERE position = %s FOR UPDATE", [held.position]
        )

    # A relay that waited for the held row would fail on the lock timeout instead.
    assert outbox_relay() == 1
    assert queued_event_ids(bus, TICKETS_QUEUE) == [str(free.event_id)]
    other_connection.rollback()  # the other relay lets go without sending it
    assert outbox_relay() == 1
    assert queued_event_ids(bus, TICKETS_QUEUE) == [str(free.event_id), str(held.event_id)]
