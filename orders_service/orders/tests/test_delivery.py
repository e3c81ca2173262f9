"""Orders on the bus with real parts: the suite's own redis-server as the broker
(`ticketing_shared.testing.private_broker`), and the orders service's own Celery worker and beat
(`celery -A config.celery_app worker` / `beat`), as deployed, on this test's database.

Tests commit (`transaction=True`): the processes read what the test wrote, and events leave on
commit only. Expiry runs on seconds here: orders expire `EXPIRATION_SECONDS` after they are
made, with no grace, and beat sends the sweep every `SWEEP_SECONDS`.

With tickets, the tickets service's own worker runs beside them on the same broker, on a
database of its own (this test database holds orders' tables, not tickets'), migrated by
tickets' own settings; tickets' services are called there through its `manage.py shell`.
"""

import base64
import json
import os
import subprocess
import sys
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from orders.models import Order, TicketCopy
from orders.services import ORDER_EXPIRY_TASK, order_complete_for_payment
from orders.tests.factories import TicketCopyFactory
from ticketing_shared.events.models import DeadLetter, OutboxEvent
from ticketing_shared.events.names import events_queue
from ticketing_shared.testing.bus.harness import (
    SOLO_POOL,
    CeleryProcess,
    ConsumerDatabase,
    eventually,
    this_database_url,
    worker_argv,
    worker_environment,
)

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS_SERVICE_DIR = Path(__file__).resolve().parents[2]
TICKETS_SERVICE_DIR = ORDERS_SERVICE_DIR.parent / "tickets_service"
EXPIRATION_SECONDS = 2
SWEEP_SECONDS = 0.5
# What a cancellation may take beyond one sweep period once a worker is up: beat's own timer
# (it wakes when an entry is due, a few milliseconds late), the sweep's trip through Redis to
# the worker, one query and one commit. Measured under 0.1 s on this machine (2 cores); 1 s
# leaves room for a loaded CI run without hiding a missed sweep (a period is 0.5 s, and a sweep
# that never runs misses by the whole wait).
TOLERANCE_SECONDS = 1.0
EXPIRY_ENVIRONMENT = {
    "ORDERS_EXPIRATION_SECONDS": str(EXPIRATION_SECONDS),
    "ORDERS_EXPIRATION_GRACE_SECONDS": "0",
    "ORDERS_EXPIRATION_SWEEP_SECONDS": str(SWEEP_SECONDS),
}


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def expiry_settings(settings):
    """The test's own process (the API) gives orders the same short life as the workers."""
    settings.ORDERS_EXPIRATION_SECONDS = EXPIRATION_SECONDS
    settings.ORDERS_EXPIRATION_GRACE_SECONDS = 0
    return settings


@pytest.fixture
def sweep_alone(expiry_settings):
    """No expiry task at creation (the fast path, orders.services): it is sent only for a
    window shorter than the broker's visibility timeout, so a timeout shorter than the window
    leaves expiry to the sweep alone, as in production (15 minutes against 5)."""
    options = expiry_settings.CELERY_BROKER_TRANSPORT_OPTIONS
    expiry_settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        **options,
        "visibility_timeout": EXPIRATION_SECONDS - 1,
    }
    return expiry_settings


@pytest.fixture
def orders_processes(processes, tmp_path):
    """Starts the orders service's own worker (the settings' pool of threads) or beat, as
    deployed, on this test's database and the suite's broker."""
    env = worker_environment(
        "orders",
        this_database_url(),
        DJANGO_SETTINGS_MODULE="config.settings",
        **EXPIRY_ENVIRONMENT,
    )

    def start(kind: str = "worker") -> CeleryProcess:
        if kind == "worker":
            argv, ready_text = worker_argv("orders", pool_options=()), " ready."
        else:
            # Its schedule file in the test's folder, not the service's.
            argv = ["beat", "-l", "INFO", "-s", str(tmp_path / "beat-schedule")]
            ready_text = "beat: Starting..."
        process = CeleryProcess(
            "orders",
            argv,
            env,
            tmp_path / f"orders-{kind}.log",
            app="config.celery_app",
            cwd=ORDERS_SERVICE_DIR,
        )
        return processes(process, ready_text)

    return start


@pytest.fixture(scope="session")
def tickets_database():
    """The tickets service's database, made once for the run and migrated by tickets itself."""
    database = ConsumerDatabase(
        "tickets",
        name=f"ticketing_bustest_tickets_orders_{os.getpid()}",
        service_dir=TICKETS_SERVICE_DIR,
    )
    database.create()
    yield database
    database.drop()


