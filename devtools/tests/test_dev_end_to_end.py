"""The README's first command as a person uses it: `ticketing-dev` starts the real services
(auth, tickets, ...) behind the real nginx gateway, and we drive them over HTTP.

Each run sits beside a developer's own `scripts/dev`: its own gateway port and block of service
ports, its own state directory, and databases with a suffix of their own, dropped afterwards.
"""

import contextlib
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
import redis
import requests
from conftest import free_port

from ticketing_devtools import infra
from ticketing_devtools.paths import find_repo_root
from ticketing_devtools.private_redis import BROKER_DATABASE, CACHE_DATABASE, private_redis_port
from ticketing_devtools.services import existing_services, relocated
from ticketing_shared.registry import SERVICES, SERVICES_BY_NAME

REPO = find_repo_root()
# The console script `scripts/dev` runs, from this environment.
DEV_COMMAND = Path(sys.executable).with_name("ticketing-dev")
START_TIMEOUT = 90
STOP_TIMEOUT = 20  # the runner gives its processes 10 s before killing them
NOT_FOUND = {"errors": [{"message": "Not Found"}]}
PASSWORD = "correct-Horse-battery-9"
SCRIPT = re.compile(r'<script src="(/api/users/static/[^"]+\.js)"')


def isolated_env() -> dict[str, str]:
    """The caller's environment, minus what could point this run at the developer's databases,
    state or static files."""
    return {
        name: value
        for name, value in os.environ.items()
        if not (
            name.endswith("DATABASE_URL")
            or name.startswith("TICKETING_")
            or name in {"DJANGO_STATIC_ROOT", "REDIS_URL", "CELERY_BROKER_URL"}
            or name.startswith("JWT_")
        )
    }


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(size: int) -> int:
    """The first of `size` consecutive free ports, below Linux's range of ephemeral ports."""
    for _ in range(100):
        base = random.randint(20000, 30000)
        if all(port_is_free(port) for port in range(base, base + size)):
            return base
    raise AssertionError(f"no {size} consecutive free ports found")


