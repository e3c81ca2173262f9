"""Real parts of the bus: a Redis server of one's own, stand-in services' databases, their
Celery workers and beats (or a real service's, `CeleryProcess`), and a stand-in producer. The bus
tests (`shared/tests/conftest.py`), the services' delivery tests and the benchmark use them.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg2
import redis

# The stand-in service every process started here runs as (its TICKETING_SERVICE varies).
STANDIN_SETTINGS = "ticketing_shared.testing.bus.settings"
STANDIN_CELERY_APP = "ticketing_shared.testing.bus.celery_app"
WORKER_READY_SECONDS = 30
# Short enough for tests: redelivery after a crash, retries, and the outbox sweep.
SHORT_TIMEOUTS = {
    "EVENTS_VISIBILITY_TIMEOUT": "3",
    "EVENTS_RESTORE_INTERVAL_SECONDS": "1",
    "EVENTS_MAX_ATTEMPTS": "4",
    # An early event waits longer than a failing one fails: about 22 s at these pauses.
    "EVENTS_MAX_EARLY_ATTEMPTS": "25",
    "EVENTS_RETRY_BACKOFF_BASE": "0.2",
    "EVENTS_RETRY_BACKOFF_MAX": "1",
    "EVENTS_SWEEP_INTERVAL_SECONDS": "0.5",
}


# Every table a stand-in service writes, emptied between tests (ConsumerDatabase.empty).
STANDIN_TABLES = (
    "copies_copy",
    "copies_application",
    "events_inboxevent",
    "events_deadletter",
    "events_outboxevent",
)


def free_port() -> int:
    """A port nothing listens on now, for a server of a test run's own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def eventually(
    check, *, timeout: float = 20, interval: float = 0.1, message: str | Callable[[], str] = ""
):
    """Polls `check` until it returns something truthy; fails with `message` after `timeout`
    (a function is called then, so it can tell what a worker logged meanwhile)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"not within {timeout}s: {text}")
        time.sleep(interval)


def postgres_admin(sql: str) -> None:
    """Runs one statement (CREATE/DROP DATABASE) outside any transaction."""
    connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


class RedisServer:
    """A throwaway redis-server the tests may stop (a broker outage) and start again."""

    def __init__(self, *, port: int, workdir: Path) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        # The command line is built here, from a port number and a directory: no outside input.
        self.process = subprocess.Popen(  # noqa: S603
            argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        eventually(self._answers, timeout=10, message=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1)

    def queue_length(self, queue: str) -> int:
        return self.client().llen(queue)

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.ConnectionError:
            return False


class ConsumerDatabase:
    """The database of one stand-in service, made fresh for a run; named after the service and
    this process unless `name` says otherwise, so that two runs never share one. Given
    `service_dir` (e.g. `tickets_service/`), it is the real service's database instead, migrated
    from that folder with that service's settings (`config.settings`), as its `manage.py migrate`
    does: for a suite whose own test database holds another service's tables."""

    def __init__(
        self, service: str, *, name: str | None = None, service_dir: Path | None = None
    ) -> None:
        self.service = service
        self.name = name or f"ticketing_bustest_{service}_{os.getpid()}"
        self.url = f"postgres://postgres@127.0.0.1:5432/{self.name}"
        self.service_dir = service_dir

    def create(self) -> None:
        postgres_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        postgres_admin(f'CREATE DATABASE "{self.name}"')
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"],
            env=self.environment(),
            cwd=self.service_dir,
            check=True,
        )

    def environment(self, **extra: str) -> dict:
        """The environment of a process of this service on this database (`worker_environment`),
        the real service's settings where it is one."""
        if self.service_dir is not None:
            extra = {"DJANGO_SETTINGS_MODULE": "config.settings", **extra}
        return worker_environment(self.service, self.url, **extra)

    def drop(self) -> None:
        postgres_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def empty(self, *tables: str) -> None:
        self.execute(f"TRUNCATE {', '.join(tables)}")

    def rows(self, sql: str, *params) -> list[tuple]:
        with self._connect() as connection, connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def execute(self, sql: str) -> None:
        with self._connect() as connection, connection.cursor() as cursor:
            cursor.execute(sql)

    def _connect(self):
        return psycopg2.connect(host="127.0.0.1", user="postgres", dbname=self.name)


