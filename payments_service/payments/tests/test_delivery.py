"""Payments on the bus with real parts: the suite's own redis-server as the broker
(`ticketing_shared.testing.private_broker`) and the payments service's own Celery worker
(`celery -A config.celery_app worker`), as deployed, on this test's database.

Orders is either the real service (its own worker and beat, on a database of its own migrated
by its own settings, its services called through its `manage.py shell`), or a stand-in
producer playing orders (`StandinPublisher`) where a test must choose exactly which events
reach payments, how often and in what order.

Tests commit (`transaction=True`): the processes read what the test wrote, and events leave on
commit only. Payments is paid through its own service here, in this process, on this database
(`payment_create`, or POST /api/payments): its `payment:created` leaves through the outbox on
commit, as in production. The card processor is the built-in test one, whose ledger
(`TestPaymentIntent`) is in this database too.

A cancelled order's money goes back outside the event's transaction: the handler asks for it
(`Payment.refund_requested_at`) and sends the task `payments.tasks.payment_refund` on commit;
payments' beat sends the sweep `payments_refund_due_sweep`, here every
`REFUND_SWEEP_SECONDS`, which does whatever is still asked for.
"""

import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from payments.models import OrderCopy, Payment, TestPaymentIntent
from payments.services import ORDER_CANCELLED, PAYMENT_REFUND_TASK, payment_create
from ticketing_shared.errors.exceptions import ApplicationError
from ticketing_shared.events.envelope import utc_milliseconds
from ticketing_shared.events.models import DeadLetter, InboxEvent
from ticketing_shared.events.names import events_queue, tasks_queue
from ticketing_shared.events.transport import envelope_send
from ticketing_shared.testing.bus.harness import (
    SOLO_POOL,
    STANDIN_TABLES,
    CeleryProcess,
    ConsumerDatabase,
    StandinPublisher,
    eventually,
    this_database_url,
    worker_argv,
    worker_environment,
)

pytestmark = pytest.mark.django_db(transaction=True)

PAYMENTS_SERVICE_DIR = Path(__file__).resolve().parents[2]
ORDERS_SERVICE_DIR = PAYMENTS_SERVICE_DIR.parent / "orders_service"
ORDERS_TABLES = (
    "orders_order",
    "orders_ticketcopy",
    "events_inboxevent",
    "events_deadletter",
    "events_outboxevent",
)
# Orders' sweep every half second, no grace: a due order is cancelled within about a second.
SWEEP_SECONDS = 0.5
# Long enough for an order made in orders to reach payments and be paid there first (both
# take well under a second here once the workers are up), short enough to wait out.
RACE_EXPIRATION_SECONDS = 8
# Payments' beat sends its refund sweep every second (production: 30 s).
REFUND_SWEEP_SECONDS = 1
REFUND_SWEEP_TASK = "payments.tasks.payments_refund_due_sweep"
# kombu's Redis transport keeps each message a worker took, until acknowledged, in this hash.
UNACKED_KEY = "unacked"


def orders_environment(expiration_seconds: int) -> dict:
    return {
        "ORDERS_EXPIRATION_SECONDS": str(expiration_seconds),
        "ORDERS_EXPIRATION_GRACE_SECONDS": "0",
        "ORDERS_EXPIRATION_SWEEP_SECONDS": str(SWEEP_SECONDS),
    }


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def payments_worker_start(processes, tmp_path):
    """Starts a payments worker as deployed (the settings' pool of threads unless
    `pool_options` says), on this test's database and the suite's broker; each in a log of
    its own."""
    count = 0

    def start(pool_options: tuple[str, ...] = ()) -> CeleryProcess:
        nonlocal count
        count += 1
        process = CeleryProcess(
            "payments",
            worker_argv("payments", pool_options=pool_options),
            payments_environment(),
            tmp_path / f"payments-worker-{count}.log",
            app="config.celery_app",
            cwd=PAYMENTS_SERVICE_DIR,
        )
        return processes(process)

    return start