def process_groups_mentioning(marker: str) -> set[int]:
    """Process groups of this machine's processes whose command line or environment names
    `marker` (our state directory): whatever this run started, and nothing else."""
    groups = set()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            text = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
            if marker.encode() in text:
                groups.add(os.getpgid(int(proc.name)))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return groups - {os.getpgid(0)}


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file the runner writes into a state directory."""
    return {
        str(path.relative_to(directory)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in directory.rglob("*")
        if path.is_file() and "temp" not in path.relative_to(directory).parts
    }


@dataclass
class DevRun:
    process: subprocess.Popen
    log: Path
    state_dir: Path
    gateway_port: int
    service_ports: dict[str, int]
    databases: dict[str, str]  # service name -> database
    redis_port: int  # its own Redis: its state directory is not the checkout's .local/

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.gateway_port}{path}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def explain(self, response: requests.Response | None = None) -> str:
        """An assertion message: the response, if any, and what the runner printed last."""
        said = ""
        if response is not None:
            request = response.request
            said = f"{request.method} {request.url} -> {response.status_code} {response.text[:500]}"
        return f"{said}\n--- runner log (last lines) ---\n{self.tail()}"

    def wait_until_serving(self) -> None:
        """Until the gateway answers with the auth service behind it (a 502 until then)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the runner exited early\n{self.explain()}"
            # A first request may be slow while the service warms up; then it is simply retried.
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                if requests.get(self.url("/api/users/currentuser"), timeout=5).status_code == 200:
                    return
            time.sleep(0.25)
        raise AssertionError(f"not serving after {START_TIMEOUT}s\n{self.explain()}")

    def interrupt_and_wait(self) -> int:
        """Ctrl-C, as a terminal sends it: SIGINT to the runner's process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"still running {STOP_TIMEOUT}s after SIGINT\n{self.explain()}"
            ) from None

    def tear_down(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # the runner stops its processes on SIGTERM too
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_TIMEOUT)
        # Last resort, also for processes the runner left behind: they have sessions of their own.
        for group in {self.process.pid} | process_groups_mentioning(str(self.state_dir)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        self.process.wait(timeout=5)
        for database in self.databases.values():
            infra.drop_database(database, force=True)


@pytest.fixture
def start_dev(tmp_path) -> Iterator:
    """Start `ticketing-dev` with the given extra options on free ports, with its own state and
    databases; every run is stopped and its databases dropped at the end."""
    runs: list[DevRun] = []

    def start(*options: str, wait: bool = True, env: dict[str, str] | None = None) -> DevRun:
        assert DEV_COMMAND.is_file(), f"{DEV_COMMAND} is missing: is devtools installed?"
        suffix = f"_e2e_{secrets.token_hex(6)}"
        gateway_port = free_port()
        # The services' ports, then the copy's own Redis.
        port_base = free_port_block(len(SERVICES) + 1)
        services = relocated(existing_services(REPO), port_base=port_base, database_suffix=suffix)
        state_dir = tmp_path / f"state{suffix}"
        log = tmp_path / f"runner{suffix}.log"
        argv = [
            str(DEV_COMMAND),
            "--port", str(gateway_port),
            "--service-port-base", str(port_base),
            "--state-dir", str(state_dir),
            "--database-suffix", suffix,
            *options,
        ]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv,
                cwd=REPO,
                env={**isolated_env(), **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        run = DevRun(
            process,
            log,
            state_dir,
            gateway_port,
            {s.name: s.port for s in services},
            {s.name: s.database for s in services},
            private_redis_port(port_base),
        )
        runs.append(run)
        if wait:
            run.wait_until_serving()
        return run

    try:
        yield start
    finally:
        for run in runs:
            run.tear_down()


def assert_stopped_cleanly(run: DevRun) -> None:
    code = run.interrupt_and_wait()
    assert code == 0, f"exit code {code}\n{run.explain()}"
    ports = {"gateway": run.gateway_port, "redis": run.redis_port, **run.service_ports}
    for name, port in ports.items():
        assert not infra.port_in_use(port), f"{name} still listens on {port}\n{run.explain()}"
    left = process_groups_mentioning(str(run.state_dir))
    assert not left, f"processes outlived the runner: groups {left}\n{run.explain()}"


def user_emails(database: str) -> list[str]:
    endpoint = infra.postgres_endpoint()
    connection = psycopg2.connect(
        host=endpoint.host, port=endpoint.port, user="postgres", dbname=database, connect_timeout=5
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT email FROM users_user")
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


MANAGE_PY_SETTINGS = """
import json, os
from django.conf import settings
from django.db import connection
print(json.dumps({
    "database": connection.settings_dict["NAME"],
    "cache": settings.CACHES["default"]["LOCATION"],
    "broker": settings.CELERY_BROKER_URL,
    "keys": os.environ.get("JWT_PRIVATE_KEY_FILE"),
}))
"""


def manage_py_settings(run: DevRun) -> dict[str, str]:
    """Where `manage.py` run by hand in auth_service/ (in a shell that knows nothing of the run
    but its state directory) finds its database, cache, broker and signing key."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", MANAGE_PY_SETTINGS],
        cwd=REPO / "auth_service",
        env={**isolated_env(), "TICKETING_STATE_DIR": str(run.state_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def manage_py_migrate_check(run: DevRun, service: str) -> subprocess.CompletedProcess:
    """`manage.py migrate --check` in the service's folder, told the copy's state directory:
    exit 0 when every migration is applied to the database the runner made for it."""
    return subprocess.run(
        [sys.executable, "manage.py", "migrate", "--check"],
        cwd=REPO / SERVICES_BY_NAME[service].directory,
        env={**isolated_env(), "TICKETING_STATE_DIR": str(run.state_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def wait_for_log(run: DevRun, pattern: re.Pattern, timeout: float = 5) -> None:
    """The runner's log is written by its own threads, a moment after the response went out."""
    deadline = time.monotonic() + timeout
    while not pattern.search(run.log_text()):
        assert time.monotonic() < deadline, (
            f"no log line matches {pattern.pattern}\n{run.explain()}"
        )
        time.sleep(0.1)


def assert_uses_its_own_redis(run: DevRun) -> None:
    """A copy's sign-in counters (cache) and its workers' queues (broker) are in its own Redis,
    and the cache's keys never reach the machine's."""
    machine_cache = redis.Redis(port=6379, db=CACHE_DATABASE)
    own_cache = redis.Redis(port=run.redis_port, db=CACHE_DATABASE)
    own_broker = redis.Redis(port=run.redis_port, db=BROKER_DATABASE)
    machine_before = set(machine_cache.keys("*"))

    failed = requests.post(
        run.url("/api/users/signin"),
        json={"email": f"e2e-{secrets.token_hex(4)}@example.com", "password": PASSWORD},
        timeout=10,
    )

    assert failed.status_code == 400, run.explain(failed)
    counters = set(own_cache.keys("*"))
    assert counters, f"no sign-in failure counted in the copy's Redis\n{run.explain(failed)}"
    assert not counters & (set(machine_cache.keys("*")) - machine_before)
    deadline = time.monotonic() + 30
    while not own_broker.keys("_kombu.binding.*"):
        assert time.monotonic() < deadline, f"no worker bound its queues\n{run.explain()}"
        time.sleep(0.2)


def get_until_answered(run: DevRun, url: str, timeout: float = 30) -> requests.Response:
    """GET `url` once its service answers: the services start side by side, so one may still
    be starting (or reloading after a change, under runserver) when auth already serves; the
    gateway says 502 for one that is not listening yet."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(requests.ConnectionError, requests.Timeout):
            response = requests.get(url, timeout=10)
            if response.status_code != 502 or time.monotonic() > deadline:
                return response
        assert time.monotonic() < deadline, f"GET {url}: no answer\n{run.explain()}"
        time.sleep(0.25)


def bound_queues(client: redis.Redis) -> set[str]:
    """The queues some worker has bound in this broker (kombu's Redis transport keeps each
    exchange's bindings in a set `_kombu.binding.<exchange>` of `key<sep>pattern<sep>queue`)."""
    queues = set()
    for key in client.keys("_kombu.binding.*"):
        queues |= {member.split(b"\x06\x16")[-1].decode() for member in client.smembers(key)}
    return queues


def assert_every_service_serves(run: DevRun) -> None:
    """Every service the runner started answers, not only auth: its /readyz on its own port,
    its API docs through the gateway, and where it runs a worker and beat, the worker reads its
    queues in the copy's broker and runs the outbox sweep its beat sends."""
    broker = redis.Redis(port=run.redis_port, db=BROKER_DATABASE)
    for name, port in run.service_ports.items():
        service = SERVICES_BY_NAME[name]
        ready = get_until_answered(run, f"http://127.0.0.1:{port}/readyz")
        assert ready.status_code == 200, run.explain(ready)
        assert set(ready.json()["checks"].values()) == {"ok"}, ready.json()
        if service.api_prefix:
            docs = get_until_answered(run, run.url(f"{service.api_prefix}docs"))
            assert docs.status_code == 200, run.explain(docs)
            wait_for_log(
                run,
                re.compile(
                    rf"^gateway +\| .*GET {re.escape(service.api_prefix)}docs .*"
                    rf"upstream=127\.0\.0\.1:{port} ",
                    re.M,
                ),
            )
        if not service.runs_worker:
            continue
        queues = {f"{name}.events", f"{name}.tasks"}
        deadline = time.monotonic() + 30
        while not queues <= bound_queues(broker):
            assert time.monotonic() < deadline, (
                f"{name}'s worker bound {sorted(bound_queues(broker))}, not {sorted(queues)}\n"
                f"{run.explain()}"
            )
            time.sleep(0.2)
        wait_for_log(
            run,
            re.compile(rf"^{name}-worker +\| .*events\.outbox_sweep\[[^]]+\] succeeded", re.M),
            timeout=30,
        )


@pytest.mark.timeout(START_TIMEOUT + 90)
def test_dev_serves_auth_behind_the_gateway_and_stops_on_ctrl_c(start_dev):
    developers_state = snapshot(REPO / ".local")
    run = start_dev()
    session = requests.Session()
    email = f"e2e-{secrets.token_hex(4)}@example.com"

    signup = session.post(
        run.url("/api/users/signup"), json={"email": email, "password": PASSWORD}, timeout=10
    )
    assert signup.status_code == 201, run.explain(signup)
    user = signup.json()
    assert set(user) == {"id", "email"}
    assert user["email"] == email
    cookies = signup.raw.headers.getlist("Set-Cookie")
    for name in ("access_token", "refresh_token"):
        [cookie] = [c for c in cookies if c.startswith(f"{name}=")]
        assert "HttpOnly" in cookie, cookie
    # The one database the runner created and migrated is the one the service writes to.
    assert user_emails(run.databases["auth"]) == [email]

    current = session.get(run.url("/api/users/currentuser"), timeout=10)
    assert current.status_code == 200, run.explain(current)
    assert current.json()["currentUser"]["id"] == user["id"]
    assert current.json()["currentUser"]["email"] == email

    signout = session.post(run.url("/api/users/signout"), json={}, timeout=10)
    assert signout.status_code == 200, run.explain(signout)
    after = session.get(run.url("/api/users/currentuser"), timeout=10)
    assert after.json() == {"currentUser": None}, run.explain(after)

    for path in ("/api/users/nope", "/not-routed"):
        missing = requests.get(run.url(path), timeout=10)
        assert missing.status_code == 404, run.explain(missing)
        assert missing.json() == NOT_FOUND, run.explain(missing)

    docs = requests.get(run.url("/api/users/docs"), timeout=10)
    assert docs.status_code == 200, run.explain(docs)
    scripts = SCRIPT.findall(docs.text)
    assert scripts, run.explain(docs)
    script = requests.get(run.url(scripts[0]), timeout=10)
    assert script.status_code == 200, run.explain(script)

    admin = requests.get(run.url("/admin/users/"), allow_redirects=False, timeout=10)
    assert admin.status_code == 302, run.explain(admin)
    assert admin.headers["Location"] == "/admin/users/login/?next=/admin/users/"
    login = requests.get(run.url(admin.headers["Location"]), timeout=10)
    assert login.status_code == 200, run.explain(login)

    # The gateway's request id reaches the client and the service's own log lines.
    request_id = signup.headers.get("X-Request-ID")
    assert request_id, signup.headers
    wait_for_log(
        run, re.compile(rf"^gateway +\| .*POST /api/users/signup .* id={request_id}$", re.M)
    )
    wait_for_log(run, re.compile(rf'^auth +\| \{{.*"request_id": "{request_id}"', re.M))

    ready = requests.get(f"http://127.0.0.1:{run.service_ports['auth']}/readyz", timeout=10)
    assert ready.status_code == 200, run.explain(ready)
    assert ready.json()["status"] == "ok"
    assert set(ready.json()["checks"].values()) == {"ok"}, ready.json()

    assert_uses_its_own_redis(run)
    assert_every_service_serves(run)

    assert_stopped_cleanly(run)
    assert (run.state_dir / "keys" / "jwt-private.pem").is_file()
    assert snapshot(REPO / ".local") == developers_state


@pytest.mark.timeout(START_TIMEOUT + 60)
def test_dev_under_gunicorn_serves_signup_and_static_files(start_dev):
    run = start_dev("--gunicorn")

    signup = requests.post(
        run.url("/api/users/signup"),
        json={"email": f"e2e-{secrets.token_hex(4)}@example.com", "password": PASSWORD},
        timeout=10,
    )
    assert signup.status_code == 201, run.explain(signup)
    docs = requests.get(run.url("/api/users/docs"), timeout=10)
    assert docs.status_code == 200, run.explain(docs)
    script = requests.get(run.url(SCRIPT.findall(docs.text)[0]), timeout=10)
    assert script.status_code == 200, run.explain(script)
    # Collected into the run's own state directory, not the checkout.
    assert (run.state_dir / "static" / "auth").is_dir()

    assert_stopped_cleanly(run)


def test_setup_only_prepares_its_own_database_and_state_and_exits(start_dev):
    developers_state = snapshot(REPO / ".local")
    # A DATABASE_URL of the user's is no longer every service's database.
    elsewhere = f"ticketing_e2e_elsewhere_{secrets.token_hex(4)}"
    database_url = f"postgres://postgres@127.0.0.1:5432/{elsewhere}"
    run = start_dev("--setup-only", wait=False, env={"DATABASE_URL": database_url})

    try:
        code = run.process.wait(timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"--setup-only still running\n{run.explain()}") from None

    assert code == 0, run.explain()
    assert "ignoring DATABASE_URL" in run.log_text()
    assert user_emails(run.databases["auth"]) == []  # created and migrated
    assert not infra.database_exists(elsewhere)
    conf = (run.state_dir / "gateway" / "nginx.conf").read_text()
    for name, port in run.service_ports.items():
        assert f"proxy_pass http://127.0.0.1:{port};" in conf, name
        # Every service's database is migrated (tickets' first migration creates pg_trgm).
        check = manage_py_migrate_check(run, name)
        assert check.returncode == 0, (
            f"{name}: `manage.py migrate --check` exited {check.returncode} (1: migrations not "
            f"applied)\n{check.stdout}{check.stderr}{run.explain()}"
        )
    assert f"listen 127.0.0.1:{run.gateway_port};" in conf
    assert snapshot(REPO / ".local") == developers_state

    # As the README says: manage.py by hand, told the copy's state directory, uses its database
    # and its Redis, through the env file the runner wrote there.
    assert manage_py_settings(run) == {
        "database": run.databases["auth"],
        "cache": f"redis://127.0.0.1:{run.redis_port}/{CACHE_DATABASE}",
        "broker": f"redis://127.0.0.1:{run.redis_port}/{BROKER_DATABASE}",
        "keys": str(run.state_dir / "keys" / "jwt-private.pem"),
    }
