"""The bus end to end: the sample service publishes as `orders`; stand-ins for `tickets` and
`payments` consume in real Celery worker processes, each with its own database."""

import json
import logging
import uuid

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from tests.sample.services import sample_order_create
from ticketing_shared.events.envelope import Event
from ticketing_shared.events.models import OutboxEvent
from ticketing_shared.events.names import events_queue
from ticketing_shared.events.transport import Message, envelope_send, event_send, messages_send
from ticketing_shared.testing.bus.harness import SOLO_POOL, eventually
from ticketing_shared.testing.bus.switches import POISON_USER_ID, SLOW_USER_ID

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("bus", "as_orders")]


def order_create(user_id=None) -> uuid.UUID:
    return sample_order_create(
        ticket_id=uuid.uuid4(), price="20.00", user_id=user_id or uuid.uuid4()
    )


def applications(database, order_id) -> list[tuple[int, str]]:
    return database.rows(
        "SELECT version, subject FROM copies_application WHERE aggregate_id = %s ORDER BY id",
        str(order_id),
    )


def order_event(subject: str, order_id: uuid.UUID, version: int, **data) -> Event:
    payload = {"id": str(order_id), "version": version, "ticket": {"id": str(uuid.uuid4())}}
    if subject == "order:created":
        payload.update(
            status="created", userId=str(data.get("user_id", uuid.uuid4())),
            expiresAt="2030-01-01T00:00:00.000Z",
            ticket={"id": payload["ticket"]["id"], "price": "10.00"},
        )  # fmt: skip
    return Event.new(subject=subject, data=payload, producer="orders")


def test_every_consumer_gets_its_own_copy(celery_processes, consumers, caplog):
    tickets = celery_processes("tickets")
    celery_processes("payments")

    with caplog.at_level(logging.INFO, logger="ticketing_shared.events.transport"):
        order_id = order_create()

    for service in ("tickets", "payments"):
        eventually(
            lambda service=service: applications(consumers[service], order_id),
            message=f"{service} applies order:created",
        )
        assert applications(consumers[service], order_id) == [(0, "order:created")]
    row = OutboxEvent.objects.get()
    assert row.published_at is not None
    # Both sides log the event's id and subject.
    applied = [
        json.loads(line)
        for line in tickets.log_text().splitlines()
        if line.startswith("{") and '"event applied"' in line
    ]
    assert applied[0]["event_id"] == str(row.event_id)
    assert applied[0]["subject"] == "order:created"
    sent = [r for r in caplog.records if r.getMessage() == "event sent"]
    assert {(r.event_id, r.subject, r.consumer) for r in sent} == {
        (str(row.event_id), "order:created", "tickets"),
        (str(row.event_id), "order:created", "payments"),
    }


def test_a_consumer_down_at_publish_time_gets_the_event_when_it_starts(
    celery_processes, consumers, bus
):
    order_id = order_create()
    assert bus.queue_length(events_queue("tickets")) == 1

    celery_processes("tickets")

    eventually(lambda: applications(consumers["tickets"], order_id), message="applied on start")


@pytest.mark.parametrize("pool_options", [SOLO_POOL, ()], ids=["solo", "services-threads"])
def test_a_worker_killed_mid_handler_leaves_the_event_to_be_applied_once(
    celery_processes, consumers, pool_options
):
    worker = celery_processes("tickets", pool_options=pool_options)
    order_id = order_create(user_id=SLOW_USER_ID)
    eventually(
        lambda: list(celery_processes.marker_dir.glob("*.started")), message="handler started"
    )

    worker.kill()
    assert applications(consumers["tickets"], order_id) == []
    celery_processes("tickets", pool_options=pool_options)

    eventually(
        lambda: applications(consumers["tickets"], order_id), timeout=40, message="redelivered"
    )
    assert applications(consumers["tickets"], order_id) == [(0, "order:created")]
    inbox = consumers["tickets"].rows("SELECT count(*) FROM events_inboxevent")
    assert inbox == [(1,)]


def test_redis_down_at_commit_delays_the_event_and_loses_nothing(
    celery_processes, consumers, bus, api_client, sign_in
):
    sign_in(api_client)
    bus.stop()

    response = api_client.post(
        "/api/sample/orders", {"ticketId": str(uuid.uuid4()), "price": "12.50"}, format="json"
    )

    assert response.status_code == 201
    row = OutboxEvent.objects.get()
    assert row.published_at is None
    assert row.attempts == 0  # the broker's failure, not the event's
    assert "Connection" in row.last_error or "Error" in row.last_error

    bus.start()
    producer_database = _this_database_url()
    celery_processes("orders", database_url=producer_database)
    celery_processes("orders", kind="beat", database_url=producer_database)
    celery_processes("tickets")

    order_id = response.json()["id"]
    eventually(
        lambda: applications(consumers["tickets"], order_id),
        timeout=30,
        message="swept and applied",
    )
    row.refresh_from_db()
    assert row.published_at is not None