@pytest.fixture
def payments_beat_start(processes, tmp_path):
    """Starts payments' beat as deployed (its refund sweep every REFUND_SWEEP_SECONDS), on
    this test's database and the suite's broker; the sweeps run in the payments workers."""

    def start() -> CeleryProcess:
        process = CeleryProcess(
            "payments",
            ["beat", "-l", "INFO", "-s", str(tmp_path / "payments-beat-schedule")],
            payments_environment(),
            tmp_path / "payments-beat.log",
            app="config.celery_app",
            cwd=PAYMENTS_SERVICE_DIR,
        )
        return processes(process, "beat: Starting...")

    return start


@pytest.fixture(scope="session")
def orders_database():
    """The orders service's database, made once for the run and migrated by orders itself."""
    database = ConsumerDatabase(
        "orders",
        name=f"ticketing_bustest_orders_payments_{os.getpid()}",
        service_dir=ORDERS_SERVICE_DIR,
    )
    database.create()
    yield database
    database.drop()


@pytest.fixture
def orders(orders_database, bus):
    orders_database.empty(*ORDERS_TABLES)
    return orders_database


@pytest.fixture
def orders_processes(orders, processes, tmp_path):
    """Starts the orders service's own worker (the settings' pool; `queues` narrows what it
    takes) or beat, as deployed, on orders' database and the suite's broker."""
    count = 0

    def start(
        kind: str = "worker", *, expiration_seconds: int, queues: str | None = None
    ) -> CeleryProcess:
        nonlocal count
        count += 1
        env = orders.environment(**orders_environment(expiration_seconds))
        if kind == "worker":
            argv = worker_argv("orders", pool_options=())
            if queues:
                argv += ["-Q", queues]
            ready_text = " ready."
        else:
            argv = ["beat", "-l", "INFO", "-s", str(tmp_path / "orders-beat-schedule")]
            ready_text = "beat: Starting..."
        process = CeleryProcess(
            "orders",
            argv,
            env,
            tmp_path / f"orders-{kind}-{count}.log",
            app="config.celery_app",
            cwd=ORDERS_SERVICE_DIR,
        )
        return processes(process, ready_text)

    return start


@pytest.fixture(scope="session")
def orders_standin_database():
    """The database of a stand-in for orders (its outbox), for the stand-in producer."""
    database = ConsumerDatabase("orders", name=f"ticketing_bustest_orders_standin_{os.getpid()}")
    database.create()
    yield database
    database.drop()


@pytest.fixture
def orders_standin(orders_standin_database, bus, tmp_path):
    """A stand-in producer playing orders: each event through its outbox and relay, to both
    consumers' queues (tickets' is read by nobody here)."""
    orders_standin_database.empty(*STANDIN_TABLES)
    publisher = StandinPublisher(
        "orders", orders_standin_database.url, tmp_path / "orders-standin.log"
    ).start()
    yield publisher
    publisher.stop()


# --- helpers ----------------------------------------------------------------------------------


def payments_environment() -> dict:
    return worker_environment(
        "payments",
        this_database_url(),
        DJANGO_SETTINGS_MODULE="config.settings",
        PAYMENTS_REFUND_SWEEP_SECONDS=str(REFUND_SWEEP_SECONDS),
    )


def told(*processes: CeleryProcess, expected: str):
    """What a failed wait says: what was expected, and the processes' latest log lines then."""
    return lambda: "\n".join(
        [expected, *(f"--- {p.log_path.name}:\n{p.log_tail()}" for p in processes)]
    )


def copy_state(order_id) -> tuple[str, int] | None:
    copy = OrderCopy.objects.filter(pk=order_id).first()
    return copy and (copy.status, copy.version)


def logged(*workers: CeleryProcess, text: str) -> int:
    return sum(text in line for w in workers for line in w.log_text().splitlines())


