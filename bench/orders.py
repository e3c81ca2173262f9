"""Orders benchmark: `POST /api/orders` under gunicorn beside the bare Django baseline of the same
run, and how late orders expire (their cancellation's time minus their `expiresAt`) with the
real Celery worker and beat.

Load: the orders service as production runs it (`gunicorn -c python:ticketing_shared.gunicorn_conf
config.wsgi:application` from `orders_service/`, production's variables as bench/http_reads.py
sets them, its own database `ticketing_bench_orders_<pid>` and a private `redis-server`), the
ticket copies written straight into its database, buyers signed in by RS256 access tokens made
with a throwaway key pair as auth makes them. `wrk` (bench/orders_post.lua) posts
`{"ticketId": ...}` for a ticket nobody holds yet, every request a fresh one, and counts every
answer that is not 201. Beside it, in the same run and under the same gunicorn settings, the
bare Django view of `bench/baseline/` and the same with one SQL row read by id. `--runs` runs of
`--seconds` each, interleaved.

Expiry: the service's worker and beat (`celery -A config.celery_app worker -l INFO`, `... beat
-l INFO -s ...`, as deployed) with a short window (`--window`), the default grace (`--grace`)
and sweep period (`--sweep`); `--orders` orders are made in this process by
`orders.services.order_create` (as the view calls it) over `--spread` seconds, then the
benchmark waits until every one is cancelled and reads `updated_at - expires_at`. Twice: with
the fast path (the ETA task sent at creation) and with the sweep alone (no task sent: the
visibility timeout this process reads is made shorter than the window, as production's 300 s
against its 15 minutes).

    cd /work/main && uv run python bench/orders.py [--runs 3] [--seconds 10] [--connections 16]
        [--orders 300] [--window 3] [--grace 5] [--sweep 2] [--only load|expiry]

Everything it starts (gunicorn, worker, beat, redis) is stopped and its database dropped at the
end, on Ctrl-C too.
"""

import argparse
import contextlib
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

# bench/http_reads.py's servers, load and CPU figures, imported rather than written again.
import http_reads as reads
from http_reads import (
    BASELINE_PATH,
    BENCH_DIR,
    PUBLIC_HOST,
    REPO_ROOT,
    WRK_SCRIPT,
    Gunicorn,
    Sample,
    Scenario,
    code_revision,
    cpu_ceiling,
    free_port,
    machine_busy_share,
    production_environment,
    raise_keyboard_interrupt,
    spread,
    static_collect,
    wrk_run,
)

from ticketing_shared.keys import generate_key_pair
from ticketing_shared.testing.bus.harness import CeleryProcess, RedisServer, eventually
from ticketing_shared.testing.tokens import access_token_mint

ORDERS_DIR = REPO_ROOT / "orders_service"
LUA_SCRIPT = BENCH_DIR / "orders_post.lua"
DATABASE = f"ticketing_bench_orders_{os.getpid()}"
# http_reads' helpers name the benchmark's database by this global (the servers' DATABASE_URL,
# the PostgreSQL backends whose CPU wrk_run counts, the drop at the end): this one's, here.
reads.DATABASE = DATABASE
WARM_UP_SECONDS = 2
BUYERS = 16
TOKEN_LIFETIME = timedelta(hours=6)
FIRST_FILL = 10_000  # ticket copies; topped up before a run that might run out
# The caller's settings of orders must not leak into the servers either.
ORDERS_PREFIX = "ORDERS_"
SWEEP_ALONE_VISIBILITY_TIMEOUT = 1  # seconds: shorter than any window, so no task is sent
READY_TIMEOUT = 60

# Celery's line for a task that returned (-l INFO), as the worker's JSON log holds it.
TASK_RETURNED = re.compile(
    r"orders\.tasks\.(order_expire_if_due|orders_expire_due)\[[^\]]+\] succeeded in "
    r"([0-9.e-]+)s: (\w+)"
)
# Celery's line for a sweep beat sent that no worker took within its `expires` (five periods).
SWEEP_DISCARDED = "Discarding revoked task: orders.tasks.orders_expire_due["
PROBLEM_MARKS = (
    *(f'"level": "{level}"' for level in ("WARNING", "ERROR", "CRITICAL")),
    *(f"[{level}]" for level in ("WARNING", "ERROR", "CRITICAL")),
    "Traceback",
)


