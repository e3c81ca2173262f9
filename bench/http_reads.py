"""HTTP read benchmark: `GET /api/tickets` and `GET /api/tickets/:id` under gunicorn, and the
frontend's landing page and ticket page built from them, beside a minimal Django JSON view
measured in the same run on the same machine.

The tickets service runs as production runs it: `gunicorn -c python:ticketing_shared.gunicorn_conf
config.wsgi:application` from `tickets_service/`, `TICKETING_ENV=production` and the variables
production sets (its secret key, a throwaway JWT public key, collected static files, its allowed
host, `LOG_LEVEL=INFO`, one trusted proxy), on a database of its own
(`ticketing_bench_tickets_<pid>`, migrated, filled with `--tickets` tickets) and a private
`redis-server`. The baseline is `bench/baseline/`, one view returning `{"ok": true}`, served by
the same gunicorn settings: bare Django (no middleware: the targets' baseline) and with the
tickets service's settings and shared middleware (to tell the middleware from the view); a
third server, bare Django with the database, reads one ticket by id in plain SQL (the floor of
any view that reads a row). The frontend runs as production runs it too (no database; its
APIs' addresses pointing at the tickets gunicorn above), for `GET /` and `GET /tickets/<id>`
signed out: each the frontend's middleware, one call to the tickets API and a template.

Load: `wrk`, `--connections` concurrent clients (keep-alive asked; the APIs' sync workers close
each connection after its answer, the frontend's threaded workers keep it, as in production),
each request with the headers the gateway adds (Host, X-Forwarded-For, X-Forwarded-Proto https,
X-Request-ID). Every scenario runs `--runs` times for `--seconds`, interleaved (a different
order each run), after a short warm-up. Then EXPLAIN ANALYZE of the list's queries (page 1, a
page deep in the list through its cursor, a title search) and of the detail's, and with
`--profile` an in-process profile of the read path (the WSGI application called directly, its
parts timed one by one), and of the frontend's pages (`bench/frontend_profile.py`, in a process
of its own).

    cd /work/main && uv run python bench/http_reads.py [--runs 3] [--seconds 10]
        [--connections 16] [--tickets 10000] [--workers N] [--frontend-workers N]
        [--frontend-threads N] [--only NAME ...] [--profile]

Everything it starts (gunicorn, redis) is stopped and its database dropped at the end, on
Ctrl-C too.
"""

import argparse
import contextlib
import cProfile
import http.client
import io
import json
import os
import pstats
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2

from ticketing_shared.keys import generate_key_pair
from ticketing_shared.registry import service_get
from ticketing_shared.testing.bus.harness import RedisServer, eventually, postgres_admin

REPO_ROOT = Path(__file__).resolve().parents[1]
TICKETS_DIR = REPO_ROOT / "tickets_service"
FRONTEND_DIR = REPO_ROOT / "frontend_service"
BENCH_DIR = REPO_ROOT / "bench"
# Named per run, so that two runs at once never drop each other's databases.
DATABASE = f"ticketing_bench_tickets_{os.getpid()}"
# The host the ingress passes on (k8s: DJANGO_ALLOWED_HOSTS=$(PUBLIC_HOST),tickets).
PUBLIC_HOST = "ticketing.local"
BASELINE_PATH = "/api/tickets/baseline"  # bench/baseline/urls.py
READY_SECONDS = 60
WARM_UP_SECONDS = 2

P99_TARGET_MS = 50
RATIO_TARGET = 0.5  # of the bare baseline's requests/s
# The frontend's pages (issue 11): p50 at 16 clients.
PAGE_P50_TARGET_MS = 50
# Gunicorn threads per worker, as production runs each (the registry's, which the images and
# manifests pass as --threads): the tickets service's sync workers, the frontend's threads.
TICKETS_WEB_THREADS = service_get("tickets").web_threads
FRONTEND_WEB_THREADS = service_get("frontend").web_threads

# Titles made of these, so that a title search finds some and not others.
ARTISTS = [
    "The Lumineers", "Arcade Fire", "Nils Frahm", "Khruangbin", "Phoebe Bridgers",
    "Tame Impala", "Bonobo", "Fleet Foxes", "Vulfpeck", "Low Roar", "Beach House",
    "Parcels", "Big Thief", "Moderat", "Caribou", "Jungle", "Hania Rani", "Daughter",
]  # fmt: skip
VENUES = [
    "Olympia", "Paradiso", "Royal Albert Hall", "Fillmore", "Bataclan", "Roundhouse",
    "Tivoli", "Vega", "Columbiahalle", "Ancienne Belgique", "Brixton Academy", "Melkweg",
]  # fmt: skip
RARE_ARTIST = "The Quiet Marmots"  # one ticket in a thousand
SEARCH_COMMON = "olympia"  # about one title in twelve
SEARCH_RARE = "marmot"


# --- set-up -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


# Variables the settings or gunicorn read: none of the caller's may leak into the servers, which
# get exactly production's (k8s/base/kustomization.yaml and the deployment's env).
_SETTINGS_PREFIXES = (
    "TICKETING_", "DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "JWT_", "EVENTS_", "GUNICORN_",
    "TICKETS_", "SECURE_", "CSRF_", "TRUSTED_", "LOG_", "HOST", "PORT",
)  # fmt: skip


def production_environment(
    *, redis_port: int, static_root: Path, public_key: str, workers: int | None
) -> dict[str, str]:
    inherited = {
        name: value for name, value in os.environ.items() if not name.startswith(_SETTINGS_PREFIXES)
    }
    environment = {
        **inherited,
        "TICKETING_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_PUBLIC_KEY": public_key,
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_ALLOWED_HOSTS": f"{PUBLIC_HOST},tickets",
        "CSRF_TRUSTED_ORIGINS": f"https://{PUBLIC_HOST}",
        "TRUSTED_PROXY_COUNT": "1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/1",  # never the developer's 6379
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",  # as the image
    }
    if workers is not None:
        environment["GUNICORN_WORKERS"] = str(workers)
    return environment