def refunds_logged(*workers: CeleryProcess) -> int:
    """How many refunds the workers recorded (payment_refund logs each)."""
    return logged(*workers, text="refunded (re_test_")


def tasks_received(*workers: CeleryProcess, name: str) -> int:
    """How many messages of task `name` the workers took (Celery logs each it receives)."""
    return sum(
        f"Task {name}[" in line and "received" in line
        for w in workers
        for line in w.log_text().splitlines()
    )


def task_ids(*workers: CeleryProcess, name: str) -> set[str]:
    """The ids of the messages of task `name` the workers took (one per task sent)."""
    prefix = f"Task {name}["
    return {
        line.split(prefix, 1)[1].split("]", 1)[0]
        for w in workers
        for line in w.log_text().splitlines()
        if prefix in line and "received" in line
    }


def sweeps_all_done(*workers: CeleryProcess) -> bool:
    """Every refund sweep the workers took has finished (none is still waiting on a lock)."""
    received = tasks_received(*workers, name=REFUND_SWEEP_TASK)
    return received > 0 and deliveries_done(*workers, subject=REFUND_SWEEP_TASK) == received


def deliveries_done(*workers: CeleryProcess, subject: str) -> int:
    """How many deliveries of `subject` the workers finished (Celery logs each success)."""
    return sum(
        f"Task {subject}[" in line and "succeeded" in line
        for w in workers
        for line in w.log_text().splitlines()
    )


def order_created_data(order_id, *, buyer_id, ticket_id, expires_at: datetime) -> dict:
    return {
        "id": str(order_id),
        "version": 0,
        "status": "created",
        "userId": str(buyer_id),
        "expiresAt": utc_milliseconds(expires_at),
        "ticket": {"id": str(ticket_id), "price": "20.00"},
    }


def order_changed_data(order_id, *, version: int, ticket_id) -> dict:
    return {"id": str(order_id), "version": version, "ticket": {"id": str(ticket_id)}}


def orders_shell(orders: ConsumerDatabase, code: str, **environment: str) -> str:
    """Runs `code` in the orders service (`manage.py shell -c`, on its database and the
    suite's broker): its own services, its outbox and its relay on commit. Returns what it
    printed."""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        env=orders.environment(**environment),
        cwd=ORDERS_SERVICE_DIR,
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def order_create_in_orders(
    orders: ConsumerDatabase, *, buyer_id: uuid.UUID, expiration_seconds: int
) -> uuid.UUID:
    """A ticket copy in orders (as tickets' event would leave it) and an order for it by
    `buyer_id`, through orders' own service."""
    code = (
        "import uuid, decimal\n"
        "from orders.models import TicketCopy\n"
        "from orders.services import order_create\n"
        "ticket = TicketCopy.objects.create(id=uuid.uuid4(), version=0, title='Concert',"
        " price=decimal.Decimal('20.00'), user_id=uuid.uuid4())\n"
        f"order = order_create(buyer_id=uuid.UUID('{buyer_id}'), ticket_id=ticket.id)\n"
        "print(order.id)"
    )
    output = orders_shell(orders, code, **orders_environment(expiration_seconds))
    return uuid.UUID(output.splitlines()[-1])


def race_order_create(orders: ConsumerDatabase, *workers: CeleryProcess, buyer_id) -> uuid.UUID:
    """An order made in orders for `buyer_id`, due in RACE_EXPIRATION_SECONDS, once payments
    holds its copy."""
    order_id = order_create_in_orders(
        orders, buyer_id=buyer_id, expiration_seconds=RACE_EXPIRATION_SECONDS
    )
    eventually(
        lambda: copy_state(order_id) == ("created", 0),
        message=told(*workers, expected="payments' copy of the new order"),
    )
    return order_id


def race_order_expired(order_id, *workers: CeleryProcess) -> None:
    """Waits for the order of `race_order_create` to expire in orders and be cancelled in
    payments."""
    eventually(
        lambda: copy_state(order_id) == ("cancelled", 1),
        timeout=RACE_EXPIRATION_SECONDS + 15,
        message=told(*workers, expected="the order expired in orders, cancelled in payments"),
    )