def test_a_duplicate_is_applied_once(celery_processes, consumers):
    worker = celery_processes("tickets")
    event = order_event("order:created", uuid.uuid4(), 0)

    event_send(event, consumer="tickets")
    event_send(event, consumer="tickets")

    eventually(lambda: '"event duplicate ignored"' in worker.log_text(), message="duplicate seen")
    assert applications(consumers["tickets"], event.data["id"]) == [(0, "order:created")]


def test_versions_arriving_3_1_2_are_applied_1_2_3(celery_processes, consumers):
    celery_processes("tickets")
    order_id = uuid.uuid4()
    event_send(order_event("order:created", order_id, 0), consumer="tickets")
    eventually(lambda: applications(consumers["tickets"], order_id), message="version 0")

    for version in (3, 1, 2):
        event_send(order_event("order:cancelled", order_id, version), consumer="tickets")

    eventually(
        lambda: len(applications(consumers["tickets"], order_id)) == 4,
        timeout=30,
        message="versions 1 to 3",
    )
    assert [v for v, _ in applications(consumers["tickets"], order_id)] == [0, 1, 2, 3]


def test_the_services_pool_of_threads_applies_each_aggregate_in_order_and_once(
    celery_processes, consumers
):
    worker = celery_processes("tickets", pool_options=())  # the settings': 4 threads
    order_ids = [uuid.uuid4() for _ in range(10)]
    for version in range(4):
        subject = "order:created" if version == 0 else "order:cancelled"
        for order_id in order_ids:
            event = order_event(subject, order_id, version)
            event_send(event, consumer="tickets")
            if version == 1:
                event_send(event, consumer="tickets")  # redelivered

    eventually(
        lambda: len(consumers["tickets"].rows("SELECT 1 FROM copies_application")) >= 40,
        timeout=60,
        message="40 events applied",
    )
    assert "(thread)" in worker.log_text()  # the banner: "concurrency: 4 (thread)"
    for order_id in order_ids:
        assert [v for v, _ in applications(consumers["tickets"], order_id)] == [0, 1, 2, 3]
    assert not consumers["tickets"].rows("SELECT 1 FROM events_deadletter")


def test_a_poison_event_is_dead_lettered_while_others_flow(celery_processes, consumers):
    celery_processes("tickets")
    poison = order_event("order:created", uuid.uuid4(), 0, user_id=POISON_USER_ID)
    healthy = [order_event("order:created", uuid.uuid4(), 0) for _ in range(3)]

    event_send(poison, consumer="tickets")
    for event in healthy:
        event_send(event, consumer="tickets")

    for event in healthy:
        eventually(lambda event=event: applications(consumers["tickets"], event.data["id"]))
    dead = eventually(
        lambda: consumers["tickets"].rows(
            "SELECT event_id, attempts, error FROM events_deadletter"
        ),
        timeout=30,
        message="dead letter",
    )
    assert [(str(event_id), attempts) for event_id, attempts, _ in dead] == [(str(poison.id), 4)]
    assert "this event always fails" in dead[0][2]


def test_a_malformed_event_is_dead_lettered_at_once(celery_processes, consumers):
    celery_processes("tickets")
    envelope = order_event("order:created", uuid.uuid4(), 0).as_envelope()
    del envelope["data"]["ticket"]

    envelope_send(envelope, consumer="tickets")

    dead = eventually(
        lambda: consumers["tickets"].rows("SELECT attempts, error FROM events_deadletter"),
        message="dead letter",
    )
    assert dead[0][0] == 1
    assert "ticket" in dead[0][1]


def test_an_envelope_sent_as_another_subjects_task_is_dead_lettered_at_once(
    celery_processes, consumers
):
    # Someone with the broker's access sends an order:cancelled envelope to the order:created
    # task: the creation's handler would apply the cancellation's data.
    celery_processes("tickets")
    cancelled = order_event("order:cancelled", uuid.uuid4(), 0)
    queue = events_queue("tickets")

    messages_send([Message(cancelled.as_envelope(), "tickets", queue, "order:created", False)])

    dead = eventually(
        lambda: consumers["tickets"].rows("SELECT subject, attempts, error FROM events_deadletter"),
        message="dead letter",
    )
    assert dead[0][:2] == ("order:cancelled", 1)
    assert "delivered as order:created" in dead[0][2]
    assert applications(consumers["tickets"], cancelled.data["id"]) == []


# What someone with the broker's access could push onto a queue: kombu's Redis transport
# decoded each list item unguarded, and the worker exited ("Unrecoverable error") on the first.
NOT_MESSAGES = [
    b"not json",
    b"\xff\xfe not utf-8",
    b"null",
    b"[1, 2]",
    b'"a string"',
    b'{"body": "x"}',
    b'{"properties": []}',
    b'{"properties": {"delivery_tag": "t1"}}',
    b'{"body": "abc", "properties": {"body_encoding": "base64", "delivery_tag": "t2",'
    b' "delivery_info": {"exchange": "", "routing_key": "tickets.events"}}}',
    b'{"properties": {"delivery_tag": {"a": 1},'
    b' "delivery_info": {"exchange": "", "routing_key": "tickets.events"}}}',
    b'{"headers": [1], "properties": {"delivery_tag": "t3",'
    b' "delivery_info": {"exchange": "", "routing_key": "tickets.events"}}}',
    b"[" * 100_000,
]
# Messages as kombu writes them, but no task of this worker's: Celery refuses those itself.
NOT_TASKS = [
    b'{"body": "", "properties": {"delivery_tag": "t4",'
    b' "delivery_info": {"exchange": "", "routing_key": "tickets.events"}}}',
    b'{"body": "bm90IGpzb24=", "content-type": "application/json", "content-encoding": "utf-8",'
    b' "headers": {"task": "order:created", "id": "t5"}, "properties": {"body_encoding":'
    b' "base64", "delivery_tag": "t5", "delivery_info": {"exchange": "",'
    b' "routing_key": "tickets.events"}}}',
]


