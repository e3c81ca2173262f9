"""Make sure PostgreSQL and Redis answer (starting local ones if needed); create databases."""

import os
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
from psycopg2 import errors, sql

from ticketing_devtools.errors import SetupError
from ticketing_devtools.programs import INSTALL_HINT, find_program

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
POSTGRES_CONFIG_DIR = Path("/etc/postgresql")
REDIS_DATA_DIR = Path("/var/lib/redis")
REDIS_LOG_DIR = Path("/var/log/redis")


@dataclass(frozen=True)
class Endpoint:
    label: str
    host: str
    port: int

    @property
    def is_unix_socket(self) -> bool:
        # libpq reads a PGHOST that is a path as the directory holding the server's socket.
        return self.host.startswith("/")

    @property
    def is_local(self) -> bool:
        return self.is_unix_socket or self.host in LOCAL_HOSTS

    def __str__(self) -> str:
        return f"{self.label} at {self.host}:{self.port}"


def postgres_endpoint(env: Mapping[str, str] = os.environ) -> Endpoint:
    return Endpoint("PostgreSQL", env.get("PGHOST") or "127.0.0.1", int(env.get("PGPORT") or 5432))


def redis_endpoint(env: Mapping[str, str] = os.environ) -> Endpoint:
    url = urlsplit(env.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return Endpoint("Redis", url.hostname or "127.0.0.1", url.port or 6379)


def answers(endpoint: Endpoint, timeout: float = 1.0) -> bool:
    """Whether something accepts connections there (a TCP or socket probe, no protocol)."""
    try:
        if endpoint.is_unix_socket:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(f"{endpoint.host}/.s.PGSQL.{endpoint.port}")
        else:
            with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout):
                pass
    except OSError:
        return False
    return True


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    return answers(Endpoint("port", host, port), timeout=0.5)


def _wait_until_up(endpoint: Endpoint, timeout: float, say: Callable[[str], None]) -> None:
    deadline = time.monotonic() + timeout
    next_report = time.monotonic() + 2
    while not answers(endpoint):
        now = time.monotonic()
        if now >= deadline:
            raise SetupError(f"{endpoint} still does not answer after {timeout:.0f}s")
        if now >= next_report:
            say(f"    waiting for {endpoint} ({deadline - now:.0f}s left)")
            next_report = now + 2
        time.sleep(0.2)


def _run_start_command(argv: list[str], endpoint: Endpoint) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        details = (result.stderr or result.stdout).strip()
        raise SetupError(f"could not start {endpoint.label} ({' '.join(argv)}):\n{details}")


def postgres_version() -> str | None:
    """The installed server's major version, as Debian names its config directory."""
    if not POSTGRES_CONFIG_DIR.is_dir():
        return None
    versions = [d.name for d in POSTGRES_CONFIG_DIR.iterdir() if d.name.replace(".", "").isdigit()]
    return max(versions, key=lambda v: [int(part) for part in v.split(".")], default=None)


def ensure_postgres(
    env: Mapping[str, str] = os.environ, say: Callable[[str], None] = print, timeout: float = 30
) -> Endpoint:
    endpoint = postgres_endpoint(env)
    if answers(endpoint):
        say(f"    {endpoint} answers")
        return endpoint
    if not endpoint.is_local:
        raise SetupError(f"{endpoint} does not answer (not local, so not starting it)")
    version = postgres_version()
    if version is None or find_program("pg_ctlcluster") is None:
        hint = INSTALL_HINT.format(package="postgresql")
        raise SetupError(f"{endpoint} does not answer and PostgreSQL is not installed: {hint}")
    say(f"    starting PostgreSQL {version}")
    _run_start_command(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], endpoint
    )
    _wait_until_up(endpoint, timeout, say)
    say(f"    {endpoint} answers")
    return endpoint


def ensure_redis(
    env: Mapping[str, str] = os.environ, say: Callable[[str], None] = print, timeout: float = 15
) -> Endpoint:
    endpoint = redis_endpoint(env)
    if answers(endpoint):
        say(f"    {endpoint} answers")
        return endpoint
    if not endpoint.is_local:
        raise SetupError(f"{endpoint} does not answer (not local, so not starting it)")
    if find_program("redis-server") is None:
        hint = INSTALL_HINT.format(package="redis-server")
        raise SetupError(f"{endpoint} does not answer and Redis is not installed: {hint}")
    say("    starting Redis")
    REDIS_DATA_DIR.mkdir(parents=True, exist_ok=True)
    REDIS_LOG_DIR.mkdir(parents=True, exist_ok=True)
    _run_start_command(
        [
            "redis-server",
            "--daemonize", "yes",
            "--bind", "127.0.0.1", "-::1",
            "--port", str(endpoint.port),
            "--save", "",
            "--appendonly", "no",
            "--dir", str(REDIS_DATA_DIR),
            "--logfile", str(REDIS_LOG_DIR / "ci.log"),
        ],
        endpoint,
    )  # fmt: skip
    _wait_until_up(endpoint, timeout, say)
    say(f"    {endpoint} answers")
    return endpoint


def _connect_admin(env: Mapping[str, str]):
    endpoint = postgres_endpoint(env)
    connection = psycopg2.connect(
        host=endpoint.host,
        port=endpoint.port,
        user="postgres",
        dbname="postgres",
        connect_timeout=5,
    )
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    connection.autocommit = True
    return connection


def database_exists(name: str, env: Mapping[str, str] = os.environ) -> bool:
    connection = _connect_admin(env)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        connection.close()


def ensure_database(name: str, env: Mapping[str, str] = os.environ) -> bool:
    """Create the database unless it exists; True when this call created it."""
    if database_exists(name, env):
        return False
    connection = _connect_admin(env)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True
    except errors.DuplicateDatabase:
        # Another process created it between our check and our CREATE.
        return False
    finally:
        connection.close()


def drop_database(name: str, env: Mapping[str, str] = os.environ, *, force: bool = False) -> None:
    """Drop the database if it exists; `force` first disconnects whoever still uses it."""
    statement = "DROP DATABASE IF EXISTS {} WITH (FORCE)" if force else "DROP DATABASE IF EXISTS {}"
    connection = _connect_admin(env)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL(statement).format(sql.Identifier(name)))
    finally:
        connection.close()
