"""Event bus benchmark: one subject from its producer to its consumers, on this machine.

The producer is this process: Django as the subject's producing service (the bus's stand-in
service, `ticketing_shared.testing.bus`, on a database of its own), publishing through the
transactional outbox as a request would. The consumers are stand-in services too (`tickets` and
`payments` for `order:created`, `orders` for `ticket:created`, as the catalog says): ONE Celery
worker process each (`--pool`, `--concurrency`: by default 4 threads, as the services' workers
run), each with a database of its own. The broker is a private `redis-server` on a free port.

After a warm-up, three phases:

1. steady: `--rate` events/s for `--seconds` s, paced. Latency runs from the producer's commit
   to the consumer's `events_inboxevent.processed_at`: stamped in the handler's transaction as
   the inbox row goes in, just before the handler body and the commit (a slight under-estimate
   of the consumer's commit time: `copies_application` has no timestamp).
2. burst: `--burst` events as fast as `--producers` processes can (forks of this one, each with
   its own connections, as a service's web workers), consumers running. Consumer-side
   events/s from the first to the last event applied, per consumer; the producer's publish rate;
   the machine's CPU time per event, and how much of it the producer, the workers, PostgreSQL
   and Redis used.
3. drain (a diagnostic, not a target): the same burst with the workers stopped (the producer
   alone), then the workers started on that backlog (the consumers alone).

    cd /work/main && uv run python bench/event_bus.py [--subject order:created] [--rate 100]
        [--seconds 10] [--burst 5000] [--producers 2] [--pool threads|solo|prefork]
        [--concurrency 4] [--handler copy|none]

Everything it starts (redis, workers, databases) is stopped or dropped at the end, on Ctrl-C too.
"""

import argparse
import contextlib
import math
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2