@pytest.fixture
def tickets(tickets_database, bus):
    tickets_database.empty(
        "tickets_ticket",
        "tickets_ordercopy",
        "events_inboxevent",
        "events_deadletter",
        "events_outboxevent",
    )
    return tickets_database


@pytest.fixture
def tickets_worker_start(tickets, processes, tmp_path):
    """Starts the tickets service's own worker, as deployed (the settings' pool of threads
    unless `pool_options` says), on its database and the suite's broker."""

    def start(pool_options: tuple[str, ...] = (), **environment: str) -> CeleryProcess:
        process = CeleryProcess(
            "tickets",
            worker_argv("tickets", pool_options=pool_options),
            tickets.environment(**environment),
            tmp_path / "tickets-worker.log",
            app="config.celery_app",
            cwd=TICKETS_SERVICE_DIR,
        )
        return processes(process)

    return start


# --- helpers ----------------------------------------------------------------------------------


def order_buy(client, ticket_id) -> dict:
    response = client.post("/api/orders", {"ticketId": str(ticket_id)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def order_status(order_id) -> str:
    return Order.objects.get(pk=order_id).status


def announced(order_id) -> list[tuple[str, int]]:
    """The events the outbox holds for the order, (subject, version), in commit order."""
    return [
        (event.subject, event.envelope["data"]["version"])
        for event in OutboxEvent.objects.filter(envelope__data__id=str(order_id))
    ]


def told(*processes: CeleryProcess, expected: str):
    """What a failed wait says: what was expected, and the processes' latest log lines then."""
    return lambda: "\n".join(
        [expected, *(f"--- {p.log_path.name}:\n{p.log_tail()}" for p in processes)]
    )


def sweeps_done(worker: CeleryProcess) -> int:
    """How many sweeps the worker has finished (Celery logs each task that succeeded)."""
    return sum(
        "Task orders.tasks.orders_expire_due[" in line and "succeeded" in line
        for line in worker.log_text().splitlines()
    )


def tickets_shell(tickets: ConsumerDatabase, code: str) -> str:
    """Runs `code` in the tickets service (`manage.py shell -c`, on its database and the
    suite's broker): its own services, its outbox and its relay on commit. Returns what it
    printed."""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        env=tickets.environment(),
        cwd=TICKETS_SERVICE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def ticket_create_in_tickets(tickets: ConsumerDatabase, *, seller: uuid.UUID) -> uuid.UUID:
    code = (
        "import uuid, decimal\n"
        "from tickets.services import ticket_create\n"
        f"ticket = ticket_create(user_id=uuid.UUID('{seller}'), title='Concert',"
        " price=decimal.Decimal('20.00'))\n"
        "print(ticket.id)"
    )
    return uuid.UUID(tickets_shell(tickets, code).splitlines()[-1])


def ticket_in_tickets(tickets: ConsumerDatabase, ticket_id) -> dict | None:
    rows = tickets.rows(
        "SELECT version, title, price, user_id, status, order_id FROM tickets_ticket WHERE id = %s",
        str(ticket_id),
    )
    if not rows:
        return None
    version, title, price, user_id, status, order_id = rows[0]
    return {
        "version": version,
        "title": title,
        "price": price,
        "user_id": uuid.UUID(str(user_id)),
        "status": status,
        "order_id": order_id and uuid.UUID(str(order_id)),
    }


def ticket_copy_in_orders(ticket_id) -> dict | None:
    copy = TicketCopy.objects.filter(pk=ticket_id).first()
    if copy is None:
        return None
    return {
        "version": copy.version,
        "title": copy.title,
        "price": copy.price,
        "user_id": copy.user_id,
    }


def copy_matches_ticket(tickets: ConsumerDatabase, ticket_id, *, version: int) -> bool:
    ticket = ticket_in_tickets(tickets, ticket_id)
    if ticket is None or ticket["version"] != version:
        return False
    shared = {field: ticket[field] for field in ("version", "title", "price", "user_id")}
    return ticket_copy_in_orders(ticket_id) == shared


def message_to_the_head_of_the_queue(bus, queue: str, *, order_id: str, subject: str) -> None:
    """Moves the message of `subject` for the order to the head of `queue`, to be delivered
    next (kombu pushes on the left and pops on the right; each body is Celery's [args, kwargs,
    ...], base64-encoded, args[0] the event's envelope)."""
    client = bus.client()
    for raw in client.lrange(queue, 0, -1):
        args, _kwargs, _embed = json.loads(base64.b64decode(json.loads(raw)["body"]))
        if args[0]["subject"] == subject and args[0]["data"]["id"] == order_id:
            assert client.lrem(queue, 1, raw) == 1
            client.rpush(queue, raw)
            return
    raise AssertionError(f"no {subject} of order {order_id} in {queue}")


# --- expiry -------------------------------------------------------------------------------------


def test_an_order_expires_within_a_sweep_period_although_its_worker_crashed(
    signed_in_client, sweep_alone, orders_processes
):
    ticket = TicketCopyFactory()
    beat = orders_processes("beat")
    first_worker = orders_processes("worker")
    eventually(
        lambda: sweeps_done(first_worker), message=told(beat, first_worker, expected="a sweep")
    )

    order = order_buy(signed_in_client, ticket.id)
    expires_at = datetime.fromisoformat(order["expiresAt"])
    # As a crash would, between sweeps or in one: what it held goes back to the queue unacked.
    first_worker.kill()
    assert order_status(order["id"]) == Order.Status.CREATED

    second_worker = orders_processes("worker")
    ready_at = datetime.now(expires_at.tzinfo)
    eventually(
        lambda: order_status(order["id"]) == Order.Status.CANCELLED,
        timeout=EXPIRATION_SECONDS + 10,
        message=told(beat, second_worker, expected="the order cancelled by a sweep"),
    )

    cancelled = Order.objects.get(pk=order["id"])
    # When the sweep wrote it (its own clock, not this test's polling), from when it was due:
    # its expiry, or the moment a worker was there again if that came later (the worker takes
    # about 3 s to start here, longer than the order's life).
    late = (cancelled.updated_at - max(expires_at, ready_at)).total_seconds()
    assert cancelled.updated_at >= expires_at
    assert late <= SWEEP_SECONDS + TOLERANCE_SECONDS, f"cancelled {late:.2f}s after it was due"
    assert cancelled.version == 1
    # Exactly one cancellation, whatever sweeps ran (those beat sent while no worker ran come
    # all at once): the copies other services keep see version 1, once.
    eventually(
        lambda: not OutboxEvent.objects.filter(published_at__isnull=True).exists(),
        message=told(beat, second_worker, expected="the outbox relayed"),
    )
    assert announced(order["id"]) == [("order:created", 0), ("order:cancelled", 1)]
    # The sweep did it: no expiry task was sent to either worker.
    assert f"Task {ORDER_EXPIRY_TASK}[" not in first_worker.log_text() + second_worker.log_text()


def test_a_complete_order_past_its_expiry_is_never_cancelled(
    sign_in, api_client, expiry_settings, orders_processes
):
    """Neither by the sweep nor by the expiry task sent when it was made (the fast path, which
    this test leaves on)."""
    beat = orders_processes("beat")
    worker = orders_processes("worker")
    sign_in(api_client)
    paid = order_buy(api_client, TicketCopyFactory().id)
    order_complete_for_payment(order_id=paid["id"])
    # An open order made after it, so due no earlier: once it is cancelled, the paid order is
    # past its expiry too, and every sweep after that sees it so.
    witness = order_buy(api_client, TicketCopyFactory().id)
    assert witness["expiresAt"] >= paid["expiresAt"]

    eventually(
        lambda: order_status(witness["id"]) == Order.Status.CANCELLED,
        timeout=EXPIRATION_SECONDS + 10,
        message=told(beat, worker, expected="the open order cancelled"),
    )
    after = sweeps_done(worker)
    eventually(
        lambda: sweeps_done(worker) >= after + 3,
        message=told(beat, worker, expected="three sweeps more"),
    )

    completed = Order.objects.get(pk=paid["id"])
    assert (completed.status, completed.version) == (Order.Status.COMPLETE, 1)
    assert announced(paid["id"]) == [("order:created", 0), ("order:completed", 1)]
    assert announced(witness["id"]) == [("order:created", 0), ("order:cancelled", 1)]


# --- with tickets -------------------------------------------------------------------------------


def test_after_buy_cancel_and_buy_by_another_the_copy_in_orders_is_the_ticket_in_tickets(
    sign_in, api_client, tickets, tickets_worker_start, orders_processes
):
    """Both services' own workers, each on its database: tickets announces the ticket, orders
    keeps a copy and announces orders, tickets reserves, frees and reserves again, each a
    version up, and orders' copy follows it at every step, version included."""
    workers = (tickets_worker_start(), orders_processes("worker"))
    seller = uuid.uuid4()
    ticket_id = ticket_create_in_tickets(tickets, seller=seller)
    eventually(
        lambda: copy_matches_ticket(tickets, ticket_id, version=0),
        message=told(*workers, expected="orders' copy of the new ticket"),
    )

    first_buyer = sign_in(api_client)
    first = order_buy(api_client, ticket_id)
    eventually(
        lambda: copy_matches_ticket(tickets, ticket_id, version=1),
        message=told(*workers, expected="reserved for the first order, in both"),
    )
    assert ticket_in_tickets(tickets, ticket_id)["order_id"] == uuid.UUID(first["id"])

    assert api_client.delete(f"/api/orders/{first['id']}").status_code == 204
    eventually(
        lambda: copy_matches_ticket(tickets, ticket_id, version=2),
        message=told(*workers, expected="free again, in both"),
    )
    assert ticket_in_tickets(tickets, ticket_id)["status"] == "available"

    second_buyer = sign_in(api_client)
    assert second_buyer.id != first_buyer.id
    second = order_buy(api_client, ticket_id)
    eventually(
        lambda: copy_matches_ticket(tickets, ticket_id, version=3),
        message=told(*workers, expected="reserved for the second order, in both"),
    )

    ticket = ticket_in_tickets(tickets, ticket_id)
    assert (ticket["status"], ticket["order_id"]) == ("reserved", uuid.UUID(second["id"]))
    assert ticket_copy_in_orders(ticket_id) == {
        "version": 3,
        "title": "Concert",
        "price": Decimal("20.00"),
        "user_id": seller,
    }
    assert tickets.rows("SELECT error FROM events_deadletter") == []
    assert not DeadLetter.objects.exists()


def test_a_second_buyers_order_overtaking_the_first_ones_events_ends_as_in_order(
    sign_in, api_client, tickets, tickets_worker_start, orders_processes, bus
):
    """Buy, cancel, buy again by another, all three order events reaching tickets while its
    worker is down, and the second order's creation delivered first: as a pool of threads
    takes them side by side (seen here in about one run of four with the deployed pool), or
    as a redelivery after a crash puts a message behind later ones. Tickets must end where
    the events in order lead: the ticket held by the second order, nothing dead-lettered,
    and orders' copy equal to it."""
    orders_worker = orders_processes("worker")
    ticket_id = ticket_create_in_tickets(tickets, seller=uuid.uuid4())
    eventually(
        lambda: copy_matches_ticket(tickets, ticket_id, version=0),
        message=told(orders_worker, expected="orders' copy of the new ticket"),
    )
    sign_in(api_client)
    first = order_buy(api_client, ticket_id)
    assert api_client.delete(f"/api/orders/{first['id']}").status_code == 204
    sign_in(api_client)
    second = order_buy(api_client, ticket_id)
    queue = events_queue("tickets")
    eventually(lambda: bus.queue_length(queue) == 3, message="three order events for tickets")
    message_to_the_head_of_the_queue(bus, queue, order_id=second["id"], subject="order:created")

    # One event at a time, and a short budget for early ones (about 4 s): the order of
    # delivery is the one set above, and a wait that cannot end ends soon.
    tickets_worker = tickets_worker_start(SOLO_POOL, EVENTS_MAX_EARLY_ATTEMPTS="6")
    eventually(
        lambda: (
            len(tickets.rows("SELECT 1 FROM events_inboxevent")) == 3
            or tickets.rows("SELECT 1 FROM events_deadletter")
        ),
        timeout=30,
        message=told(tickets_worker, expected="the three order events applied or given up"),
    )

    assert tickets.rows("SELECT subject, error FROM events_deadletter") == []
    ticket = ticket_in_tickets(tickets, ticket_id)
    assert (ticket["status"], ticket["order_id"]) == ("reserved", uuid.UUID(second["id"]))
    eventually(
        lambda: copy_matches_ticket(tickets, ticket_id, version=ticket["version"]),
        message=told(tickets_worker, orders_worker, expected="orders' copy at the ticket's"),
    )
