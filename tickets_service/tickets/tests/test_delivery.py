"""Tickets on the bus with real parts: the suite's own redis-server as the broker
(`tickets_service/conftest.py`), real Celery worker processes, and a stand-in `orders` service
(`ticketing_shared.testing.bus`) with a database of its own, consuming tickets' events and
publishing order events through its outbox and relay, as the orders service will.

Tests commit (`transaction=True`): events leave on commit only. The tickets service's own worker
(`celery -A config.celery_app`) runs on this test's database, so what it applies is read here.
"""

import base64
import json
import os
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from ticketing_shared.events.models import DeadLetter, InboxEvent, OutboxEvent
from ticketing_shared.events.names import events_queue
from ticketing_shared.testing.bus.harness import (
    STANDIN_TABLES,
    CeleryProcess,
    ConsumerDatabase,
    StandinPublisher,
    eventually,
    this_database_url,
    worker_argv,
    worker_environment,
)
from tickets.models import OrderCopy, Ticket
from tickets.services import ticket_create
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)

TICKETS_SERVICE_DIR = Path(__file__).resolve().parents[2]


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def orders_database():
    """The stand-in orders service's database, made once for the run."""
    database = ConsumerDatabase("orders", name=f"ticketing_bustest_orders_tickets_{os.getpid()}")
    database.create()
    yield database
    database.drop()


@pytest.fixture
def orders(orders_database, bus):
    orders_database.empty(*STANDIN_TABLES)
    return orders_database


@pytest.fixture
def orders_worker_start(processes, orders, tmp_path):
    """Starts the stand-in orders service's worker, which keeps a versioned copy of each ticket
    and a row per event applied (`copies_application`)."""

    def start() -> CeleryProcess:
        env = worker_environment("orders", orders.url)
        process = CeleryProcess("orders", worker_argv("orders"), env, tmp_path / "orders.log")
        return processes(process)

    return start