def order_in_orders(orders: ConsumerDatabase, order_id) -> tuple[str, int]:
    rows = orders.rows("SELECT status, version FROM orders_order WHERE id = %s", str(order_id))
    return rows[0]


def announced_by_orders(orders: ConsumerDatabase, order_id) -> list[tuple[str, int]]:
    rows = orders.rows(
        "SELECT subject, envelope FROM events_outboxevent ORDER BY position",
    )
    return [
        (subject, envelope["data"]["version"])
        for subject, envelope in rows
        if envelope["data"].get("id") == str(order_id)
    ]


def side_connection():
    """A connection of the test's own to this test's database, outside Django's (which the
    test and the workers go on using)."""
    settings_dict = connection.settings_dict
    return psycopg2.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
        user=settings_dict["USER"],
        dbname=settings_dict["NAME"],
    )


def backends_waiting_on(table: str) -> int:
    """Connections of this test's database waiting for a row lock of `table` (`SELECT ...
    FOR UPDATE`): a refund blocked inside the test processor (payments_testpaymentintent), or
    behind another refund of the same payment (payments_payment)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE %s AND query LIKE %s",
            [f'%FROM "{table}"%', "%FOR UPDATE%"],
        )
        return cursor.fetchone()[0]


def intent_locked(intent_id: str):
    """A connection of the test's own holding the row lock of `intent_id` in the test
    processor's ledger, as a slow processor would hold up a refund; `rollback()` releases it."""
    lock = side_connection()
    with lock.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM payments_testpaymentintent WHERE intent_id = %s FOR UPDATE",
            [intent_id],
        )
    return lock


def intents() -> list[tuple]:
    """The test processor's ledger: each intent's order, cards tried, status and refund."""
    return list(
        TestPaymentIntent.objects.values_list("order_id", "cards_tried", "status", "refund_id")
    )


def unacked_tasks(bus) -> list[str]:
    """The names of the tasks a worker took and has not acknowledged (kombu keeps them in a
    hash until then, and puts them back in their queue after the visibility timeout)."""
    names = []
    for raw in bus.client().hvals(UNACKED_KEY):
        message, _exchange, _routing_key = json.loads(raw)
        names.append(message["headers"].get("task"))
    return names


def paid_order_with_standin(
    orders_standin, worker: CeleryProcess
) -> tuple[uuid.UUID, uuid.UUID, Payment]:
    """An order announced by the stand-in for orders, copied by payments, and paid there with
    a card that succeeds. Returns (order id, ticket id, payment)."""
    order_id, buyer, ticket_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    orders_standin.publish(
        "order:created",
        order_created_data(
            order_id,
            buyer_id=buyer,
            ticket_id=ticket_id,
            expires_at=timezone.now() + timedelta(minutes=15),
        ),
    )
    eventually(
        lambda: copy_state(order_id) == ("created", 0),
        message=told(worker, expected="payments' copy of the new order"),
    )
    payment = payment_create(order_id=order_id, buyer_id=buyer, token="tok_visa")
    assert payment.status == Payment.Status.SUCCEEDED
    return order_id, ticket_id, payment


def payment_status(payment_id) -> str:
    return Payment.objects.values_list("status", flat=True).get(pk=payment_id)


# --- with orders --------------------------------------------------------------------------------