# --- set-up -----------------------------------------------------------------------------------


def orders_environment(environment: dict[str, str], args, *, expiry: bool) -> dict[str, str]:
    """Production's environment for orders (its allowed host), none of the caller's ORDERS_*;
    with `expiry`, the short window, grace and sweep period of the expiry phases."""
    orders = {
        name: value for name, value in environment.items() if not name.startswith(ORDERS_PREFIX)
    }
    orders["DJANGO_ALLOWED_HOSTS"] = f"{PUBLIC_HOST},orders"
    if expiry:
        orders.update(
            ORDERS_EXPIRATION_SECONDS=str(args.window),
            ORDERS_EXPIRATION_GRACE_SECONDS=str(args.grace),
            ORDERS_EXPIRATION_SWEEP_SECONDS=str(args.sweep),
        )
    return orders


def django_setup_orders(environment: dict[str, str]) -> None:
    """This process as the orders service (production's settings, the expiry phases' window):
    to migrate, collect static files, write ticket copies and make the expiry phases' orders."""
    os.environ.clear()
    os.environ.update(environment, DJANGO_SETTINGS_MODULE="config.settings")
    sys.path.insert(0, str(ORDERS_DIR))
    import django

    django.setup()


def log_to_file(path: Path) -> None:
    """This process's log lines (one JSON line per event sent, at INFO) to a file, as the
    servers' go to theirs, rather than between the progress lines."""
    import logging

    stream = path.open("a")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)


def database_prepare() -> None:
    from django.core.management import call_command
    from django.db import connection

    reads.database_drop()
    reads.postgres_admin(f'CREATE DATABASE "{DATABASE}"')
    print(f"migrating {DATABASE}...", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    # What the "bare + 1 SQL row" baseline reads (bench/baseline/views.py): the copies, as the
    # tickets table it names.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE VIEW tickets_ticket AS SELECT id, title, price, user_id, version, "
            "NULL::uuid AS order_id, 'available'::text AS status FROM orders_ticketcopy"
        )


def ticket_copies_add(count: int) -> list[str]:
    """`count` new ticket copies, as tickets' events would have left them, from 500 sellers
    (never one of the buyers); returns their ids."""
    from orders.models import TicketCopy

    chooser = random.Random()  # noqa: S311 (titles and prices, not secrets)
    sellers = [uuid.uuid4() for _ in range(500)]
    copies = [
        TicketCopy(
            id=uuid.uuid4(),
            title=f"Concert {chooser.randint(1, 999)}: row {chooser.randint(1, 40)}",
            price=Decimal(chooser.randint(500, 25_000)) / 100,
            user_id=chooser.choice(sellers),
            version=0,
        )
        for _ in range(count)
    ]
    TicketCopy.objects.bulk_create(copies, batch_size=5000)
    return [str(copy.id) for copy in copies]


def tickets_unheld() -> list[str]:
    """The ticket copies no order holds (nor ever held: every order of the load stays open)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id::text FROM orders_ticketcopy c "
            "WHERE NOT EXISTS (SELECT 1 FROM orders_order o WHERE o.ticket_id = c.id)"
        )
        return [ticket_id for (ticket_id,) in cursor.fetchall()]


def buyers_tokens(private_key: str) -> list[str]:
    """Access tokens of `BUYERS` buyers, signed as auth signs them (RS256, its claims)."""
    return [
        access_token_mint(user_id=uuid.uuid4(), signing_key=private_key, lifetime=TOKEN_LIFETIME)
        for _ in range(BUYERS)
    ]


# --- load -------------------------------------------------------------------------------------


@dataclass
class OrdersLoad:
    """What the POST scenario's runs need between them: the buyers and the ids not yet used."""

    tokens: list[str]
    threads: int
    workdir: Path
    best_rate: float = 0.0
    exhausted: list[str] = field(default_factory=list)

    def ids_file(self, scenario: Scenario, seconds: float) -> None:
        """Writes the run's file for orders_post.lua: the ticket copies nobody holds, topped
        up first if the fastest rate seen so far could use them up (with a margin of 2x)."""
        from django.db import connections

        unheld = tickets_unheld()
        wanted = int(max(self.best_rate, 1000) * seconds * 2) + 1000
        if len(unheld) < wanted:
            print(f"  adding {wanted - len(unheld)} ticket copies...", flush=True)
            unheld += ticket_copies_add(wanted - len(unheld))
        connections.close_all()  # the run starts now; this process's connection waits
        lines = [f"threads {self.threads}", f"host {PUBLIC_HOST}"]
        lines += [f"token {token}" for token in self.tokens] + unheld
        scenario.paths_file = self.workdir / "orders-run.txt"
        scenario.paths_file.write_text("\n".join(lines) + "\n")


