"""Orders on the bus with real parts: the suite's own redis-server as the broker
(`ticketing_shared.testing.private_broker`), and the orders service's own Celery worker and beat
(`celery -A config.celery_app worker` / `beat`), as deployed, on this test's database.

Tests commit (`transaction=True`): the processes read what the test wrote, and events leave on
commit only. Expiry runs on seconds here: orders expire `EXPIRATION_SECONDS` after they are
made, with no grace, and beat sends the sweep every `SWEEP_SECONDS`.
"""

from datetime import datetime
from pathlib import Path

import pytest
from django.db import connection

from orders.models import Order
from orders.services import ORDER_EXPIRY_TASK, order_complete_for_payment
from orders.tests.factories import TicketCopyFactory
from ticketing_shared.events.models import OutboxEvent
from ticketing_shared.testing.bus.harness import (
    CeleryProcess,
    eventually,
    worker_argv,
    worker_environment,
)

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS_SERVICE_DIR = Path(__file__).resolve().parents[2]
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
def bus(bus_redis):
    """The suite's broker, empty for each test."""
    bus_redis.client().flushall()
    return bus_redis


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
def orders_processes(transactional_db, bus, tmp_path):
    """Starts the orders service's own worker (the settings' pool of threads) or beat on this
    test's database and the suite's broker; stops them after the test, before its database is
    emptied, since they work on it."""
    started: list[CeleryProcess] = []
    env = worker_environment(
        "orders",
        _this_database_url(),
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
        started.append(process)
        return process.start(ready_text=ready_text)

    yield start
    for process in started:
        process.stop()


# --- helpers ----------------------------------------------------------------------------------


def _this_database_url() -> str:
    settings_dict = connection.settings_dict
    return (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}"
    )


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
