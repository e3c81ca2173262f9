import base64
import json
import threading
import uuid

import pytest
from django.db import connection, transaction

from tests.sample.services import sample_order_create
from ticketing_shared.events.catalog import PayloadInvalid
from ticketing_shared.events.models import OutboxEvent
from ticketing_shared.events.outbox import event_publish_on_commit, outbox_relay, outbox_sweep

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("as_orders")]


def order_create() -> uuid.UUID:
    return sample_order_create(ticket_id=uuid.uuid4(), price="20.00", user_id=uuid.uuid4())


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
    assert row.envelope["data"]["id"] == str(order_id)
    assert row.published_at is not None
    assert queued_event_ids(bus, "tickets.events") == [str(row.event_id)]
    assert queued_event_ids(bus, "payments.events") == [str(row.event_id)]


def test_a_message_names_its_event_and_subject_for_logs_and_monitoring(bus):
    order_create()

    (message,) = [json.loads(raw) for raw in bus.client().lrange("tickets.events", 0, -1)]
    row = OutboxEvent.objects.get()
    assert message["headers"]["task"] == "order:created"
    # Celery shows argsrepr in its logs and monitors, instead of the whole envelope.
    assert message["headers"]["argsrepr"] == f"[{row.event_id}]"


def test_nothing_reaches_the_broker_before_the_commit(bus):
    with transaction.atomic():
        order_create()
        assert bus.queue_length("tickets.events") == 0

    assert bus.queue_length("tickets.events") == 1


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

    sent = queued_event_ids(bus, "tickets.events")
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
    assert queued_event_ids(bus, "tickets.events") == [str(latest.event_id)]
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 1  # the sweep's
    assert outbox_sweep() == 1


def test_a_batch_the_broker_refuses_stays_pending_with_the_failure_counted(bus):
    bus.stop()
    order_create()
    order_create()

    assert outbox_sweep() == 0

    rows = list(OutboxEvent.objects.all())
    assert [row.published_at for row in rows] == [None, None]
    # Each row: the failed relay after its own commit, then the sweep's batch of both.
    assert [row.attempts for row in rows] == [2, 2]
    assert all("Error" in row.last_error for row in rows)
    bus.start()
    assert outbox_sweep() == 2
    assert bus.queue_length("tickets.events") == 2


def test_a_row_another_relay_holds_is_skipped_not_sent_twice(bus):
    bus.stop()
    order_create()
    bus.start()
    locked = threading.Event()
    release = threading.Event()

    def other_relay_holding_the_row():
        with transaction.atomic():
            list(OutboxEvent.objects.select_for_update().all())
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=other_relay_holding_the_row)
    holder.start()
    try:
        assert locked.wait(10)
        assert outbox_relay() == 0
    finally:
        release.set()
        holder.join()

    assert outbox_relay() == 1
    assert bus.queue_length("tickets.events") == 1