def test_what_is_not_a_message_is_dropped_and_the_worker_goes_on(celery_processes, consumers, bus):
    worker = celery_processes("tickets")
    queue = events_queue("tickets")
    # Taken from the other end of the list: these come first.
    bus.client().lpush(queue, *NOT_MESSAGES, *NOT_TASKS)
    event = order_event("order:created", uuid.uuid4(), 0)

    event_send(event, consumer="tickets")

    eventually(
        lambda: applications(consumers["tickets"], event.data["id"]),
        message=lambda: f"applied after the garbage; worker log:\n{worker.log_tail()}",
    )
    assert worker.process.poll() is None
    dropped = [
        json.loads(line)
        for line in worker.log_text().splitlines()
        if line.startswith("{") and "broker message dropped" in line
    ]
    assert len(dropped) == len(NOT_MESSAGES)
    assert {(line["level"], line["queue"]) for line in dropped} == {("ERROR", queue)}
    assert dropped[0]["item"] == repr(b"not json")
    assert dropped[-1]["item"] == repr(b"[" * 200)  # truncated
    assert bus.queue_length(queue) == 0
    assert not consumers["tickets"].rows("SELECT 1 FROM events_deadletter")


def test_a_broadcast_that_is_not_a_message_is_dropped_and_the_worker_goes_on(
    celery_processes, consumers, bus
):
    # Celery's remote control reaches every worker through a Redis channel (pub/sub).
    worker = celery_processes("tickets")
    pidbox = "/0.celery.pidbox"
    # The worker's subscription is a pattern (kombu's fanout_patterns), the name itself.
    eventually(lambda: bus.client().pubsub_numpat(), message="worker subscribed")

    for item in (b"[1]", b'{"body": "x"}', b"not json"):
        bus.client().publish(pidbox, item)
    event = order_event("order:created", uuid.uuid4(), 0)
    event_send(event, consumer="tickets")

    eventually(
        lambda: applications(consumers["tickets"], event.data["id"]),
        message=lambda: f"applied after the broadcasts; worker log:\n{worker.log_tail()}",
    )
    assert worker.process.poll() is None
    assert worker.log_text().count("broker message dropped") == 2  # kombu skips "not json"


def test_replay_rebuilds_an_emptied_copy(celery_processes, consumers):
    celery_processes("tickets")
    order_ids = [order_create() for _ in range(3)]
    for order_id in order_ids:
        eventually(lambda order_id=order_id: applications(consumers["tickets"], order_id))
    consumers["tickets"].empty("copies_copy", "copies_application")

    call_command("events_replay", to="tickets")

    eventually(
        lambda: len(consumers["tickets"].rows("SELECT 1 FROM copies_copy")) == 3,
        message="copies rebuilt",
    )
    for order_id in order_ids:
        assert applications(consumers["tickets"], order_id) == [(0, "order:created")]


def _this_database_url() -> str:
    settings_dict = connection.settings_dict
    return (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}"
    )


def test_nothing_is_sent_for_a_rolled_back_change(bus):
    def change_that_fails_after_announcing_itself():
        with transaction.atomic():
            order_create()
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        change_that_fails_after_announcing_itself()

    assert not OutboxEvent.objects.exists()
    assert bus.queue_length(events_queue("tickets")) == 0


def test_a_worker_keeps_its_database_connection_and_replaces_a_broken_one(
    celery_processes, consumers
):
    celery_processes("tickets")
    first = [order_event("order:created", uuid.uuid4(), 0) for _ in range(3)]
    for event in first:
        event_send(event, consumer="tickets")
    eventually(lambda: len(consumers["tickets"].rows("SELECT 1 FROM copies_application")) == 3)
    pids = {pid for (pid,) in consumers["tickets"].rows(
        "SELECT DISTINCT connection_pid FROM copies_application")}  # fmt: skip
    assert len(pids) == 1

    # The database drops the worker's connection, as a restart or a failover would.
    consumers["tickets"].rows("SELECT pg_terminate_backend(%s)", pids.pop())
    later = order_event("order:created", uuid.uuid4(), 0)
    event_send(later, consumer="tickets")

    eventually(lambda: applications(consumers["tickets"], later.data["id"]), timeout=20)
    assert not consumers["tickets"].rows("SELECT 1 FROM events_deadletter")