def this_database_url() -> str:
    """The URL of the database this process's Django connection is on (in a test, its test
    database), for the processes a test starts to work on it too."""
    from django.db import connection

    settings_dict = connection.settings_dict
    return (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}"
    )


def worker_environment(
    service: str, database_url: str, *, short_timeouts: bool = True, **extra: str
) -> dict:
    """The environment of a stand-in for `service` on `database_url`: this process's (the
    broker is whatever CELERY_BROKER_URL says), with the tests' short timeouts unless
    `short_timeouts` is false (the benchmark: production's defaults, none of the caller's
    EVENTS_* either). `extra` comes last: `DJANGO_SETTINGS_MODULE="config.settings"` makes it
    a real service's environment (see `CeleryProcess`)."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if short_timeouts or not name.startswith("EVENTS_")
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": STANDIN_SETTINGS,
        "TICKETING_SERVICE": service,
        "DATABASE_URL": database_url,
        # Workers keep their connections between tasks as production's do (development's
        # default closes them after each, for runserver's sake).
        "DATABASE_CONN_MAX_AGE": "60",
        "PYTHONUNBUFFERED": "1",
        **(SHORT_TIMEOUTS if short_timeouts else {}),
        **extra,
    }


class StandinPublisher:
    """A stand-in producer for `service` on `database_url`, in a process of its own (`publish`):
    each event goes through its outbox and the relay on commit, as a real service's do."""

    def __init__(self, service: str, database_url: str, log_path: Path) -> None:
        self.service = service
        self.env = worker_environment(service, database_url)
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> "StandinPublisher":
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ticketing_shared.testing.bus.publish"],
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        return self

    def publish(self, subject: str, data: dict) -> str:
        """Publishes one event; returns its id once the relay has sent it."""
        if self.process is None:
            raise RuntimeError("the publisher is not started")
        self.process.stdin.write(json.dumps({"subject": subject, "data": data}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        answer = json.loads(line) if line else {"error": f"exited; log:\n{self._log_tail()}"}
        if "error" in answer:
            raise AssertionError(f"{self.service} could not publish {subject}: {answer['error']}")
        return answer["id"]

    def stop(self) -> None:
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait(timeout=10)
            self.process.stdout.close()
            self.process = None

    def _log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text().splitlines()[-lines:])


class CeleryProcess:
    """A `celery worker` or `celery beat` in its own process group: of a stand-in service by
    default, or of a real one given its Celery `app` and the folder it runs from (`cwd`), e.g.
    `app="config.celery_app"` from `tickets_service/` with `worker_environment(...,
    DJANGO_SETTINGS_MODULE="config.settings")`."""

    def __init__(
        self,
        service: str,
        argv: list[str],
        env: dict,
        log_path: Path,
        *,
        app: str = STANDIN_CELERY_APP,
        cwd: Path | None = None,
    ) -> None:
        self.service = service
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.app = app
        self.cwd = cwd
        self.process: subprocess.Popen | None = None

    def start(self, *, ready_text: str | None = None) -> "CeleryProcess":
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("a") as log:
            # Celery's own command line, with the arguments of the code that starts it.
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "celery", "-A", self.app, *self.argv],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if ready_text:
            eventually(
                lambda: ready_text in self.log_path.read_text()[offset:],
                timeout=WORKER_READY_SECONDS,
                message=f"{self.service} {self.argv[0]} ready; log:\n{self.log_tail()}",
            )
        return self

    def kill(self) -> None:
        """As a crash would: SIGKILL to the whole process group, no chance to clean up."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def log_text(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def _signal(self, signum: int) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


SOLO_POOL = ("--pool", "solo")


def worker_argv(
    service: str, pool_options: tuple[str, ...] = SOLO_POOL, *, log_level: str = "INFO"
) -> list[str]:
    """By default one process applying one message at a time, so that a kill -9 of it is a
    crash mid-handler; `pool_options=()` runs the services' own pool (settings)."""
    name = f"{service}-{uuid.uuid4().hex[:6]}@%h"
    quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return ["worker", *pool_options, *quiet, "-l", log_level, "-n", name]