def load_run(scenario, server, seconds, args, scripts, load: OrdersLoad) -> Sample:
    if scenario.server == "orders":
        load.ids_file(scenario, seconds)
    sample = wrk_run(scenario, server, seconds=seconds, args=args, script=scripts[scenario.server])
    if scenario.server == "orders":
        load.best_rate = max(load.best_rate, sample.requests_per_second)
        if not tickets_unheld():
            load.exhausted.append(scenario.name)
    return sample


def load_phase(args, environment, workdir: Path, tokens: list[str], cleanup) -> dict:
    from django.db import connections

    orders_env = orders_environment(environment, args, expiry=False)
    servers = {
        "orders": Gunicorn(
            "the orders service",
            "config.wsgi:application",
            cwd=ORDERS_DIR,
            environment=orders_env,
            log_path=workdir / "orders.log",
        )
    }
    # The baselines of bench/baseline/, under the same settings and environment.
    for name, label, settings_module in [
        ("bare", "the bare baseline", "baseline.settings"),
        ("db", "the bare baseline with the database", "baseline.settings_db"),
    ]:
        servers[name] = Gunicorn(
            label,
            "baseline.wsgi:application",
            cwd=BENCH_DIR,
            environment={**orders_env, "DJANGO_SETTINGS_MODULE": settings_module},
            log_path=workdir / f"{name}.log",
        )
    connections.close_all()
    for name, server in servers.items():
        cleanup.callback(server.stop)
        server.start("/healthz" if name == "orders" else BASELINE_PATH)

    some_ids = tickets_unheld()[:1000]
    scenarios = [
        Scenario("baseline: bare Django", "bare", [BASELINE_PATH]),
        Scenario(
            "baseline: bare + 1 SQL row by id", "db", [f"{BASELINE_PATH}/{i}" for i in some_ids]
        ),
        Scenario("POST /api/orders (a fresh ticket each)", "orders", []),
    ]
    scripts = {"bare": workdir / "reads.lua", "db": workdir / "reads.lua", "orders": LUA_SCRIPT}
    scripts["bare"].write_text(WRK_SCRIPT % {"host": PUBLIC_HOST})
    for index, scenario in enumerate(scenarios[:2]):
        scenario.paths_file = workdir / f"paths-{index}.txt"
        scenario.paths_file.write_text("\n".join(scenario.paths) + "\n")
    load = OrdersLoad(tokens=tokens, threads=args.wrk_threads, workdir=workdir)
    order_check(servers["orders"].port, tokens[0])

    print(f"warming up: {WARM_UP_SECONDS} s of each scenario...", flush=True)
    for scenario in scenarios:
        load_run(scenario, servers[scenario.server], WARM_UP_SECONDS, args, scripts, load)

    samples: dict[str, list[Sample]] = {scenario.name: [] for scenario in scenarios}
    for run_index in range(args.runs):
        # Each run in another order, so that no scenario always follows the same one.
        shift = run_index % len(scenarios)
        for scenario in scenarios[shift:] + scenarios[:shift]:
            sample = load_run(scenario, servers[scenario.server], args.seconds, args, scripts, load)
            samples[scenario.name].append(sample)
            print(progress(f"run {run_index + 1}/{args.runs} {scenario.name}", sample), flush=True)
    problems = {name: log_problems(server.log_text()) for name, server in servers.items()}
    print("stopping the servers...", flush=True)
    for server in servers.values():
        server.stop()
    from orders.models import Order

    return {
        "scenarios": scenarios,
        "samples": samples,
        "problems": problems,
        "exhausted": load.exhausted,
        "orders": Order.objects.count(),
    }