def frontend_environment(
    environment: dict[str, str],
    *,
    static_root: Path,
    tickets_port: int,
    workers: int | None,
    public_reads_seconds: float | None,
) -> dict[str, str]:
    """The frontend's production environment: the others' common variables without a database
    (it keeps none), its own host, its collected static files, and where the APIs are. Only
    the tickets service runs here; the signed-out pages measured call no other API, so the
    others point at a closed port, where a call would fail the page (a 503, counted by wrk)."""
    closed_port = free_port()  # bound, then let go: nothing listens there
    frontend = {
        name: value for name, value in environment.items() if not name.startswith("DATABASE_")
    }
    if workers is not None:
        frontend["GUNICORN_WORKERS"] = str(workers)
    if public_reads_seconds is not None:
        frontend["FRONTEND_PUBLIC_READS_SECONDS"] = f"{public_reads_seconds:g}"
    return {
        **frontend,
        "DJANGO_STATIC_ROOT": str(static_root),
        # Canonical links and the sitemap's addresses (required in production).
        "FRONTEND_BASE_URL": f"https://{PUBLIC_HOST}",
        # The ingress's host and the cluster's Service name, as the others have theirs.
        "DJANGO_ALLOWED_HOSTS": f"{PUBLIC_HOST},frontend",
        "FRONTEND_TICKETS_URL": f"http://127.0.0.1:{tickets_port}",
        **{
            f"FRONTEND_{name}_URL": f"http://127.0.0.1:{closed_port}"
            for name in ("AUTH", "ORDERS", "PAYMENTS")
        },
    }


def frontend_static_collect(environment: dict[str, str]) -> None:
    """collectstatic for the frontend, in a process of its own (this one is the tickets
    service), as its image does at build time."""
    print("collecting the frontend's static files...", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=FRONTEND_DIR,
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings"},
        check=True,
    )