def test_an_order_paid_in_payments_becomes_complete_in_orders_and_in_payments_copy(
    sign_in, api_client, orders, orders_processes, payments_worker_start
):
    """Both services' own workers (and orders' beat, sweeping for expired orders), each on
    its database: orders announces the order, payments keeps its copy, the buyer pays over
    HTTP, payments announces the payment, orders completes the order and announces that, and
    payments' copy follows it to version 1, complete; nothing is to be given back."""
    expiration = 60
    workers = (
        orders_processes("worker", expiration_seconds=expiration),
        orders_processes("beat", expiration_seconds=expiration),
        payments_worker_start(),
    )
    buyer = uuid.uuid4()
    order_id = order_create_in_orders(orders, buyer_id=buyer, expiration_seconds=expiration)
    eventually(
        lambda: copy_state(order_id) == ("created", 0),
        message=told(*workers, expected="payments' copy of the new order"),
    )
    copy = OrderCopy.objects.get(pk=order_id)
    assert (copy.user_id, copy.price) == (buyer, Decimal("20.00"))

    sign_in(api_client, user_id=buyer)
    response = api_client.post(
        "/api/payments", {"orderId": str(order_id), "token": "tok_visa"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == 2000

    eventually(
        lambda: order_in_orders(orders, order_id) == ("complete", 1),
        message=told(*workers, expected="the order complete in orders"),
    )
    eventually(
        lambda: copy_state(order_id) == ("complete", 1),
        message=told(*workers, expected="payments' copy complete at version 1"),
    )
    assert announced_by_orders(orders, order_id) == [("order:created", 0), ("order:completed", 1)]
    payment = Payment.objects.get(order_id=order_id)
    assert (payment.status, payment.amount, payment.refund_id, payment.refund_requested_at) == (
        "succeeded",
        2000,
        "",
        None,
    )
    assert intents() == [(order_id, ["tok_visa"], "succeeded", "")]
    assert orders.rows("SELECT error FROM events_deadletter") == []
    assert not DeadLetter.objects.exists()


def test_an_order_orders_expires_before_applying_its_payment_is_refunded_and_stays_cancelled(
    orders, orders_processes, payments_worker_start, payments_beat_start
):
    """The race of contract §6: the buyer pays in time, but orders' worker is behind on its
    events (here it takes its own tasks only, the expiry sweep among them), so the order
    expires in orders with its payment not yet applied. Payments learns of the cancellation
    and gives the money back once, through the task sent on commit and beat's sweep (both
    run); once orders reads its events again, the payment changes nothing there (a cancelled
    order is never completed)."""
    sweeper = orders_processes(
        "worker", expiration_seconds=RACE_EXPIRATION_SECONDS, queues="orders.tasks"
    )
    beat = orders_processes("beat", expiration_seconds=RACE_EXPIRATION_SECONDS)
    payments_worker = payments_worker_start()
    payments_beat = payments_beat_start()
    workers = (sweeper, beat, payments_worker, payments_beat)
    buyer = uuid.uuid4()
    order_id = race_order_create(orders, *workers, buyer_id=buyer)
    payment = payment_create(order_id=order_id, buyer_id=buyer, token="tok_visa")
    assert OrderCopy.objects.get(pk=order_id).expires_at > timezone.now(), "paid too late"

    race_order_expired(order_id, *workers)
    eventually(
        lambda: payment_status(payment.id) == Payment.Status.REFUNDED,
        message=told(*workers, expected="the payment refunded"),
    )
    payment.refresh_from_db()
    assert payment.refund_id.startswith("re_test_")
    assert payment.refund_requested_at is not None
    assert intents() == [(order_id, ["tok_visa"], "succeeded", payment.refund_id)]
    assert order_in_orders(orders, order_id) == ("cancelled", 1)

    # Orders reads its events again: payment:created arrives for a cancelled order.
    reader = orders_processes("worker", expiration_seconds=RACE_EXPIRATION_SECONDS)
    eventually(
        lambda: deliveries_done(reader, subject="payment:created") == 1,
        message=told(reader, expected="payment:created applied in orders"),
    )
    assert order_in_orders(orders, order_id) == ("cancelled", 1)
    assert announced_by_orders(orders, order_id) == [("order:created", 0), ("order:cancelled", 1)]
    assert copy_state(order_id) == ("cancelled", 1)
    # Sweeps after the refund find nothing due; none refunds it again.
    eventually(
        lambda: deliveries_done(payments_worker, subject=REFUND_SWEEP_TASK) >= 2,
        message=told(payments_worker, payments_beat, expected="payments' refund sweeps"),
    )
    assert refunds_logged(payments_worker) == 1
    assert [refund_id for *_, refund_id in intents()] == [payment.refund_id]
    assert orders.rows("SELECT error FROM events_deadletter") == []
    assert not DeadLetter.objects.exists()


def test_an_expired_orders_declined_payment_has_its_intent_voided(
    orders, orders_processes, payments_worker_start, payments_beat_start
):
    """The buyer's card is declined: payments holds a pending payment (the intent made, never
    charged). The order expires in orders; payments learns of the cancellation and voids the
    intent (task or sweep), so no card can charge it any more: the payment ends cancelled,
    nothing refunded, and a later attempt to pay is refused."""
    workers = (
        orders_processes("worker", expiration_seconds=RACE_EXPIRATION_SECONDS),
        orders_processes("beat", expiration_seconds=RACE_EXPIRATION_SECONDS),
        payments_worker_start(),
        payments_beat_start(),
    )
    payments_worker = workers[2]
    buyer = uuid.uuid4()
    order_id = race_order_create(orders, *workers, buyer_id=buyer)
    with pytest.raises(ApplicationError, match="declined"):
        payment_create(order_id=order_id, buyer_id=buyer, token="tok_chargeDeclined")
    payment = Payment.objects.get(order_id=order_id)
    assert payment.status == Payment.Status.PENDING
    [(_, _, intent_status, _)] = intents()
    assert intent_status == TestPaymentIntent.Status.REQUIRES_PAYMENT_METHOD

    race_order_expired(order_id, *workers)
    eventually(
        lambda: payment_status(payment.id) == Payment.Status.CANCELLED,
        message=told(*workers, expected="the payment's intent voided"),
    )
    payment.refresh_from_db()
    assert (payment.refund_id, payment.refunded_at, payment.succeeded_at) == ("", None, None)
    assert payment.refund_requested_at is not None
    [(intent_order, _, intent_status, refund_id)] = intents()
    assert (intent_order, intent_status, refund_id) == (order_id, "canceled", "")
    assert order_in_orders(orders, order_id) == ("cancelled", 1)
    with pytest.raises(ApplicationError, match=ORDER_CANCELLED):
        payment_create(order_id=order_id, buyer_id=buyer, token="tok_visa")
    assert intents()[0][2] == "canceled"
    eventually(
        lambda: deliveries_done(payments_worker, subject=REFUND_SWEEP_TASK) >= 2,
        message=told(*workers, expected="payments' refund sweeps"),
    )
    assert logged(payments_worker, text="intent voided, nothing was charged") == 1
    assert refunds_logged(payments_worker) == 0
    assert orders.rows("SELECT error FROM events_deadletter") == []
    assert not DeadLetter.objects.exists()


# --- with a stand-in for orders -----------------------------------------------------------------


def test_a_paid_orders_cancellation_delivered_three_times_refunds_it_once(
    orders_standin, orders_standin_database, payments_worker_start, payments_beat_start, bus
):
    """order:cancelled of a paid order reaches payments three times while its worker is down:
    the message the relay sent, the same event again as a new message (a producer's relay
    repeated after a lost answer from the broker), and orders' replay of its outbox (which
    skips the inbox: versions decide). The deployed pool of threads takes them side by side.
    The refund is held inside the processor (a row lock this test takes on the intent) until
    another refund of the same payment waits behind it (beat's sweep, or the task's message
    delivered again after the visibility timeout): the charge is refunded once."""
    first_worker = payments_worker_start()
    order_id, ticket_id, payment = paid_order_with_standin(orders_standin, first_worker)
    first_worker.stop()

    event_id = orders_standin.publish(
        "order:cancelled", order_changed_data(order_id, version=1, ticket_id=ticket_id)
    )
    [(envelope,)] = orders_standin_database.rows(
        "SELECT envelope FROM events_outboxevent WHERE event_id = %s", event_id
    )
    envelope_send(envelope, consumer="payments")
    replay = subprocess.run(
        [sys.executable, "-m", "django", "events_replay", "--to", "payments"],
        env=orders_standin_database.environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert replay.returncode == 0, replay.stderr
    # The cancellation twice, and the replay's created and cancelled.
    assert bus.queue_length(events_queue("payments")) == 4

    lock = intent_locked(payment.charge_id)
    try:
        second_worker = payments_worker_start()
        beat = payments_beat_start()
        eventually(
            lambda: (
                deliveries_done(second_worker, subject="order:cancelled") == 3
                and deliveries_done(second_worker, subject="order:created") == 1
            ),
            message=told(second_worker, expected="the four deliveries done"),
        )
        eventually(
            lambda: (
                backends_waiting_on("payments_testpaymentintent") == 1
                and backends_waiting_on("payments_payment") >= 1
            ),
            message=told(
                second_worker, beat, expected="a refund in the processor, another behind it"
            ),
        )
    finally:
        lock.rollback()
        lock.close()

    eventually(
        lambda: payment_status(payment.id) == Payment.Status.REFUNDED,
        message=told(second_worker, expected="the payment refunded"),
    )
    eventually(
        lambda: backends_waiting_on("payments_payment") == 0 and sweeps_all_done(second_worker),
        message=told(second_worker, beat, expected="the sweeps that waited, done"),
    )
    payment.refresh_from_db()
    assert payment.refund_id.startswith("re_test_")
    assert intents() == [(order_id, ["tok_visa"], "succeeded", payment.refund_id)]
    # One task was sent (the first cancellation applied; the others changed nothing). Held
    # past the visibility timeout (3 s here), its message may be delivered again meanwhile and
    # run side by side with itself: that run too finds the payment refunded.
    eventually(
        lambda: (
            deliveries_done(second_worker, subject=PAYMENT_REFUND_TASK)
            == tasks_received(second_worker, name=PAYMENT_REFUND_TASK)
        ),
        message=told(second_worker, expected="every run of the refund task done"),
    )
    assert len(task_ids(second_worker, name=PAYMENT_REFUND_TASK)) == 1
    assert refunds_logged(second_worker) == 1
    assert copy_state(order_id) == ("cancelled", 1)
    assert list(InboxEvent.objects.filter(event_id=event_id).values_list("subject", flat=True)) == [
        "order:cancelled"
    ]
    assert not DeadLetter.objects.exists()


def _refund_held_and_worker_killed(orders_standin, payments_worker_start, bus):
    """A paid order cancelled; the refund task taken by a solo worker and held inside the
    processor (a row lock this test takes on the intent); the worker killed (kill -9) there,
    then the lock released. Returns (payment, the dead worker)."""
    first_worker = payments_worker_start(SOLO_POOL)
    order_id, ticket_id, payment = paid_order_with_standin(orders_standin, first_worker)
    lock = intent_locked(payment.charge_id)
    try:
        event_id = orders_standin.publish(
            "order:cancelled", order_changed_data(order_id, version=1, ticket_id=ticket_id)
        )
        eventually(
            lambda: backends_waiting_on("payments_testpaymentintent") == 1,
            message=told(first_worker, expected="the refund waiting inside the processor"),
        )
        first_worker.kill()
    finally:
        lock.rollback()
        lock.close()
    # The event's transaction had committed (copy, inbox row, refund asked for); the refund
    # had begun in the task's own and never committed; the task was never acknowledged.
    assert copy_state(order_id) == ("cancelled", 1)
    assert InboxEvent.objects.filter(event_id=event_id).count() == 1
    payment.refresh_from_db()
    assert (payment.status, payment.refund_id) == (Payment.Status.SUCCEEDED, "")
    assert payment.refund_requested_at is not None
    assert intents() == [(order_id, ["tok_visa"], "succeeded", "")]
    assert refunds_logged(first_worker) == 0
    assert unacked_tasks(bus) == [PAYMENT_REFUND_TASK]
    assert bus.queue_length(tasks_queue("payments")) == 0
    return payment, first_worker


def test_a_worker_killed_mid_refund_leaves_it_to_the_task_delivered_again_once(
    orders_standin, payments_worker_start, bus
):
    """The worker dies inside the refund task: its message, never acknowledged, goes back to
    the queue after the visibility timeout, and the next worker (no beat here: no sweep) runs
    it again and refunds once."""
    payment, first_worker = _refund_held_and_worker_killed(
        orders_standin, payments_worker_start, bus
    )
    second_worker = payments_worker_start(SOLO_POOL)
    eventually(
        lambda: payment_status(payment.id) == Payment.Status.REFUNDED,
        message=told(second_worker, expected="the refund task delivered again, and done"),
    )
    payment.refresh_from_db()
    assert intents() == [(payment.order_id, ["tok_visa"], "succeeded", payment.refund_id)]
    assert tasks_received(second_worker, name=PAYMENT_REFUND_TASK) == 1
    assert tasks_received(second_worker, name=REFUND_SWEEP_TASK) == 0
    assert refunds_logged(first_worker, second_worker) == 1
    eventually(lambda: unacked_tasks(bus) == [], message="the task acknowledged")
    assert not DeadLetter.objects.exists()


def test_a_worker_killed_mid_refund_whose_task_is_lost_leaves_it_to_the_sweep_once(
    orders_standin, payments_worker_start, payments_beat_start, bus
):
    """As above, but the task's message is lost with the worker (here removed from the
    broker): the refund was asked for in the database, so beat's sweep gives the money back,
    once."""
    payment, first_worker = _refund_held_and_worker_killed(
        orders_standin, payments_worker_start, bus
    )
    bus.client().delete(UNACKED_KEY, f"{UNACKED_KEY}_index")
    assert unacked_tasks(bus) == []

    second_worker = payments_worker_start()
    beat = payments_beat_start()
    eventually(
        lambda: payment_status(payment.id) == Payment.Status.REFUNDED,
        message=told(second_worker, beat, expected="the sweep's refund"),
    )
    payment.refresh_from_db()
    assert intents() == [(payment.order_id, ["tok_visa"], "succeeded", payment.refund_id)]
    assert tasks_received(second_worker, name=PAYMENT_REFUND_TASK) == 0
    assert f"{REFUND_SWEEP_TASK}[" in second_worker.log_text()
    assert refunds_logged(first_worker, second_worker) == 1
    assert not DeadLetter.objects.exists()


def test_a_cancellation_before_the_orders_creation_waits_for_it(
    orders_standin, payments_worker_start
):
    """order:cancelled reaches payments before order:created (another path, a redelivery):
    it is retried until the copy exists, then applied, and the copy ends as orders left it."""
    order_id, ticket_id = uuid.uuid4(), uuid.uuid4()
    worker = payments_worker_start()
    orders_standin.publish(
        "order:cancelled", order_changed_data(order_id, version=1, ticket_id=ticket_id)
    )
    eventually(
        lambda: "event arrived early; retrying" in worker.log_text(),
        message=told(worker, expected="the cancellation tried, and waiting"),
    )
    assert copy_state(order_id) is None

    orders_standin.publish(
        "order:created",
        order_created_data(
            order_id,
            buyer_id=uuid.uuid4(),
            ticket_id=ticket_id,
            expires_at=timezone.now() + timedelta(minutes=15),
        ),
    )
    eventually(
        lambda: copy_state(order_id) == ("cancelled", 1),
        message=told(worker, expected="the cancellation applied after the creation"),
    )
    assert InboxEvent.objects.filter(subject__startswith="order:").count() == 2
    assert not DeadLetter.objects.exists()
    assert not Payment.objects.exists()
    assert tasks_received(worker, name=PAYMENT_REFUND_TASK) == 0