def progress(label: str, sample: Sample) -> str:
    figures = [
        f"{sample.requests_per_second:.0f} req/s",
        f"p50/p99 {sample.p50_ms:.1f}/{sample.p99_ms:.1f} ms",
        f"server/pg CPU {sample.server_cpu_ms:.2f}/{sample.postgres_cpu_ms:.2f} ms/req",
        f"other processes {sample.others_cpus:.2f} CPUs",
    ]
    if sample.errors:
        figures.append(f"errors {sample.errors}")
    return f"  {label}: {', '.join(figures)}"


def order_check(port: int, token: str) -> None:
    """One purchase by hand before the load: the service answers 201 as the contract says."""
    import http.client

    [ticket_id] = ticket_copies_add(1)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {
            **reads.gateway_headers(),
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        }
        connection.request("POST", "/api/orders", json.dumps({"ticketId": ticket_id}), headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 201 or json.loads(body)["ticket"]["id"] != ticket_id:
        raise RuntimeError(f"POST /api/orders answered {response.status}: {body[:300]!r}")


def log_problems(text: str) -> int:
    return sum(any(mark in line for mark in PROBLEM_MARKS) for line in text.splitlines())


# --- expiry -----------------------------------------------------------------------------------


@dataclass
class Expiry:
    phase: str
    lateness: list[float]  # seconds, cancellation minus expiresAt, per order
    by_task: int  # cancelled by the ETA task (the worker's log)
    by_sweep: int  # cancelled by beat's sweep
    tasks_idle: int  # ETA tasks that found the order no longer due or open
    sweeps: int  # sweeps run
    sweeps_discarded: int  # sweeps beat sent that were taken after they expired
    sweep_longest: float  # seconds, the longest sweep
    made_in: float  # seconds the orders took to make
    waited: float  # seconds from the last order made to the last one cancelled
    busy: float  # share of all CPUs busy over the phase (all work, the machine's)


def expiry_phase(name: str, args, worker: CeleryProcess, *, fast_path: bool) -> Expiry:
    from django.conf import settings
    from django.test import override_settings

    from orders.models import Order
    from orders.services import order_create

    ticket_ids = ticket_copies_add(args.orders)
    buyer = uuid.uuid4()
    log_offset = len(worker.log_text())
    # The service sends the task only for a window shorter than the broker's visibility
    # timeout (orders.services._order_expiry_task_send); a shorter timeout here sends none.
    sweep_alone = {
        "CELERY_BROKER_TRANSPORT_OPTIONS": {
            **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            "visibility_timeout": SWEEP_ALONE_VISIBILITY_TIMEOUT,
        }
    }
    print(
        f"{name}: making {args.orders} orders over {args.spread:g} s "
        f"(window {args.window} s, grace {args.grace} s, sweep every {args.sweep:g} s)...",
        flush=True,
    )
    order_ids = []
    busy_before, started = reads.machine_busy_seconds(), time.monotonic()
    with override_settings(**({} if fast_path else sweep_alone)):
        for index, ticket_id in enumerate(ticket_ids):
            pause = started + index * args.spread / args.orders - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            order_ids.append(order_create(buyer_id=buyer, ticket_id=uuid.UUID(ticket_id)).id)
    made = time.monotonic()
    print(f"  made in {made - started:.1f} s; waiting until every one is cancelled...", flush=True)
    mine = Order.objects.filter(pk__in=order_ids)

    def all_cancelled():
        left = mine.filter(status__in=Order.OPEN).count()
        return left == 0

    eventually(
        all_cancelled,
        timeout=args.window + args.grace + 10 * args.sweep + 60,
        interval=0.2,
        message=lambda: (
            f"orders still open: {mine.filter(status__in=Order.OPEN).count()}; "
            f"worker's log:\n{worker.log_tail()}"
        ),
    )
    waited = time.monotonic() - made
    busy = (reads.machine_busy_seconds() - busy_before) / (made + waited - started)
    lateness = [
        (updated - expires).total_seconds()
        for expires, updated in mine.values_list("expires_at", "updated_at")
    ]
    # The last task's line comes after its commit (and its events' relay): until every order
    # is counted, for 30 s at most.
    deadline = time.monotonic() + 30
    while True:
        text = worker.log_text()[log_offset:]
        returned = TASK_RETURNED.findall(text)
        tasks = [value for task, _seconds, value in returned if task == "order_expire_if_due"]
        by_task, idle = tasks.count("True"), tasks.count("False")
        sweeps = [(float(sec), int(n)) for task, sec, n in returned if task == "orders_expire_due"]
        by_sweep = sum(count for _seconds, count in sweeps)
        if by_task + by_sweep >= len(order_ids) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    print(
        f"  all cancelled {waited:.1f} s after the last was made; beyond the grace: "
        f"p50 {quantile(lateness, 0.5) - args.grace:.2f} s, "
        f"p99 {quantile(lateness, 0.99) - args.grace:.2f} s; "
        f"by the task {by_task}, by the sweep {by_sweep}",
        flush=True,
    )
    busy /= os.cpu_count() or 1
    return Expiry(
        name,
        lateness,
        by_task,
        by_sweep,
        idle,
        sweeps=len(sweeps),
        sweeps_discarded=text.count(SWEEP_DISCARDED),
        sweep_longest=max((seconds for seconds, _count in sweeps), default=0.0),
        made_in=made - started,
        waited=waited,
        busy=busy,
    )


def expiry_processes(
    environment, args, workdir: Path, cleanup
) -> tuple[CeleryProcess, CeleryProcess]:
    """The orders service's worker and beat as deployed (k8s/base/orders), with the expiry
    phases' window, on the benchmark's database and broker."""
    worker_env = orders_environment(environment, args, expiry=True)
    worker = CeleryProcess(
        "orders",
        ["worker", "-l", "INFO"],
        worker_env,
        workdir / "worker.log",
        app="config.celery_app",
        cwd=ORDERS_DIR,
    )
    beat = CeleryProcess(
        "orders",
        ["beat", "-l", "INFO", "-s", str(workdir / "celerybeat-schedule")],
        worker_env,
        workdir / "beat.log",
        app="config.celery_app",
        cwd=ORDERS_DIR,
    )
    print("starting the orders worker and beat...", flush=True)
    cleanup.callback(worker.stop)
    worker.start(ready_text=" ready.")
    cleanup.callback(beat.stop)
    beat.start(ready_text="beat: Starting...")
    return worker, beat


def quantile(values: list[float], share: float) -> float:
    """The nearest-rank quantile: the value `share` of the values are at or below."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


# --- the report -------------------------------------------------------------------------------


def load_report(result: dict, args, context: dict) -> list[str]:
    samples = result["samples"]
    bare = samples["baseline: bare Django"]
    row = "{:<40} {:>18} {:>17} {:>16} {:>17} {:>17} {:>9} {:>14}"
    lines = [
        f"Orders at {context['code']}: {os.cpu_count()} CPUs, busy {context['busy_before']:.0%} "
        f"just before the run; gunicorn {context['gunicorn']} sync workers "
        f"x{args.workers or 2}, TICKETING_ENV=production, LOG_LEVEL=INFO",
        f"wrk {args.connections} connections, {args.wrk_threads} thread(s); {args.runs} runs x "
        f"{args.seconds:g} s per scenario, interleaved; median (min-max) over runs; "
        f"{result['orders']} orders made in all",
        "",
        row.format(
            "scenario", "req/s", "x bare baseline", "p50 ms", "p99 ms", "server CPU",
            "pg CPU", "CPU ceiling",
        ),
        row.format("", "", "", "", "", "ms/req", "ms/req", "req/s (x bare)"),
    ]  # fmt: skip
    bare_ceiling = statistics.median(map(cpu_ceiling, bare))
    for scenario in result["scenarios"]:
        runs = samples[scenario.name]
        ceiling = statistics.median(map(cpu_ceiling, runs))
        ratios = [
            s.requests_per_second / b.requests_per_second for s, b in zip(runs, bare, strict=True)
        ]
        lines.append(
            row.format(
                scenario.name,
                spread([s.requests_per_second for s in runs], 0),
                spread(ratios, 2),
                spread([s.p50_ms for s in runs]),
                spread([s.p99_ms for s in runs]),
                spread([s.server_cpu_ms for s in runs], 2),
                f"{statistics.median(s.postgres_cpu_ms for s in runs):.2f}",
                f"{ceiling:.0f} ({ceiling / bare_ceiling:.2f})",
            ).rstrip()
        )
    every = [sample for runs in samples.values() for sample in runs]
    errors = {name: [s.errors for s in runs if s.errors] for name, runs in samples.items()}
    lines += [
        "",
        "CPU ceiling: the req/s all CPUs would allow with no other work, from the CPU time each "
        "request took (server, PostgreSQL and wrk)",
        f"machine busy during the runs: {spread([s.machine_busy * 100 for s in every], 0)} % of "
        f"all CPUs, of which other work than the servers, their PostgreSQL backends and wrk: "
        f"{spread([s.others_cpus for s in every], 2)} CPUs",
        "errors (for POST, 'status' counts every answer that is not 201): "
        f"{ {name: found for name, found in errors.items() if found} or 'none' }",
        f"ticket ids run out in: {result['exhausted'] or 'no run'}",
        f"server log lines at WARNING or above: {result['problems']}",
    ]
    return lines


def expiry_report(phases: list[Expiry], args, problems: dict) -> list[str]:
    target = args.sweep + 1
    row = "{:<22} {:>6} {:>8} {:>6} {:>14} {:>24} {:>22} {:>8}"
    lines = [
        f"Expiry: {args.orders} orders made over {args.spread:g} s in this process "
        f"(orders.services.order_create), window {args.window} s, grace {args.grace} s, sweep "
        f"every {args.sweep:g} s; the orders worker (threads x4) and beat as deployed",
        "lateness = the cancellation (the order's updated_at) minus expiresAt; the service "
        "cancels no earlier than expiresAt + grace, so the target is judged beyond the grace",
        "",
        row.format(
            "phase", "orders", "made in", "busy", "by task/sweep", "lateness p50/p99/max s",
            "beyond grace p50/p99", f"p99<{target:g}s",
        ),
    ]  # fmt: skip
    for phase in phases:
        late = phase.lateness
        beyond = [value - args.grace for value in late]
        lines.append(
            row.format(
                phase.phase,
                len(late),
                f"{phase.made_in:.1f} s",
                f"{phase.busy:.0%}",
                f"{phase.by_task}/{phase.by_sweep}",
                f"{quantile(late, 0.5):.2f} / {quantile(late, 0.99):.2f} / {max(late):.2f}",
                f"{quantile(beyond, 0.5):.2f} / {quantile(beyond, 0.99):.2f}",
                "PASS" if quantile(beyond, 0.99) < target else "MISS",
            )
        )
    lines += [
        "",
        "made in: how long making the orders took (asked: --spread); busy: the machine's CPUs "
        "over the phase, all work included",
        "by task/sweep: from the worker's log (Celery's line for each task that returned); ETA "
        "tasks that found nothing to do (the sweep had cancelled the order first): "
        + ", ".join(f"{phase.phase} {phase.tasks_idle}" for phase in phases),
        "sweeps run / discarded (taken by the worker after their expiry, five periods) / the "
        "longest (s): "
        + ", ".join(
            f"{p.phase} {p.sweeps} / {p.sweeps_discarded} / {p.sweep_longest:.2f}" for p in phases
        ),
        "earliest cancellation beyond the grace: "
        + ", ".join(f"{phase.phase} {min(phase.lateness) - args.grace:.3f} s" for phase in phases),
        f"worker and beat log lines at WARNING or above: {problems}",
    ]
    return lines


# --- main -------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0].replace("\n", " "))
    load = parser.add_argument_group("load: POST /api/orders beside the bare baseline")
    for flag, kind, default, text in [
        ("--runs", int, 3, "runs of each scenario, interleaved"),
        ("--seconds", float, 10, "length of each run"),
        ("--connections", int, 16, "concurrent clients (wrk's connections)"),
        ("--wrk-threads", int, 1, "wrk's threads"),
        ("--workers", int, None, "GUNICORN_WORKERS (None: production's, 2)"),
    ]:
        load.add_argument(flag, type=kind, default=default, help=f"{text} ({default})")
    expiry = parser.add_argument_group("expiry: how late orders are cancelled")
    expiry.add_argument("--orders", type=int, default=300, help="orders of each phase (300)")
    expiry.add_argument(
        "--spread", type=float, default=3, help="seconds over which they are made (3)"
    )
    expiry.add_argument(
        "--window", type=int, default=3, help="ORDERS_EXPIRATION_SECONDS (3; production 900)"
    )
    expiry.add_argument(
        "--grace", type=int, default=5, help="ORDERS_EXPIRATION_GRACE_SECONDS (production's 5)"
    )
    expiry.add_argument(
        "--sweep",
        type=float,
        default=2.0,
        help="ORDERS_EXPIRATION_SWEEP_SECONDS (production's 2); target: p99 beyond the grace "
        "under this + 1 s",
    )
    parser.add_argument(
        "--only", choices=["load", "expiry"], default=None, help="one half alone (default both)"
    )
    return parser.parse_args()


def orders_modified() -> str:
    """code_revision() says whether shared/ or tickets_service/ differ from HEAD; this, for
    orders_service/."""
    command = ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "orders_service"]
    changed = subprocess.run(command, capture_output=True, text=True, check=False).stdout  # noqa: S603
    return " (orders_service modified)" if changed.strip() else ""


@contextlib.contextmanager
def redis_private(workdir: Path):
    """A redis-server of the benchmark's own on a free port (never the machine's 6379)."""
    server = RedisServer(port=free_port(), workdir=workdir)
    print(f"starting redis-server on port {server.port}...", flush=True)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def run(args, cleanup: contextlib.ExitStack) -> None:
    workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="bench-orders-")))
    redis_server = cleanup.enter_context(redis_private(workdir))

    private_key, public_key = generate_key_pair()
    environment = production_environment(
        redis_port=redis_server.port,
        static_root=workdir / "static",
        public_key=public_key,
        workers=args.workers,
    )
    django_setup_orders(orders_environment(environment, args, expiry=True))
    log_to_file(workdir / "this-process.log")
    cleanup.callback(reads.database_drop)
    database_prepare()
    print(f"writing {FIRST_FILL} ticket copies...", flush=True)
    ticket_copies_add(FIRST_FILL)
    static_collect()
    tokens = buyers_tokens(private_key)

    loaded = None
    if args.only != "expiry":
        loaded = load_phase(args, environment, workdir, tokens, cleanup)
    phases, problems = [], {}
    if args.only != "load":
        worker, beat = expiry_processes(environment, args, workdir, cleanup)
        phases.append(expiry_phase("ETA task and sweep", args, worker, fast_path=True))
        phases.append(expiry_phase("sweep alone", args, worker, fast_path=False))
        problems = {
            "worker": log_problems(worker.log_text()),
            "beat": log_problems(beat.log_text()),
        }
        print("stopping the worker and beat...", flush=True)
        worker.stop()
        beat.stop()
    from django.db import connections

    connections.close_all()

    import gunicorn

    context = {"code": args.code, "busy_before": args.busy_before, "gunicorn": gunicorn.__version__}
    if loaded:
        print()
        print("\n".join(load_report(loaded, args, context)))
    if phases:
        print()
        print("\n".join(expiry_report(phases, args, problems)))


def main() -> int:
    args = arguments()
    if args.only != "expiry" and not shutil.which("wrk"):
        sys.stderr.write("wrk is missing: Debian's package `wrk` (apt-get install -y wrk)\n")
        return 2
    args.busy_before = machine_busy_share(seconds=2)
    args.code = code_revision() + orders_modified()
    # Ctrl-C and SIGTERM both end in the ExitStack's clean-up: servers, worker, beat, redis
    # stopped, the database dropped, the folder removed.
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    with contextlib.ExitStack() as cleanup:
        try:
            run(args, cleanup)
        except KeyboardInterrupt:
            cleanup.close()
            sys.stderr.write("interrupted; cleaned up\n")
            return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