from ticketing_shared.events.catalog import subject_get
from ticketing_shared.testing.bus.harness import (
    STANDIN_CELERY_APP,
    STANDIN_SETTINGS,
    CeleryProcess,
    ConsumerDatabase,
    RedisServer,
    postgres_admin,
    worker_argv,
    worker_environment,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
# Subjects the stand-in consumers apply (a versioned copy each): one that goes to two services
# (the same event on two queues) and one that goes to one. Who produces and who consumes each is
# the catalog's.
SUBJECTS = ("order:created", "ticket:created")
# Named per run, so that two runs at once never drop each other's databases.
PRODUCER_DATABASE = f"ticketing_bench_producer_{os.getpid()}"
WARM_UP_EVENTS = 20
STALL_SECONDS = 30  # consumers that apply nothing for this long have failed

P50_TARGET_MS = 20
P99_TARGET_MS = 100
THROUGHPUT_TARGET = 500  # events/s
RATE_TOLERANCE = 0.95  # the steady phase must publish at least this share of the rate asked


# --- set-up -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment_prepare(redis_port: int, producer_service: str) -> None:
    """Before Django settings load: this process as the producing stand-in service on its own
    database, the private broker, and production's quiet and speed."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE=STANDIN_SETTINGS,
        TICKETING_SERVICE=producer_service,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{PRODUCER_DATABASE}",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/1",  # never the developer's 6379
        DJANGO_DEBUG="false",  # DEBUG keeps every query in memory
        LOG_LEVEL="WARNING",
    )


def database_drop(name: str) -> None:
    postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def machine_busy_seconds() -> float:
    """CPU time all processes on the machine have used so far, every core summed (/proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = ticks[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def cpu_seconds_by_process() -> dict[int, tuple[str, float]]:
    """Pid -> (kind, CPU time used so far) of the producer (this process), the Celery workers,
    PostgreSQL and Redis."""
    processes = {}
    for pid in map(int, filter(str.isdigit, os.listdir("/proc"))):
        try:
            with open(f"/proc/{pid}/stat") as stat_file:
                stat = stat_file.read()
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline_file:
                command = cmdline_file.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # it ended meanwhile
            continue
        kind = process_kind(pid, stat[stat.index("(") + 1 : stat.rindex(")")], command)
        if kind:
            # User and system time; this process also counts its forks that have ended.
            times = stat[stat.rindex(")") + 2 :].split()[11 : 15 if pid == os.getpid() else 13]
            processes[pid] = (kind, sum(map(int, times)) / os.sysconf("SC_CLK_TCK"))
    return processes


def cpu_seconds_by_kind_since(before: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU time per kind of process since `before`, of the processes alive now: one that ended
    meanwhile is not counted, so take it over a phase in which none of them stops."""
    totals = dict.fromkeys(PROCESS_KINDS, 0.0)
    for pid, (kind, seconds) in cpu_seconds_by_process().items():
        previous_kind, previous_seconds = before.get(pid, (kind, 0.0))
        totals[kind] += seconds - (previous_seconds if previous_kind == kind else 0.0)
    return totals


PROCESS_KINDS = ("producer", "workers", "postgres", "redis")


def process_kind(pid: int, name: str, command: str) -> str | None:
    if pid == os.getpid() or "bench/event_bus.py" in command:  # this process or its forks
        return "producer"
    if "celery" in command and STANDIN_CELERY_APP in command:
        return "workers"
    if name.startswith("postgres"):
        return "postgres"
    if name.startswith("redis-server"):
        return "redis"
    return None


def machine_busy_share(*, seconds: float) -> float:
    """How busy the machine is (0 to 1, all CPUs), over a short look: others at work skew
    every number here."""
    before = machine_busy_seconds()
    time.sleep(seconds)
    return (machine_busy_seconds() - before) / seconds / (os.cpu_count() or 1)


# --- the producer (this process) --------------------------------------------------------------


@dataclass
class Published:
    event_id: str
    committed_at: float  # time.time() just after the producer's commit
    returned_at: float  # ... when the atomic block returned, the relay to the broker done


class Producer:
    """This process as the producing service: Django on its own database, publishing on
    commit."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        database_drop(PRODUCER_DATABASE)
        postgres_admin(f'CREATE DATABASE "{PRODUCER_DATABASE}"')
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections, transaction

        import ticketing_shared.testing.bus.celery_app  # noqa: F401 (the relay sends through it)
        from ticketing_shared.events.models import OutboxEvent
        from ticketing_shared.events.outbox import event_publish_on_commit

        call_command("migrate", interactive=False, verbosity=0)
        self._connections = connections
        self._transaction = transaction
        self._outbox = OutboxEvent.objects
        self._event_publish_on_commit = event_publish_on_commit

    def publish_one(self) -> Published:
        committed_at = []
        with self._transaction.atomic():
            # Registered before the event's own hook, so it runs first: before the relay.
            self._transaction.on_commit(lambda: committed_at.append(time.time()))
            event = self._event_publish_on_commit(
                subject=self.subject, data=EVENT_DATA[self.subject]()
            )
        return Published(str(event.id), committed_at[0], time.time())

    def publish_paced(self, count: int, rate: float) -> list[Published]:
        print(f"publishing {count} events at {rate:g}/s...", flush=True)
        published = []
        start = time.perf_counter()
        for index in range(count):
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            published.append(self.publish_one())
            if (index + 1) % max(int(rate), 1) == 0:
                print(f"  published {index + 1}/{count}", flush=True)
        return published

    def publish_burst(self, count: int, *, processes: int) -> list[Published]:
        """`count` events as fast as `processes` producer processes can (this one alone, or
        forks of it, each with its own connections, as a service's web workers)."""
        print(
            f"publishing a burst of {count} events as fast as {processes} process(es) can...",
            flush=True,
        )
        if processes == 1:
            return self.publish_share(count)
        shares = [count // processes + (index < count % processes) for index in range(processes)]
        self._connections.close_all()  # a forked child must not share the parent's connection
        global _forked_producer  # what the forks inherit: a Producer is not picklable
        _forked_producer = self
        pool = multiprocessing.get_context("fork").Pool(processes)
        try:
            parts = pool.map(_publish_share_in_fork, shares)
        finally:
            pool.close()  # and let them end: terminating them would interrupt them mid-print
            pool.join()
        return sorted((event for part in parts for event in part), key=lambda e: e.returned_at)

    def publish_share(self, count: int) -> list[Published]:
        published = []
        for index in range(count):
            published.append(self.publish_one())
            if (index + 1) % 1000 == 0:
                print(f"  published {index + 1}/{count} (pid {os.getpid()})", flush=True)
        return published

    def unsent_count(self) -> int:
        """Events still in the outbox: the relay after commit failed (the sweep is not run)."""
        return self._outbox.filter(published_at__isnull=True).count()

    def close(self) -> None:
        self._connections.close_all()


_forked_producer: "Producer | None" = None


def _publish_share_in_fork(count: int) -> list[Published]:
    return _forked_producer.publish_share(count)


def order_data() -> dict:
    """An `order:created` payload, as the orders service would make one."""
    return {
        "id": str(uuid.uuid4()),
        "version": 0,
        "status": "created",
        "userId": str(uuid.uuid4()),
        "expiresAt": (datetime.now(UTC) + timedelta(minutes=15)).isoformat(),
        "ticket": {"id": str(uuid.uuid4()), "price": "20.00"},
    }


def ticket_data() -> dict:
    return {
        "id": str(uuid.uuid4()),
        "version": 0,
        "title": "A concert",
        "price": "20.00",
        "userId": str(uuid.uuid4()),
    }


EVENT_DATA = {"order:created": order_data, "ticket:created": ticket_data}


# --- the consumers (one Celery worker process each) -------------------------------------------


class Consumer:
    """One stand-in consuming service: its database and its one worker process."""

    def __init__(
        self, service: str, *, handler: str, worker_options: tuple[str, ...], log_dir: Path
    ):
        self.service = service
        self.handler = handler
        # Named per run, so that two runs at once never drop each other's databases.
        self.database = ConsumerDatabase(service, name=f"ticketing_bench_{service}_{os.getpid()}")
        self.worker = CeleryProcess(
            service,
            worker_argv(service, worker_options, log_level="WARNING"),
            # Without the tests' short timeouts: production's defaults apply.
            worker_environment(
                service, self.database.url, short_timeouts=False, BUS_HANDLER=handler
            ),
            log_dir / f"{service}.log",
        )
        # Inbox rows without exactly one application, over all phases (with the copy handler:
        # the empty one leaves only the inbox row, whose unique index is then the whole check).
        self.mismatches = 0
        self._reader = None  # one connection for all the polling: a new one per query costs CPU

    def database_create(self) -> None:
        print(f"creating and migrating {self.database.name}...", flush=True)
        self.database.create()

    def worker_start(self) -> None:
        print(f"starting the {self.service} worker...", flush=True)
        # Logging at WARNING, the worker never says " ready.": the events it applies tell.
        self.worker.start()

    def worker_stop(self) -> None:
        self.worker.stop()

    def drop(self) -> None:
        if self._reader is not None:
            self._reader.close()
        self.database.drop()

    def rows(self, sql: str) -> list[tuple]:
        if self._reader is None:
            self._reader = psycopg2.connect(
                host="127.0.0.1", user="postgres", dbname=self.database.name
            )
            self._reader.autocommit = True
        with self._reader.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def applied_count(self) -> int:
        return self.rows("SELECT count(*) FROM events_inboxevent")[0][0]

    def applied_times(self) -> dict[str, float]:
        """Event id -> when the consumer applied it (epoch seconds)."""
        rows = self.rows("SELECT event_id, processed_at FROM events_inboxevent")
        return {str(event_id): processed_at.timestamp() for event_id, processed_at in rows}

    def phase_end(self) -> None:
        """Checks that each event was applied once, then empties the copies for the next phase
        (dead letters are kept, to be counted at the end)."""
        if self.handler == "copy":
            applications = self.rows("SELECT count(*) FROM copies_application")[0][0]
            self.mismatches += abs(applications - self.applied_count())
        self.database.empty("copies_copy", "copies_application", "events_inboxevent")

    def dead_letters(self) -> int:
        return self.rows("SELECT count(*) FROM events_deadletter")[0][0]

    def log_problems(self) -> int:
        lines = self.worker.log_text().splitlines()
        return sum("WARNING" in line or "ERROR" in line for line in lines)

    def alive_check(self) -> None:
        if self.worker.process is None or self.worker.process.poll() is not None:
            raise RuntimeError(f"the {self.service} worker died; log:\n{self.worker.log_tail()}")


def consumers_wait(consumers: list[Consumer], expected: int) -> None:
    """Waits until every consumer applied `expected` events, printing progress every second."""
    last_counts, last_change, last_print = None, time.monotonic(), 0.0
    while True:
        counts = {consumer.service: consumer.applied_count() for consumer in consumers}
        done = all(count >= expected for count in counts.values())
        now = time.monotonic()
        if done or now - last_print >= 1:
            progress = ", ".join(f"{name} {count}/{expected}" for name, count in counts.items())
            print(f"  waiting for consumers: {progress}", flush=True)
            last_print = now
        if done:
            return
        for consumer in consumers:
            consumer.alive_check()
        if counts != last_counts:
            last_counts, last_change = counts, now
        elif now - last_change > STALL_SECONDS:
            raise RuntimeError(f"consumers applied nothing for {STALL_SECONDS}s: {counts}")
        time.sleep(0.2)


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Results:
    steady_rate: float = 0.0  # asked for, events/s
    steady_count: int = 0
    steady_publish_rate: float = 0.0  # achieved, events/s
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    relay_ms: list[float] = field(default_factory=list)  # producer: its commit -> relayed
    burst_count: int = 0
    burst_consumer_rate: dict[str, float] = field(default_factory=dict)
    burst_producer_rate: float = 0.0
    burst_cpu_ms: float = 0.0  # whole machine, per event (publish, relay, both consumers)
    burst_cpu_ms_by_kind: dict[str, float] = field(default_factory=dict)  # producer, workers...
    drain_consumer_rate: dict[str, float] = field(default_factory=dict)
    drain_producer_rate: float = 0.0
    unsent: int = 0
    checks: dict[str, str] = field(default_factory=dict)  # service -> what should all be 0


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(pct / 100 * len(ordered)) - 1, 0)]


def rate_between(first: float, last: float, count: int) -> float:
    return (count - 1) / (last - first) if count > 1 and last > first else float("nan")


def publish_rate(published: list[Published], started: float) -> float:
    return len(published) / (published[-1].returned_at - started)


def applied_rate(consumer: Consumer) -> float:
    """Events/s from the first to the last event the consumer applied."""
    applied = sorted(consumer.applied_times().values())
    return rate_between(applied[0], applied[-1], len(applied))


def warm_up(producer: Producer, consumers: list[Consumer]) -> None:
    print(f"warming up with {WARM_UP_EVENTS} events (workers ready, connections open)", flush=True)
    for _ in range(WARM_UP_EVENTS):
        producer.publish_one()
    consumers_wait(consumers, WARM_UP_EVENTS)
    for consumer in consumers:
        consumer.phase_end()


def steady_phase(producer, consumers, results: Results, *, rate: float, seconds: float) -> None:
    count = max(int(rate * seconds), 2)
    published = producer.publish_paced(count, rate)
    consumers_wait(consumers, count)
    results.steady_rate, results.steady_count = rate, count
    first, last = published[0].committed_at, published[-1].committed_at
    results.steady_publish_rate = rate_between(first, last, count)
    results.relay_ms = [(event.returned_at - event.committed_at) * 1000 for event in published]
    for consumer in consumers:
        applied = consumer.applied_times()
        results.latencies_ms[consumer.service] = [
            (applied[event.event_id] - event.committed_at) * 1000 for event in published
        ]
        consumer.phase_end()


def burst_phase(producer, consumers, results: Results, *, count: int, processes: int) -> None:
    busy_before, processes_before = machine_busy_seconds(), cpu_seconds_by_process()
    started = time.time()
    published = producer.publish_burst(count, processes=processes)
    results.burst_count = count
    results.burst_producer_rate = publish_rate(published, started)
    consumers_wait(consumers, count)
    results.burst_cpu_ms = (machine_busy_seconds() - busy_before) / count * 1000
    results.burst_cpu_ms_by_kind = {
        kind: seconds / count * 1000
        for kind, seconds in cpu_seconds_by_kind_since(processes_before).items()
    }
    for consumer in consumers:
        results.burst_consumer_rate[consumer.service] = applied_rate(consumer)
        consumer.phase_end()


def drain_phase(producer, consumers, results: Results, *, count: int, processes: int) -> None:
    """The producer alone (workers stopped), then the consumers alone (on the backlog)."""
    print("drain: stopping the workers...", flush=True)
    for consumer in consumers:
        consumer.worker_stop()
    started = time.time()
    published = producer.publish_burst(count, processes=processes)
    results.drain_producer_rate = publish_rate(published, started)
    for consumer in consumers:
        consumer.worker_start()
    consumers_wait(consumers, count)
    for consumer in consumers:
        results.drain_consumer_rate[consumer.service] = applied_rate(consumer)
        consumer.phase_end()


# --- the report -------------------------------------------------------------------------------


@dataclass
class Row:
    metric: str
    consumers: list[float] | None = None  # one value per consumer, in the report's order
    producer: float | None = None
    target: str = ""
    result: str = ""


def target_row(metric: str, values: list[float], *, below=None, above=None) -> Row:
    """A row with a target: PASS if every consumer's value is below (or above) it."""
    if below is not None:
        met, target = all(value < below for value in values), f"< {below}"
    else:
        met, target = all(value > above for value in values), f"> {above}"
    return Row(metric, values, target=target, result="PASS" if met else "MISS")


def steady_rate_missed(results: Results) -> bool:
    """The producer could not publish at the rate asked (the machine saturated)."""
    return results.steady_publish_rate < RATE_TOLERANCE * results.steady_rate


def latency_row(metric: str, values: list[float], limit: float, results: Results) -> Row:
    """A latency under its target counts only if it was measured at the rate asked."""
    row = target_row(metric, values, below=limit)
    if steady_rate_missed(results):
        row.result = "MISS*"
    return row


def report_rows(results: Results, services: tuple[str, ...]) -> list[Row]:
    latencies = [results.latencies_ms[service] for service in services]
    p50 = [percentile(values, 50) for values in latencies]
    p95 = [percentile(values, 95) for values in latencies]
    p99 = [percentile(values, 99) for values in latencies]
    burst = [results.burst_consumer_rate[service] for service in services]
    drain = [results.drain_consumer_rate[service] for service in services]
    cpu = results.burst_cpu_ms_by_kind
    return [
        latency_row("steady: latency p50 (ms)", p50, P50_TARGET_MS, results),
        Row("steady: latency p95 (ms)", p95),
        latency_row("steady: latency p99 (ms)", p99, P99_TARGET_MS, results),
        Row("steady: latency max (ms)", [max(values) for values in latencies]),
        Row("steady: publish rate achieved (ev/s)", producer=results.steady_publish_rate),
        Row("steady: relay after commit p50 (ms)", producer=percentile(results.relay_ms, 50)),
        target_row("burst: applied, first to last (ev/s)", burst, above=THROUGHPUT_TARGET),
        Row("burst: published (ev/s)", producer=results.burst_producer_rate),
        Row("burst: CPU/event, whole machine (ms)", producer=results.burst_cpu_ms),
        Row("  so at most, on all CPUs (ev/s)", producer=cpu_ceiling(results.burst_cpu_ms)),
        *(Row(f"  of which {kind} (ms)", producer=cpu[kind]) for kind in PROCESS_KINDS),
        Row("drain: consumers alone (ev/s)", drain),
        Row("drain: producer alone (ev/s)", producer=results.drain_producer_rate),
    ]


def report(results: Results, args: argparse.Namespace) -> str:
    subject = subject_get(args.subject)
    producer_service, services = subject.producer, subject.consumers
    columns = "{:<38}" + " {:>9}" * (len(services) + 1) + "  {:<7} {}"
    lines = [
        f"Event bus benchmark at {args.code}: {os.cpu_count()} CPUs, busy "
        f"{args.busy_before:.0%} just before the run; one worker process per consumer, {args.pool} "
        f"pool of {args.concurrency}, -l WARNING; handler: {args.handler}",
        f"{args.subject} from {producer_service} to {', '.join(services)}; "
        f"steady: {results.steady_count} events at {args.rate:g}/s; "
        f"burst and drain: {results.burst_count} events each from {args.producers} process(es)",
        "",
        columns.format("metric", *services, "producer", "target", "result"),
    ]
    for row in report_rows(results, services):
        cells = [number(value) for value in row.consumers or [None] * len(services)]
        cells.append(number(row.producer))
        lines.append(columns.format(row.metric, *cells, row.target, row.result).rstrip())
    if steady_rate_missed(results):
        lines.append(
            f"* not measured at the rate asked: the producer published only "
            f"{results.steady_publish_rate:.1f}/s of {results.steady_rate:g}/s"
        )
    lines += ["", f"outbox rows never relayed: {results.unsent}"]
    lines += [f"{service}: {checks}" for service, checks in results.checks.items()]
    return "\n".join(lines)


def code_revision() -> str:
    """The commit measured, and whether shared/ (the bus) had changes not committed."""
    commit = git_output("rev-parse", "--short", "HEAD") or "?"
    modified = git_output("status", "--porcelain", "--", "shared")
    return f"{commit} (shared/ modified)" if modified else commit


def git_output(*argv: str) -> str:
    command = ["git", "-C", str(REPO_ROOT), *argv]
    # A fixed command line (git's own arguments), not outside input.
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    return result.stdout.strip()


def cpu_ceiling(cpu_ms_per_event: float) -> float:
    return (os.cpu_count() or 1) * 1000 / cpu_ms_per_event


def number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


# --- main -------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--subject", default="order:created", choices=SUBJECTS, help="order:created (2 consumers)"
    )
    parser.add_argument("--rate", type=float, default=100, help="steady events/s (100)")
    parser.add_argument("--seconds", type=float, default=10, help="steady phase length (10)")
    parser.add_argument("--burst", type=int, default=5000, help="events in the burst (5000)")
    parser.add_argument(
        "--pool", default="threads", choices=["solo", "prefork", "threads"], help="(threads)"
    )
    parser.add_argument("--concurrency", type=int, default=4, help="worker pool size (4)")
    parser.add_argument(
        "--producers",
        type=int,
        default=2,
        help="producer processes in burst and drain (2, as a service's gunicorn workers)",
    )
    parser.add_argument(
        "--handler",
        default="copy",
        choices=["copy", "none"],
        help="the stand-ins' handler: copy (keep a versioned copy, the default) or none (the "
        "bus alone: the inbox row and nothing else)",
    )
    return parser.parse_args()


def run(args: argparse.Namespace, cleanup: contextlib.ExitStack) -> Results:
    workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="bench-bus-")))
    subject = subject_get(args.subject)
    producer_service, consumer_services = subject.producer, subject.consumers
    redis_server = RedisServer(port=free_port(), workdir=workdir)
    environment_prepare(redis_server.port, producer_service)
    print(f"starting redis-server on port {redis_server.port}...", flush=True)
    cleanup.callback(redis_server.stop)
    redis_server.start()

    print(f"creating and migrating {PRODUCER_DATABASE}...", flush=True)
    cleanup.callback(database_drop, PRODUCER_DATABASE)
    producer = Producer(args.subject)
    cleanup.callback(producer.close)

    consumers = []
    for service in consumer_services:
        options = ("--pool", args.pool, "--concurrency", str(args.concurrency))
        consumer = Consumer(service, handler=args.handler, worker_options=options, log_dir=workdir)
        cleanup.callback(consumer.drop)
        cleanup.callback(consumer.worker_stop)
        consumer.database_create()
        consumer.worker_start()
        consumers.append(consumer)

    results = Results()
    warm_up(producer, consumers)
    steady_phase(producer, consumers, results, rate=args.rate, seconds=args.seconds)
    burst_phase(producer, consumers, results, count=args.burst, processes=args.producers)
    drain_phase(producer, consumers, results, count=args.burst, processes=args.producers)
    results.unsent = producer.unsent_count()
    for consumer in consumers:
        results.checks[consumer.service] = (
            f"dead letters {consumer.dead_letters()}, events not applied exactly once "
            f"{consumer.mismatches}, warning/error log lines {consumer.log_problems()}"
        )
    return results


def main() -> int:
    args = arguments()
    args.busy_before, args.code = machine_busy_share(seconds=2), code_revision()
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    try:
        with contextlib.ExitStack() as cleanup:
            results = run(args, cleanup)
            print("cleaning up (workers, redis, databases)...", flush=True)
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        return 130
    print()
    print(report(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