@pytest.fixture
def tickets_worker(processes, tmp_path):
    """The tickets service's own worker, as deployed (`celery -A config.celery_app worker`, the
    settings' pool of threads), on this test's database and the suite's broker."""
    env = worker_environment(
        "tickets",
        this_database_url(),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    process = CeleryProcess(
        "tickets",
        worker_argv("tickets", pool_options=()),
        env,
        tmp_path / "tickets.log",
        app="config.celery_app",
        cwd=TICKETS_SERVICE_DIR,
    )
    return processes(process)


@pytest.fixture(scope="session")
def orders_publisher(orders_database, tmp_path_factory):
    publisher = StandinPublisher(
        "orders", orders_database.url, tmp_path_factory.mktemp("orders") / "publisher.log"
    )
    yield publisher.start()
    publisher.stop()


@pytest.fixture
def orders_publish(orders, orders_publisher):
    """Publishes an order event as the orders service does (its outbox, its relay on commit);
    returns the event's id."""

    def publish(subject: str, data: dict) -> uuid.UUID:
        return uuid.UUID(orders_publisher.publish(subject, data))

    return publish


# --- helpers ----------------------------------------------------------------------------------


def queued_envelopes(bus, queue: str) -> list[dict]:
    """The event envelopes waiting in `queue`, oldest first, as a consumer will receive them
    (kombu pushes on the left and pops on the right; each body is Celery's [args, kwargs, ...],
    base64-encoded)."""
    envelopes = []
    for raw in reversed(bus.client().lrange(queue, 0, -1)):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        envelopes.append(args[0])
    return envelopes


def queues_holding_messages(bus) -> set[str]:
    client = bus.client()
    return {key.decode() for key in client.keys("*") if client.type(key) == b"list"}


def applications(database: ConsumerDatabase, aggregate_id) -> list[tuple[int, str]]:
    return database.rows(
        "SELECT version, subject FROM copies_application WHERE aggregate_id = %s ORDER BY id",
        str(aggregate_id),
    )


def told(worker: CeleryProcess, expected: str):
    """What a failed wait says: what was expected, and the worker's latest log lines then."""
    return lambda: f"{expected}; the {worker.service} worker's log:\n{worker.log_tail()}"


def log_records(worker: CeleryProcess, message: str) -> list[dict]:
    """The worker's JSON log records saying `message`."""
    records = []
    for line in worker.log_text().splitlines():
        if line.startswith("{") and f'"{message}"' in line:
            record = json.loads(line)
            if record.get("message") == message:
                records.append(record)
    return records


def order_created_data(*, order_id: uuid.UUID, ticket_id: uuid.UUID) -> dict:
    return {
        "id": str(order_id),
        "version": 0,
        "status": "created",
        "userId": str(uuid.uuid4()),
        "expiresAt": "2030-01-01T00:00:00.000Z",
        "ticket": {"id": str(ticket_id), "price": "20.00"},
    }


def ticket_status(ticket_id) -> tuple[str, uuid.UUID | None, int]:
    ticket = Ticket.objects.get(pk=ticket_id)
    return ticket.status, ticket.order_id, ticket.version


def ticket_updates_announced(bus) -> list[dict]:
    return [
        envelope["data"]
        for envelope in queued_envelopes(bus, events_queue("orders"))
        if envelope["subject"] == "ticket:updated"
    ]


# --- tickets publishes --------------------------------------------------------------------------


def test_a_ticket_created_and_updated_through_the_api_reaches_orders_once_and_in_order(
    signed_in_client, bus, orders, orders_worker_start
):
    created = signed_in_client.post(
        "/api/tickets", {"title": "Concert", "price": "20"}, format="json"
    )
    assert created.status_code == 201
    ticket_id = created.json()["id"]
    updated = signed_in_client.put(
        f"/api/tickets/{ticket_id}", {"title": "Concert, row 5", "price": 25.5}, format="json"
    )
    assert updated.status_code == 200

    # On the wire, before anyone consumes: one message per event, on orders' queue alone (the
    # catalog's only consumer of tickets' events), as the contract shapes them.
    assert queues_holding_messages(bus) == {events_queue("orders")}
    queued = queued_envelopes(bus, events_queue("orders"))
    seller = str(signed_in_client.user.id)
    sent = [(envelope["subject"], envelope["producer"], envelope["data"]) for envelope in queued]
    assert sent == [
        (
            "ticket:created",
            "tickets",
            {"id": ticket_id, "version": 0, "title": "Concert", "price": "20.00", "userId": seller},
        ),
        (
            "ticket:updated",
            "tickets",
            {
                "id": ticket_id,
                "version": 1,
                "title": "Concert, row 5",
                "price": "25.50",
                "userId": seller,
                "orderId": None,
            },
        ),
    ]
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()

    orders_worker = orders_worker_start()

    eventually(
        lambda: len(applications(orders, ticket_id)) == 2,
        message=told(orders_worker, "orders applies both events"),
    )
    assert applications(orders, ticket_id) == [(0, "ticket:created"), (1, "ticket:updated")]
    eventually(lambda: bus.queue_length(events_queue("orders")) == 0, message="queue drained")
    inbox = orders.rows("SELECT event_id FROM events_inboxevent ORDER BY processed_at")
    assert [str(event_id) for (event_id,) in inbox] == [envelope["id"] for envelope in queued]
    assert orders.rows("SELECT 1 FROM events_deadletter") == []


# --- tickets consumes -------------------------------------------------------------------------


def test_an_order_created_reserves_the_ticket_which_tickets_announces(
    tickets_worker, orders_publish, bus
):
    seller = uuid.uuid4()
    ticket = ticket_create(user_id=seller, title="Concert", price=Decimal("20.00"))
    order_id = uuid.uuid4()

    event_id = orders_publish(
        "order:created", order_created_data(order_id=order_id, ticket_id=ticket.id)
    )

    eventually(
        lambda: ticket_status(ticket.id)[0] == Ticket.Status.RESERVED,
        message=told(tickets_worker, "ticket reserved"),
    )
    assert ticket_status(ticket.id) == (Ticket.Status.RESERVED, order_id, 1)
    announced = eventually(lambda: ticket_updates_announced(bus), message="ticket:updated sent")
    assert announced == [
        {
            "id": str(ticket.id),
            "version": 1,
            "title": "Concert",
            "price": "20.00",
            "userId": str(seller),
            "orderId": str(order_id),
        }
    ]
    copy = OrderCopy.objects.get(pk=order_id)
    assert (copy.ticket_id, copy.version, copy.status) == (ticket.id, 0, OrderCopy.Status.CREATED)
    assert InboxEvent.objects.filter(event_id=event_id, consumer="tickets").count() == 1


def test_an_order_for_a_ticket_not_yet_known_is_retried_and_applied_once_it_exists(
    tickets_worker, orders_publish
):
    ticket_id, order_id = uuid.uuid4(), uuid.uuid4()

    event_id = orders_publish(
        "order:created", order_created_data(order_id=order_id, ticket_id=ticket_id)
    )
    eventually(
        lambda: any(
            "not known here yet" in record["error"]
            for record in log_records(tickets_worker, "event arrived early; retrying")
        ),
        message=told(tickets_worker, "a failed delivery"),
    )
    # The failed attempt left nothing behind: no inbox row that would swallow the retry.
    assert not InboxEvent.objects.filter(event_id=event_id).exists()
    assert not OrderCopy.objects.filter(pk=order_id).exists()

    TicketFactory(id=ticket_id)

    eventually(
        lambda: ticket_status(ticket_id)[0] == Ticket.Status.RESERVED,
        message=told(tickets_worker, "ticket reserved on a retry"),
    )
    assert ticket_status(ticket_id) == (Ticket.Status.RESERVED, order_id, 1)
    assert InboxEvent.objects.filter(event_id=event_id).count() == 1
    assert not DeadLetter.objects.exists()
    # Logged once the handler's transaction has committed: a moment after the reservation shows.
    applied = eventually(lambda: log_records(tickets_worker, "event applied"), message="logged")
    assert [(record["event_id"], record["attempt"] > 1) for record in applied] == [
        (str(event_id), True)
    ]


def test_an_order_for_a_ticket_another_order_holds_waits_for_that_orders_cancellation(
    tickets_worker, orders_publish, bus
):
    ticket = ticket_create(user_id=uuid.uuid4(), title="Concert", price=Decimal("20.00"))
    first, second = uuid.uuid4(), uuid.uuid4()
    orders_publish("order:created", order_created_data(order_id=first, ticket_id=ticket.id))
    eventually(lambda: ticket_status(ticket.id)[1] == first, message="first order holds it")

    # The second order's creation overtakes the first one's cancellation (the orders service
    # let the first expire and took a second): it must wait for it, not be dropped.
    orders_publish("order:created", order_created_data(order_id=second, ticket_id=ticket.id))
    eventually(
        lambda: any(
            f"held by order {first}" in record["error"]
            for record in log_records(tickets_worker, "event arrived early; retrying")
        ),
        message=told(tickets_worker, "the second order waits"),
    )
    assert ticket_status(ticket.id) == (Ticket.Status.RESERVED, first, 1)
    orders_publish(
        "order:cancelled", {"id": str(first), "version": 1, "ticket": {"id": str(ticket.id)}}
    )

    eventually(
        lambda: ticket_status(ticket.id)[1] == second,
        message=told(tickets_worker, "second order holds it"),
    )
    assert ticket_status(ticket.id) == (Ticket.Status.RESERVED, second, 3)
    announced = eventually(
        lambda: len(ticket_updates_announced(bus)) == 3 and ticket_updates_announced(bus),
        message="three ticket:updated sent",
    )
    # Each sent on its own commit: consumers go by version, not by the order of the queue.
    versions = sorted((data["version"], data["orderId"]) for data in announced)
    assert versions == [
        (1, str(first)),
        (2, None),
        (3, str(second)),
    ]
    assert not DeadLetter.objects.exists()