def frontend_profile(
    environment: dict[str, str], *, ticket_id: str, repeats: int, log_path: Path
) -> list[str]:
    """`bench/frontend_profile.py` in a process of its own as the frontend (this one is the
    tickets service): its report's lines."""
    print("profiling the frontend's pages in-process...", flush=True)
    argv = [
        sys.executable, str(BENCH_DIR / "frontend_profile.py"), "--ticket-id", ticket_id,
        "--repeats", str(repeats), "--log-path", str(log_path),
    ]  # fmt: skip
    result = subprocess.run(  # noqa: S603 (built here)
        argv,
        cwd=FRONTEND_DIR,
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the frontend's profile failed:\n{result.stdout}{result.stderr}")
    return result.stdout.splitlines()


def database_drop() -> None:
    postgres_admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def django_setup(environment: dict[str, str]) -> None:
    """This process as the tickets service (production's settings), to migrate, collect static
    files, fill the database, EXPLAIN and profile."""
    os.environ.clear()
    os.environ.update(environment, DJANGO_SETTINGS_MODULE="config.settings")
    sys.path.insert(0, str(TICKETS_DIR))
    import django

    django.setup()


def database_prepare(count: int) -> None:
    from django.core.management import call_command

    database_drop()
    postgres_admin(f'CREATE DATABASE "{DATABASE}"')
    print(f"migrating {DATABASE}...", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    print(f"filling it with {count} tickets...", flush=True)
    tickets_fill(count)


def tickets_fill(count: int) -> None:
    """`count` tickets, newest one second ago and one every few seconds before it, from 500
    sellers; 1 in 20 reserved and 1 in 20 sold (those hold an order), the rest available."""
    from django.db import connection
    from django.utils import timezone

    from tickets.models import Ticket

    # The title's search key, where the model keeps one, as the services write it.
    searchable = any(field.name == "title_search" for field in Ticket._meta.get_fields())
    if searchable:
        from tickets.search import search_key
    chooser = random.Random(1)  # the same tickets every run  # noqa: S311
    sellers = [uuid.UUID(int=chooser.getrandbits(128), version=4) for _ in range(500)]
    now = timezone.now()
    tickets = []
    for index in range(count):
        # 502: one that stays available (1 in 20 is reserved, 1 in 20 sold, by index % 20).
        artist = RARE_ARTIST if index % 1000 == 502 else chooser.choice(ARTISTS)
        title = (
            f"{artist} at {chooser.choice(VENUES)}: row {chooser.randint(1, 40)}, "
            f"seat {chooser.randint(1, 30)}"
        )
        status = {0: "reserved", 1: "sold"}.get(index % 20, "available")
        created = now - timedelta(seconds=1 + index * 7, microseconds=chooser.randint(0, 999_999))
        extra = {"title_search": search_key(title)} if searchable else {}
        tickets.append(
            Ticket(
                **extra,
                id=uuid.UUID(int=chooser.getrandbits(128), version=4),
                title=title,
                price=Decimal(chooser.randint(500, 25_000)) / 100,
                user_id=chooser.choice(sellers),
                order_id=None if status == "available" else uuid.uuid4(),
                status=status,
                version=chooser.randint(0, 3),
                created_at=created,
                updated_at=created,
            )
        )
    Ticket.objects.bulk_create(tickets, batch_size=2000)
    # What autovacuum would have done to a table of this size in production: statistics for the
    # planner and a visibility map.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tickets_ticket")


def static_collect() -> None:
    from django.core.management import call_command

    print("collecting static files (as the image does at build time)...", flush=True)
    call_command("collectstatic", interactive=False, verbosity=0)


# --- the servers ------------------------------------------------------------------------------


class Gunicorn:
    """One gunicorn master and its workers, with the services' gunicorn settings."""

    def __init__(
        self,
        name: str,
        app: str,
        *,
        cwd: Path,
        environment: dict,
        log_path: Path,
        threads: int = TICKETS_WEB_THREADS,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = log_path
        self.cwd = cwd
        self.environment = {**environment, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.threads = threads
        # Production's command (the images' and the manifests'): the `gunicorn` script of the
        # service's environment, with the registry's threads per worker.
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.argv = [
            str(gunicorn), "-c", "python:ticketing_shared.gunicorn_conf", "--threads",
            str(threads), app,
        ]  # fmt: skip
        self.process: subprocess.Popen | None = None

    def start(self, ready_path: str) -> None:
        print(f"starting gunicorn for {self.name} on port {self.port}...", flush=True)
        with self.log_path.open("a") as log:
            # The command line is built here: gunicorn, its settings module and the app.
            self.process = subprocess.Popen(  # noqa: S603
                self.argv,
                cwd=self.cwd,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        eventually(
            lambda: self._answers(ready_path),
            timeout=READY_SECONDS,
            interval=0.2,
            message=f"gunicorn for {self.name}; log:\n{self.log_tail()}",
        )

    def _answers(self, path: str) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn for {self.name} exited; log:\n{self.log_tail()}")
        try:
            return http_get(self.port, path)[0] == 200
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # the master stops its workers
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def gateway_headers() -> dict[str, str]:
    """What the gateway (and the ingress) adds to a request it passes on."""
    return {
        "Host": PUBLIC_HOST,
        "X-Forwarded-For": "203.0.113.7",  # a documentation address, never contacted
        "X-Forwarded-Proto": "https",
        "X-Request-ID": uuid.uuid4().hex,
    }


def http_get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=gateway_headers())
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def next_page_path(headers: dict[str, str]) -> str | None:
    link = headers.get("Link")
    if not link:
        return None
    url = urlsplit(link[link.index("<") + 1 : link.index(">")])
    return f"{url.path}?{url.query}"


def page_path(server: "Gunicorn", number: int) -> str:
    """The path of the list's page `number` (from 1), following each page's `Link`."""
    path = "/api/tickets"
    for _ in range(number - 1):
        status, headers, _body = http_get(server.port, path)
        if status != 200 or next_page_path(headers) is None:
            raise RuntimeError(
                f"the list ended before page {number} ({path}: {status}); the server's log:\n"
                f"{server.log_tail(5)}"
            )
        path = next_page_path(headers)
    return path


# --- load -------------------------------------------------------------------------------------

# wrk's script: a request per call from a list of paths (one for most scenarios, every ticket
# for the detail), the gateway's headers with a fresh request id, and a JSON summary at the end.
WRK_SCRIPT = r"""
local paths = {}
local headers = {
  ["Host"] = "%(host)s",
  ["X-Forwarded-For"] = "203.0.113.7",
  ["X-Forwarded-Proto"] = "https",
}

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  headers["X-Request-ID"] = string.format("%%08x%%08x%%08x%%08x", math.random(0, 0x7fffffff),
    math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  return wrk.format("GET", paths[math.random(#paths)], headers)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "bytes": %%d, "p50_us": %%d, "p90_us": %%d, '
    .. '"p99_us": %%d, "max_us": %%d, "connect": %%d, "read": %%d, "write": %%d, '
    .. '"status": %%d, "timeout": %%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, errors.connect, errors.read,
    errors.write, errors.status, errors.timeout))
end
"""


# The targets a scenario is judged on: the API reads' (issue: HTTP reads), the pages' (issue 11).
API_TARGETS = ("ratio", "p99")
PAGE_TARGETS = ("p50",)


@dataclass
class Scenario:
    name: str
    server: str  # "tickets", "bare", "db", "shared" or "frontend"
    paths: list[str]
    targets: tuple[str, ...] = ()  # the targets that apply, if any
    paths_file: Path | None = None
    # The servers this one calls to answer (the frontend calls the tickets service): their CPU
    # counts as the request's too.
    backends: tuple[str, ...] = ()


@dataclass
class Sample:
    """One wrk run of one scenario."""

    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    bytes_per_response: float
    errors: dict[str, int]
    server_cpu_ms: float  # the server's gunicorn workers, per request
    backend_cpu_ms: float  # the workers of the servers it calls (the frontend's tickets API)
    postgres_cpu_ms: float  # the backends of the benchmark's database, per request
    wrk_cpu_ms: float
    machine_busy: float  # share of all CPUs over the run
    others_cpus: float  # CPUs used meanwhile by all other processes (others' PostgreSQL too)


def machine_busy_seconds() -> float:
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = ticks[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            stat = stat_file.read()
    except OSError:  # it ended meanwhile
        return 0.0
    utime, stime = stat[stat.rindex(")") + 2 :].split()[11:13]
    return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """The PostgreSQL backends serving the benchmark's database (the servers' connections), not
    those of other work on the machine."""
    connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [DATABASE])
            return [pid for (pid,) in cursor.fetchall()]
    finally:
        connection.close()


def cpu_snapshot(server: Gunicorn, backends: list[Gunicorn]) -> dict[str, dict[int, float]]:
    return {
        "server": {pid: process_cpu_seconds(pid) for pid in server.worker_pids()},
        "backend": {
            pid: process_cpu_seconds(pid) for backend in backends for pid in backend.worker_pids()
        },
        "postgres": {pid: process_cpu_seconds(pid) for pid in postgres_pids()},
    }


def cpu_since(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def wrk_run(
    scenario: Scenario,
    server: Gunicorn,
    *,
    seconds: float,
    args,
    script: Path,
    backends: list[Gunicorn] = (),
) -> Sample:
    argv = [
        "wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{seconds:g}s",
        "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{server.port}",
        "--", str(scenario.paths_file),
    ]  # fmt: skip
    busy_before, cpu_before = machine_busy_seconds(), cpu_snapshot(server, backends)
    started = time.monotonic()
    # wrk with arguments built here: no outside input.
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: S603
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    busy_seconds = machine_busy_seconds() - busy_before
    cpu_after = cpu_snapshot(server, backends)
    server_seconds = cpu_since(cpu_before["server"], cpu_after["server"])
    backend_seconds = cpu_since(cpu_before["backend"], cpu_after["backend"])
    postgres_seconds = cpu_since(cpu_before["postgres"], cpu_after["postgres"])
    wrk_seconds = usage.ru_utime + usage.ru_stime
    summary_lines = [line for line in output.splitlines() if line.startswith("BENCH ")]
    if process.returncode != 0 or not summary_lines:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output}")
    summary = json.loads(summary_lines[-1].removeprefix("BENCH "))
    count = max(summary["requests"], 1)
    return Sample(
        requests_per_second=summary["requests"] / (summary["duration_us"] / 1e6),
        p50_ms=summary["p50_us"] / 1000,
        p90_ms=summary["p90_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        max_ms=summary["max_us"] / 1000,
        bytes_per_response=summary["bytes"] / count,
        errors={
            kind: summary[kind]
            for kind in ("connect", "read", "write", "status", "timeout")
            if summary[kind]
        },
        server_cpu_ms=server_seconds / count * 1000,
        backend_cpu_ms=backend_seconds / count * 1000,
        postgres_cpu_ms=postgres_seconds / count * 1000,
        wrk_cpu_ms=wrk_seconds / count * 1000,
        machine_busy=busy_seconds / elapsed / (os.cpu_count() or 1),
        others_cpus=max(
            busy_seconds - server_seconds - backend_seconds - postgres_seconds - wrk_seconds, 0
        )
        / elapsed,
    )


# --- EXPLAIN ANALYZE --------------------------------------------------------------------------


def plan_lines(node: dict, depth: int = 0) -> list[str]:
    """One line per plan node: its kind, the index it uses, rows, filters."""
    text = node["Node Type"]
    if "Index Name" in node:
        text += f" using {node['Index Name']}"
    if "Relation Name" in node:
        text += f" on {node['Relation Name']}"
    text += f" (rows {node.get('Actual Rows')}, loops {node.get('Actual Loops')}"
    for key in ("Rows Removed by Filter", "Rows Removed by Index Recheck"):
        if node.get(key):
            text += f", {key.lower()} {node[key]}"
    if "Sort Method" in node:
        text += f", {node['Sort Method']}"
    text += f", {node.get('Actual Total Time', 0):.3f} ms)"
    for key in ("Index Cond", "Recheck Cond", "Filter"):
        if key in node:
            text += f"\n{'  ' * (depth + 2)}{key}: {node[key]}"
    lines = [f"{'  ' * (depth + 1)}{text}"]
    for child in node.get("Plans", []):
        lines += plan_lines(child, depth + 1)
    return lines


def explain(label: str, read, repeats: int = 7) -> list[str]:
    """EXPLAIN ANALYZE of the one query `read()` sends (the selector's own SQL, captured),
    `repeats` times: the plan of the last, the median execution time."""
    from django.db import connection
    from django.db.models import QuerySet

    statements = []

    def record(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        result = read()
        if isinstance(result, QuerySet):  # a selector may hand back a lazy query
            list(result)
    [(query, params)] = statements
    times, plan = [], None
    with connection.cursor() as cursor:
        for _ in range(repeats):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {query}", params)
            [[result]] = cursor.fetchall()
            plan = result[0]
            times.append(plan["Execution Time"])
    top = plan["Plan"]
    buffers = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
    return [
        f"{label}: execution {statistics.median(times):.3f} ms (median of {repeats}), "
        f"planning {plan['Planning Time']:.3f} ms, {buffers} buffers",
        *plan_lines(top),
    ]


def explain_reads(limit: int) -> list[str]:
    """The SQL the views send: `ticket_rows` over the list's selector (the columns as the API
    shows them, converted by PostgreSQL), and `ticket_get_row` for the detail."""
    from tickets.models import Ticket
    from tickets.selectors import (
        NEWEST_FIRST,
        TicketPosition,
        ticket_get_row,
        ticket_list_available,
        ticket_rows,
    )

    # In the pages' order as the selectors state it, not whatever the model's default is.
    available = Ticket.objects.filter(status=Ticket.Status.AVAILABLE).order_by(*NEWEST_FIRST)
    pages = (available.count() + limit - 1) // limit
    deep = min(50, pages)
    # Where page `deep` starts: right after the last ticket of the page before it.
    after = TicketPosition.of(available[(deep - 1) * limit - 1])
    some_ticket = Ticket.objects.order_by("?").first()
    lines = []
    for label, read in [
        (
            f"list, page 1 (limit {limit})",
            lambda: ticket_rows(ticket_list_available(limit=limit + 1)),
        ),
        (
            f"list, page {deep} of {pages} through its cursor",
            lambda: ticket_rows(ticket_list_available(limit=limit + 1, after=after)),
        ),
        (
            f"list, ?q={SEARCH_COMMON} (about 1 title in 12)",
            lambda: ticket_rows(
                ticket_list_available(limit=limit + 1, title_contains=SEARCH_COMMON)
            ),
        ),
        (
            f"list, ?q={SEARCH_RARE} (1 title in 1000)",
            lambda: ticket_rows(ticket_list_available(limit=limit + 1, title_contains=SEARCH_RARE)),
        ),
        ("detail (ticket_get_row)", lambda: ticket_get_row(ticket_id=some_ticket.id)),
    ]:
        lines += explain(label, read)
    return lines


# --- in-process profile -----------------------------------------------------------------------


def wsgi_environ(path: str) -> dict:
    """What gunicorn hands the application for a GET through the gateway."""
    path_info, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in gateway_headers().items():
        environ[f"HTTP_{name.upper().replace('-', '_')}"] = value
    return environ


def wsgi_call(application, path: str) -> bytes:
    statuses = []
    body = b"".join(
        application(
            wsgi_environ(path), lambda status, headers, exc_info=None: statuses.append(status)
        )
    )
    if not statuses[0].startswith("200"):
        raise RuntimeError(f"{path}: {statuses[0]}")
    return body


def per_call_ms(function, repeats: int) -> tuple[float, float]:
    """Wall and CPU (this process's) time of one call: the median over 5 rounds of `repeats`
    calls' mean. CPU time is the steadier of the two on a machine shared with other work; wall
    time also counts waiting for PostgreSQL."""
    for _ in range(max(repeats // 10, 5)):  # warm
        function()
    walls, cpus = [], []
    for _ in range(5):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(repeats):
            function()
        walls.append((time.perf_counter() - wall) / repeats * 1000)
        cpus.append((time.process_time() - cpu) / repeats * 1000)
    return statistics.median(walls), statistics.median(cpus)


def page_from_serializer(limit: int) -> bytes:
    """The page as the list view built it up to 73ec595: model instances, DRF's output
    serializer and JSON renderer (kept to compare; the service still uses them for writes)."""
    from rest_framework.renderers import JSONRenderer

    from tickets.apis import TicketOutputSerializer
    from tickets.selectors import ticket_list_available

    page = list(ticket_list_available(limit=limit + 1))[:limit]
    return JSONRenderer().render(TicketOutputSerializer(page, many=True).data)


# The page as PostgreSQL writes it: one text value, whether there is a next page, and where the
# page ends (for the next page's cursor). The price comes out as written (20.00 for 20.0).
PAGE_JSON_SQL = """
SELECT coalesce(json_agg(json_build_object(
           'id', id, 'title', title, 'price', price, 'userId', user_id, 'version', version,
           'orderId', order_id, 'status', status) ORDER BY position)
           FILTER (WHERE position <= %(limit)s), '[]')::text,
       count(*) > %(limit)s,
       max(created_at) FILTER (WHERE position = %(limit)s),
       max(id::text) FILTER (WHERE position = %(limit)s)
FROM (SELECT *, row_number() OVER (ORDER BY created_at DESC, id DESC) AS position
      FROM tickets_ticket WHERE status = 'available'
      ORDER BY created_at DESC, id DESC LIMIT %(limit)s + 1) AS page
"""


def page_in_postgres(limit: int) -> bytes:
    """A step further than the service goes (a suggestion, measured; not the service's code):
    PostgreSQL writes the page's JSON, Python passes it on."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(PAGE_JSON_SQL, {"limit": limit})
        text, _more, _last_created, _last_id = cursor.fetchone()
    return text.encode()


def captured_sql(read) -> tuple[str, list]:
    """The one statement `read()` sends, as the ORM wrote it."""
    from django.db import connection

    statements = []

    def record(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        read()
    [statement] = statements
    return statement


def response_body(response) -> bytes:
    """A view's answer as bytes: DRF's `Response` is rendered first (its content is built
    then); a plain `HttpResponse`, as the public reads now return, already holds it."""
    if callable(getattr(response, "render", None)):
        response.render()
    return response.content


def cumulative_seconds(stats: pstats.Stats, pattern: str) -> float:
    """The cumulative time of the function a `file:lineno(name)` pattern names (`*` for any
    line number): the largest match's."""
    import fnmatch

    found = [
        values[3]
        for (filename, line, name), values in stats.stats.items()
        if fnmatch.fnmatch(f"{filename}:{line}({name})", pattern)
    ]
    return max(found, default=0.0)


def profile_shares(stats: pstats.Stats, total: float, parts: list) -> list[str]:
    """The cumulative time of each function named (`file:lineno(name)`, `*` for any line
    number) as a share of `total`; the line without a name is what the others leave (the
    whole minus DRF's dispatch)."""
    lines = []
    for label, pattern in parts:
        spent = (
            total - cumulative_seconds(stats, "views.py:*(dispatch)")
            if pattern is None
            else cumulative_seconds(stats, pattern)
        )
        lines.append(f"    {label:<64} {spent / total:>6.1%}")
    return lines


def parts_table(parts: list, repeats: int, *, width: int) -> list[str]:
    """Each part's wall and CPU time a call (`per_call_ms`), a line each under a header."""
    lines = [f"{'part':<{width}} {'wall ms':>8} {'CPU ms':>8}"]
    for label, function in parts:
        wall, cpu = per_call_ms(function, repeats)
        lines.append(f"{label:<{width}} {wall:>8.3f} {cpu:>8.3f}")
    return lines


def requests_profiled(application, path: str, repeats: int) -> tuple[pstats.Stats, float]:
    """cProfile of `repeats` requests for `path` through the WSGI application: the stats, and
    their whole time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeats):
        wsgi_call(application, path)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO()).strip_dirs()
    return stats, stats.total_tt


def profile_reads(limit: int, repeats: int, log_path: Path) -> list[str]:
    """The read path called in this process (production's settings, the same database), its
    parts timed one by one, and cProfile's view of the whole list and detail requests.

    The public reads (since ce27fef): the list validates its filters, asks
    `selectors.ticket_list_available` for `limit + 1` tickets and `selectors.ticket_rows` for
    their rows (ids as text and the price as a float, converted by PostgreSQL; no model
    instances), turns each into the contract's ticket with `apis._ticket_json` and writes the
    page with `apis._json_response` (json.dumps into a plain `HttpResponse`, no DRF renderer),
    plus the `Link` header's cursor; the detail is `selectors.ticket_get_row`, `_ticket_json`
    and `_json_response`."""
    import logging

    from django.core.handlers.wsgi import WSGIRequest
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.http import QueryDict

    from ticketing_shared.logging import request_logger
    from tickets.apis import (
        TicketDetailApi,
        TicketListCreateApi,
        _cursor_encode,
        _json_response,
        _ticket_json,
    )
    from tickets.models import Ticket
    from tickets.selectors import (
        _ROW_COLUMNS,
        TicketPosition,
        ticket_get_row,
        ticket_list_available,
        ticket_rows,
    )

    application = get_wsgi_application()  # sets logging up again: the log's stream after it
    log_file = log_path.open("a")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log_file)  # a file, as gunicorn's stderr in the benchmark

    list_path = "/api/tickets"
    ticket_id = Ticket.objects.order_by("?").values_list("id", flat=True).first()
    detail_path = f"/api/tickets/{ticket_id}"
    rows = ticket_rows(ticket_list_available(limit=limit + 1))
    page = rows[:limit]
    body = [_ticket_json(row) for row in page]
    one_row = ticket_get_row(ticket_id=ticket_id)
    list_view, detail_view = TicketListCreateApi.as_view(), TicketDetailApi.as_view()
    list_sql, list_params = captured_sql(
        lambda: ticket_rows(ticket_list_available(limit=limit + 1))
    )

    def view_alone(view, path, **kwargs):
        # The DRF view without Django's handler, the URL resolver and the middleware.
        return response_body(view(WSGIRequest(wsgi_environ(path)), **kwargs))

    def sql_rows():
        # The same statement sent by hand: what PostgreSQL and psycopg2 cost, without the
        # ORM writing the SQL and without the named tuples.
        with connection.cursor() as cursor:
            cursor.execute(list_sql, list_params)
            return cursor.fetchall()

    def orm_sql(tickets):
        # What the ORM spends building the query `ticket_rows` sends and writing its SQL (none
        # sent): `tickets()` is the selector's queryset, or the detail's as `ticket_get_row`
        # makes it.
        return tickets().values_list(*_ROW_COLUMNS).query.sql_with_params()

    def log_line():
        request_logger.info(
            "request",
            extra={
                "method": "GET",
                "path": list_path,
                "status": 200,
                "duration_ms": 1.0,
                "user_id": None,
            },
        )

    answered = json.loads(wsgi_call(application, list_path))
    same_serializer = json.loads(page_from_serializer(limit)) == answered
    same_pg = json.loads(page_in_postgres(limit)) == answered
    detail_answered = json.loads(wsgi_call(application, detail_path))
    parts = [
        (f"GET {list_path}: the whole WSGI call", lambda: wsgi_call(application, list_path)),
        (
            "  the DRF view alone (no middleware, no URL resolving)",
            lambda: view_alone(list_view, list_path),
        ),
        (
            "  the filters' serializer (limit, cursor, q)",
            lambda: TicketListCreateApi.FilterSerializer(data=QueryDict("")).is_valid(),
        ),
        (
            f"  the query: ticket_rows(ticket_list_available), {limit + 1} rows",
            lambda: ticket_rows(ticket_list_available(limit=limit + 1)),
        ),
        (
            "    of which the ORM building the query and its SQL (none sent)",
            lambda: orm_sql(lambda: ticket_list_available(limit=limit + 1)),
        ),
        ("    the same SQL sent by hand (PostgreSQL, psycopg2's tuples)", sql_rows),
        ("    the connection health check (SELECT 1, once a request)", connection.is_usable),
        (
            f"  _ticket_json, {limit} tickets",
            lambda: [_ticket_json(row) for row in page],
        ),
        (
            f"  _json_response, {limit} tickets (json.dumps, HttpResponse)",
            lambda: _json_response(body),
        ),
        (
            "  the Link header's cursor (_cursor_encode)",
            lambda: _cursor_encode(TicketPosition.of(page[-1])),
        ),
        ("  the request log line (JSON formatter, to a file)", log_line),
        (
            f"  before (73ec595): instances, serializer, renderer (same JSON: {same_serializer})",
            lambda: page_from_serializer(limit),
        ),
        (
            f"  not taken: the page's JSON from PostgreSQL, json_agg (same JSON: {same_pg})",
            lambda: page_in_postgres(limit),
        ),
        ("GET /api/tickets/<id>: the whole WSGI call", lambda: wsgi_call(application, detail_path)),
        ("  the DRF view alone", lambda: view_alone(detail_view, detail_path, ticket_id=ticket_id)),
        (
            "  the query (ticket_get_row: ticket_rows of one id)",
            lambda: ticket_get_row(ticket_id=ticket_id),
        ),
        (
            "    of which the ORM building the query and its SQL (none sent)",
            lambda: orm_sql(lambda: Ticket.objects.filter(pk=ticket_id).order_by()),
        ),
        (
            "  _ticket_json and _json_response, 1 ticket",
            lambda: _json_response(_ticket_json(one_row)),
        ),
        (
            "GET /healthz: the whole WSGI call (middleware floor)",
            lambda: wsgi_call(application, "/healthz"),
        ),
    ]
    lines = parts_table(parts, repeats, width=80)
    lines.append(f"(the detail's answer is the row's: {detail_answered == _ticket_json(one_row)})")

    for label, path in [("list", list_path), ("detail", detail_path)]:
        stats, total = requests_profiled(application, path, repeats)
        lines += [
            "",
            f"cProfile of {repeats} {label} requests: {total / repeats * 1000:.2f} ms each",
        ]
        lines += ["(cProfile slows Python calls far more than C ones: shares, not times)"]
        lines += ["  where the request's time goes (cumulative, % of the whole):"]
        lines += profile_shares(
            stats,
            total,
            [
                ("outside DRF's dispatch: middleware, URL resolving, handler", None),
                ("  of which the request log line", "__init__.py:*(info)"),
                ("DRF's dispatch", "views.py:*(dispatch)"),
                (f"  the view's method ({label})", "apis.py:*(get)"),
                *(
                    [("    the filters' serializer (is_valid)", "serializers.py:*(is_valid)")]
                    if label == "list"
                    else []
                ),
                (
                    "    the query: ticket_rows (SQL written, sent, rows fetched)",
                    "selectors.py:*(ticket_rows)",
                ),
                ("      of which the connection health check (SELECT 1)", "base.py:*(is_usable)"),
                ("      of which the ORM compiling the SQL", "compiler.py:*(as_sql)"),
                ("    _ticket_json", "apis.py:*(_ticket_json)"),
                ("    _json_response (json.dumps, HttpResponse)", "apis.py:*(_json_response)"),
            ],
        )
        text = io.StringIO()
        stats.stream = text
        stats.sort_stats("tottime").print_stats(15)
        lines_out = text.getvalue().splitlines()
        header = next(index for index, line in enumerate(lines_out) if "ncalls" in line)
        lines += ["  the 15 functions with the most time of their own:"]
        lines += [f"  {line}" for line in lines_out[header:] if line.strip()]
    return lines


# --- the report -------------------------------------------------------------------------------


def spread(values: list[float], digits: int = 1) -> str:
    middle = statistics.median(values)
    if len(values) == 1:
        return f"{middle:.{digits}f}"
    return f"{middle:.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def _seconds_kept(args) -> str:
    seconds = args.frontend_public_reads_seconds
    return "as production's default" if seconds is None else f"{seconds:g} s"


def report(
    scenarios: list[Scenario], samples: dict[str, list[Sample]], args, context: dict
) -> list[str]:
    bare = samples.get("baseline: bare Django")
    columns = "{:<38} {:>20} {:>17} {:>17} {:>20} {:>9} {:>9} {:>9} {:>6} {:>14}  {}"
    lines = [
        f"HTTP reads at {context['code']}: {os.cpu_count()} CPUs, busy {context['busy_before']:.0%}"
        f" just before the run; gunicorn {context['gunicorn']} workers x{context['workers']}"
        f" with {TICKETS_WEB_THREADS} thread(s)"
        + (
            f" (the frontend's x{args.frontend_workers or context['workers']} with "
            f"{args.frontend_threads or FRONTEND_WEB_THREADS} threads, public reads kept "
            f"{_seconds_kept(args)})"
            if "frontend" in context["servers"]
            else ""
        )
        + " (ticketing_shared.gunicorn_conf), TICKETING_ENV=production, LOG_LEVEL=INFO",
        f"{args.tickets} tickets ({context['available']} available); wrk {args.connections} "
        f"connections, {args.wrk_threads} thread(s); {args.runs} runs x {args.seconds:g} s per "
        f"scenario, interleaved; median (min-max) over runs",
        "",
        columns.format(
            "scenario", "req/s", "x bare baseline", "p50 ms", "p99 ms", "server CPU", "API CPU",
            "pg CPU", "KiB", "CPU ceiling", "result",
        ),
        columns.format(
            "", "", "", "", "", "ms/req", "ms/req", "ms/req", "", "req/s (x bare)", ""
        ),
    ]  # fmt: skip
    bare_ceiling = statistics.median(map(cpu_ceiling, bare)) if bare else None
    for scenario in scenarios:
        runs = samples[scenario.name]
        ceiling = statistics.median(map(cpu_ceiling, runs))
        ceiling_text = f"{ceiling:.0f}" + (f" ({ceiling / bare_ceiling:.2f})" if bare else "")
        ratios = [
            sample.requests_per_second / base.requests_per_second
            for sample, base in zip(runs, bare or [], strict=bool(bare))
        ]
        met = {
            "ratio": bool(ratios) and statistics.median(ratios) >= RATIO_TARGET,
            "p99": statistics.median(sample.p99_ms for sample in runs) < P99_TARGET_MS,
            "p50": statistics.median(sample.p50_ms for sample in runs) < PAGE_P50_TARGET_MS,
        }
        result = ", ".join(
            f"{target} {'PASS' if met[target] else 'MISS'}" for target in scenario.targets
        )
        lines.append(
            columns.format(
                scenario.name,
                spread([sample.requests_per_second for sample in runs], 0),
                spread(ratios, 2) if ratios else "",
                spread([sample.p50_ms for sample in runs]),
                spread([sample.p99_ms for sample in runs]),
                spread([sample.server_cpu_ms for sample in runs], 2),
                (
                    f"{statistics.median(sample.backend_cpu_ms for sample in runs):.2f}"
                    if scenario.backends
                    else ""
                ),
                f"{statistics.median(sample.postgres_cpu_ms for sample in runs):.2f}",
                f"{statistics.median(sample.bytes_per_response for sample in runs) / 1024:.1f}",
                ceiling_text,
                result,
            ).rstrip()
        )
    every = [sample for runs in samples.values() for sample in runs]
    lines += [
        "",
        f"targets (the rows marked), judged on the medians: the API reads at least "
        f"{RATIO_TARGET}x the bare baseline's req/s and p99 < {P99_TARGET_MS} ms; the "
        f"frontend's pages p50 < {PAGE_P50_TARGET_MS} ms",
        "server CPU: the server's gunicorn workers; API CPU: the tickets service's workers "
        "answering the frontend's calls; pg CPU: the PostgreSQL backends of the benchmark's "
        "database; KiB: per answer, headers included",
        "CPU ceiling: the req/s all CPUs would allow with no other work on the machine, "
        "from the CPU time each request took (server, API, PostgreSQL and wrk)",
        f"machine busy during the runs: {spread([s.machine_busy * 100 for s in every], 0)} % "
        f"of all CPUs, of which other work than the servers, their PostgreSQL backends and wrk: "
        f"{spread([s.others_cpus for s in every], 2)} CPUs; wrk's own CPU: "
        f"{statistics.median(s.wrk_cpu_ms for s in every):.3f} ms/req",
    ]
    errors = {
        name: [sample.errors for sample in runs if sample.errors] for name, runs in samples.items()
    }
    errors = {name: found for name, found in errors.items() if found}
    lines.append(f"wrk errors (non-2xx answers, timeouts, socket errors): {errors or 'none'}")
    lines.append(f"server log lines at WARNING or above: {context['log_problems']}")
    return lines


def cpu_ceiling(sample: Sample) -> float:
    spent_ms = (
        sample.server_cpu_ms + sample.backend_cpu_ms + sample.postgres_cpu_ms + sample.wrk_cpu_ms
    )
    return (os.cpu_count() or 1) * 1000 / spent_ms


def code_revision() -> str:
    command = ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()  # noqa: S603
    command = [
        "git",
        "-C",
        str(REPO_ROOT),
        "status",
        "--porcelain",
        "--",
        "shared",
        "tickets_service",
        "frontend_service",
    ]
    modified = subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()  # noqa: S603
    return f"{commit or '?'}{' (modified)' if modified else ''}"


def machine_busy_share(*, seconds: float) -> float:
    before = machine_busy_seconds()
    time.sleep(seconds)
    return (machine_busy_seconds() - before) / seconds / (os.cpu_count() or 1)


# --- main -------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each scenario (3)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each run (10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--tickets", type=int, default=10_000, help="tickets in the database")
    parser.add_argument(
        "--workers", type=int, default=None, help="GUNICORN_WORKERS (default: production's, 2)"
    )
    parser.add_argument(
        "--frontend-workers",
        type=int,
        default=None,
        help="the frontend's GUNICORN_WORKERS (default: as --workers)",
    )
    parser.add_argument(
        "--frontend-threads",
        type=int,
        default=None,
        help=f"the frontend's gunicorn --threads (default: production's, the registry's "
        f"{FRONTEND_WEB_THREADS})",
    )
    parser.add_argument(
        "--frontend-public-reads-seconds",
        type=float,
        default=None,
        help="how long the frontend keeps a signed-out visitor's public reads "
        "(FRONTEND_PUBLIC_READS_SECONDS; default: production's, 2; 0: every page calls the API)",
    )
    parser.add_argument(
        "--only", nargs="*", default=None, help="scenarios whose name contains one of these"
    )
    parser.add_argument(
        "--profile", action="store_true", help="then profile the read path in this process"
    )
    parser.add_argument(
        "--profile-repeats", type=int, default=200, help="calls per part in the profile (200)"
    )
    return parser.parse_args()


def scenarios_make(
    limit: int, ticket_ids: list[str], deep: str, deep_number: int
) -> list[Scenario]:
    detail_paths = [f"/api/tickets/{ticket_id}" for ticket_id in ticket_ids]
    baseline_row_paths = [f"{BASELINE_PATH}/{ticket_id}" for ticket_id in ticket_ids]
    search = f"/api/tickets?q={SEARCH_COMMON}"
    page_paths = [f"/tickets/{ticket_id}" for ticket_id in ticket_ids]
    return [
        Scenario("baseline: bare Django", "bare", [BASELINE_PATH]),
        Scenario("baseline: + shared middleware", "shared", [BASELINE_PATH]),
        Scenario("baseline: bare + 1 SQL row by id", "db", baseline_row_paths),
        Scenario(f"GET /api/tickets (limit {limit})", "tickets", ["/api/tickets"], API_TARGETS),
        Scenario("GET /api/tickets?limit=20", "tickets", ["/api/tickets?limit=20"]),
        Scenario(f"GET /api/tickets page {deep_number}", "tickets", [deep]),
        Scenario(f"GET /api/tickets?q={SEARCH_COMMON}", "tickets", [search]),
        Scenario("GET /api/tickets/:id (random)", "tickets", detail_paths, API_TARGETS),
        # The frontend's pages, signed out (as crawlers and newcomers see them): each one call
        # to the tickets API, then a template.
        Scenario(
            "frontend: GET / (landing)", "frontend", ["/"], PAGE_TARGETS, backends=("tickets",)
        ),
        Scenario(
            "frontend: GET /tickets/:id (random)", "frontend", page_paths, PAGE_TARGETS,
            backends=("tickets",),
        ),
    ]  # fmt: skip


def run(args, cleanup: contextlib.ExitStack) -> None:
    workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="bench-http-")))
    redis_server = RedisServer(port=free_port(), workdir=workdir)
    print(f"starting redis-server on port {redis_server.port}...", flush=True)
    cleanup.callback(redis_server.stop)
    redis_server.start()

    _private, public_key = generate_key_pair()
    static_root = workdir / "static"
    environment = production_environment(
        redis_port=redis_server.port,
        static_root=static_root,
        public_key=public_key,
        workers=args.workers,
    )
    django_setup(environment)
    cleanup.callback(database_drop)
    database_prepare(args.tickets)
    static_collect()

    from django.conf import settings
    from django.db import connections

    from tickets.models import Ticket

    limit = settings.TICKETS_PAGE_SIZE_DEFAULT
    ticket_ids = [str(i) for i in Ticket.objects.values_list("id", flat=True)]
    available = Ticket.objects.filter(status=Ticket.Status.AVAILABLE).count()
    connections.close_all()  # the servers start now; this process's connection waits

    servers = {
        "tickets": Gunicorn(
            "the tickets service",
            "config.wsgi:application",
            cwd=TICKETS_DIR,
            # Production's hosts, and the address the frontend calls it at here (in the
            # cluster, `tickets:8000`, which `tickets` allows).
            environment={
                **environment,
                "DJANGO_ALLOWED_HOSTS": f"{environment['DJANGO_ALLOWED_HOSTS']},127.0.0.1",
            },
            log_path=workdir / "tickets.log",
        ),
        "bare": Gunicorn(
            "the bare baseline",
            "baseline.wsgi:application",
            cwd=BENCH_DIR,
            environment={**environment, "DJANGO_SETTINGS_MODULE": "baseline.settings"},
            log_path=workdir / "bare.log",
        ),
        "db": Gunicorn(
            "the bare baseline with the database",
            "baseline.wsgi:application",
            cwd=BENCH_DIR,
            environment={**environment, "DJANGO_SETTINGS_MODULE": "baseline.settings_db"},
            log_path=workdir / "db.log",
        ),
        "shared": Gunicorn(
            "the baseline with the shared middleware",
            "baseline.wsgi:application",
            cwd=BENCH_DIR,
            environment={
                **environment,
                "DJANGO_SETTINGS_MODULE": "baseline.settings_shared",
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(TICKETS_DIR), environment.get("PYTHONPATH")])
                ),
            },
            log_path=workdir / "shared.log",
        ),
    }
    for name, server in servers.items():
        cleanup.callback(server.stop)
        server.start("/healthz" if name == "tickets" else BASELINE_PATH)

    pages = (available + limit - 1) // limit
    deep_number = min(50, pages)
    print(f"following the list's Link headers to page {deep_number}...", flush=True)
    deep = page_path(servers["tickets"], deep_number)
    scenarios = scenarios_make(limit, ticket_ids, deep, deep_number)
    if args.only:
        names = [scenario.name for scenario in scenarios]
        chosen = [s for s in scenarios if any(word in s.name for word in args.only)]
        if not chosen:
            raise SystemExit(f"--only {' '.join(args.only)}: no scenario matches; they are {names}")
        # The bare baseline always runs: every ratio is against it, measured in the same run.
        scenarios = [s for s in scenarios if s in chosen or s.server == "bare"]
    if any(scenario.server == "frontend" for scenario in scenarios):
        frontend_env = frontend_environment(
            environment,
            static_root=workdir / "static-frontend",
            tickets_port=servers["tickets"].port,
            workers=args.frontend_workers,
            public_reads_seconds=args.frontend_public_reads_seconds,
        )
        frontend_static_collect(frontend_env)
        servers["frontend"] = Gunicorn(
            "the frontend",
            "config.wsgi:application",
            cwd=FRONTEND_DIR,
            environment=frontend_env,
            log_path=workdir / "frontend.log",
            threads=args.frontend_threads or FRONTEND_WEB_THREADS,
        )
        cleanup.callback(servers["frontend"].stop)
        servers["frontend"].start("/healthz")
    script = workdir / "reads.lua"
    script.write_text(WRK_SCRIPT % {"host": PUBLIC_HOST})
    for index, scenario in enumerate(scenarios):
        scenario.paths_file = workdir / f"paths-{index}.txt"
        scenario.paths_file.write_text("\n".join(scenario.paths) + "\n")
        status, _headers, body = http_get(servers[scenario.server].port, scenario.paths[0])
        if status != 200:
            raise RuntimeError(
                f"{scenario.name}: {scenario.paths[0]} answered {status}: {body[:300]}; the "
                f"server's log:\n{servers[scenario.server].log_tail(5)}"
            )

    print(f"warming up: {WARM_UP_SECONDS} s of each scenario...", flush=True)
    for scenario in scenarios if args.runs else []:
        wrk_run(
            scenario,
            servers[scenario.server],
            seconds=WARM_UP_SECONDS,
            args=args,
            script=script,
            backends=[servers[name] for name in scenario.backends],
        )

    samples: dict[str, list[Sample]] = {scenario.name: [] for scenario in scenarios}
    for run_index in range(args.runs):
        # Each run in another order, so that no scenario always follows the same one.
        order = scenarios[run_index % len(scenarios) :] + scenarios[: run_index % len(scenarios)]
        for scenario in order:
            sample = wrk_run(
                scenario,
                servers[scenario.server],
                seconds=args.seconds,
                args=args,
                script=script,
                backends=[servers[name] for name in scenario.backends],
            )
            samples[scenario.name].append(sample)
            print(
                f"  run {run_index + 1}/{args.runs} {scenario.name}: "
                f"{sample.requests_per_second:.0f} req/s, p50 {sample.p50_ms:.1f} ms, "
                f"p99 {sample.p99_ms:.1f} ms, server CPU {sample.server_cpu_ms:.2f} ms/req, "
                + (f"API CPU {sample.backend_cpu_ms:.2f} ms/req, " if scenario.backends else "")
                + f"other processes {sample.others_cpus:.2f} CPUs"
                + (f", errors {sample.errors}" if sample.errors else ""),
                flush=True,
            )

    # The services' JSON lines, gunicorn's own ("[ERROR]"), and Django's default (a traceback).
    problem_marks = [
        *(f'"level": "{level}"' for level in ("WARNING", "ERROR", "CRITICAL")),
        *(f"[{level}]" for level in ("WARNING", "ERROR", "CRITICAL")),
        "Traceback",
    ]
    log_problems = {
        name: sum(
            any(mark in line for mark in problem_marks) for line in server.log_text().splitlines()
        )
        for name, server in servers.items()
    }
    frontend_profiled = []
    if args.profile and "frontend" in servers:
        # While the tickets service still serves: the pages' API call is the real one.
        frontend_profiled = frontend_profile(
            frontend_env, ticket_id=ticket_ids[len(ticket_ids) // 2], repeats=args.profile_repeats,
            log_path=workdir / "frontend-profile.log",
        )  # fmt: skip
    print("stopping the servers...", flush=True)
    for server in servers.values():
        server.stop()

    print("EXPLAIN ANALYZE of the reads' queries...", flush=True)
    explained = explain_reads(limit)
    profiled = (
        profile_reads(limit, args.profile_repeats, workdir / "profile.log") if args.profile else []
    )
    connections.close_all()

    import gunicorn

    context = {
        "code": args.code,
        "busy_before": args.busy_before,
        "gunicorn": gunicorn.__version__,
        "workers": args.workers or 2,
        "servers": list(servers),
        "available": available,
        "log_problems": log_problems,
    }
    if args.runs:
        print()
        print("\n".join(report(scenarios, samples, args, context)))
    print()
    print(f"EXPLAIN ANALYZE ({args.tickets} tickets, VACUUM ANALYZE after the fill):")
    print("\n".join(explained))
    if profiled:
        print()
        print(
            "In-process profile (production settings, the same database; "
            f"{args.profile_repeats} calls per part):"
        )
        print("\n".join(profiled))
    if frontend_profiled:
        print()
        print(
            "The frontend's pages in-process (production settings, the benchmark's tickets "
            f"service over HTTP; {args.profile_repeats} calls per part):"
        )
        print("\n".join(frontend_profiled))


def main() -> int:
    args = arguments()
    if shutil.which("wrk") is None:
        print(
            "wrk is missing: it is Debian's package `wrk` (apt-get install -y wrk).",
            file=sys.stderr,
        )
        return 2
    args.busy_before, args.code = machine_busy_share(seconds=2), code_revision()
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    try:
        with contextlib.ExitStack() as cleanup:
            run(args, cleanup)
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
