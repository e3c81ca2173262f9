"""The README's first command as a person uses it: `ticketing-dev` starts the real services
(auth, tickets, ...) behind the real nginx gateway, and we drive them over HTTP.

Each run sits beside a developer's own `scripts/dev`: its own gateway port and block of service
ports, its own state directory, and databases with a suffix of their own, dropped afterwards.
"""

import contextlib
import json
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator

import psycopg2
import pytest
import redis
import requests

from ticketing_devtools import infra
from ticketing_devtools.paths import find_repo_root
from ticketing_devtools.private_redis import BROKER_DATABASE, CACHE_DATABASE
from ticketing_devtools.system_copy import (
    START_TIMEOUT,
    SystemCopy,
    isolated_env,
    process_groups_mentioning,
    system_copy_start,
)
from ticketing_shared.registry import SERVICES_BY_NAME

REPO = find_repo_root()
NOT_FOUND = {"errors": [{"message": "Not Found"}]}
PASSWORD = "correct-Horse-battery-9"
SCRIPT = re.compile(r'<script src="(/api/users/static/[^"]+\.js)"')
# The frontend's stylesheet, under the root's /static/ (hashed once collected).
STYLESHEET = re.compile(r'<link rel="stylesheet" href="(/static/[^"]+\.css)"')


# What a developer's own run, if one is running meanwhile, keeps rewriting in its state
# directory: nginx's temp files, and each beat's schedule file (a few times a minute).
TEMP = "temp"
REWRITTEN = "celery"


def snapshot(directory) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file the runner writes into a state directory; of the files a
    running developer's run rewrites by itself only that they are there, and none of its temp
    files."""
    files = {}
    for path in directory.rglob("*"):
        parts = path.relative_to(directory).parts
        if not path.is_file() or TEMP in parts:
            continue
        stat = path.stat()
        files[str(path.relative_to(directory))] = (
            (0, 0) if REWRITTEN in parts else (stat.st_size, stat.st_mtime_ns)
        )
    return files


@pytest.fixture
def start_dev(tmp_path) -> Iterator:
    """Start `ticketing-dev` with the given extra options on free ports, with its own state and
    databases (ticketing_devtools.system_copy); every run is stopped and its databases dropped
    at the end."""
    runs: list[SystemCopy] = []

    def start(*options: str, wait: bool = True, env: dict[str, str] | None = None) -> SystemCopy:
        run = system_copy_start(tmp_path, *options, tag="e2e", env=env)
        runs.append(run)
        if wait:
            run.wait_until_serving()
        return run

    try:
        yield start
    finally:
        for run in runs:
            run.tear_down()


def assert_stopped_cleanly(run: SystemCopy) -> None:
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


def manage_py_settings(run: SystemCopy) -> dict[str, str]:
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


def manage_py_migrate_check(run: SystemCopy, service: str) -> subprocess.CompletedProcess:
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


def wait_for_log(run: SystemCopy, pattern: re.Pattern, timeout: float = 5) -> None:
    """The runner's log is written by its own threads, a moment after the response went out."""
    deadline = time.monotonic() + timeout
    while not pattern.search(run.log_text()):
        assert time.monotonic() < deadline, (
            f"no log line matches {pattern.pattern}\n{run.explain()}"
        )
        time.sleep(0.1)


def assert_uses_its_own_redis(run: SystemCopy) -> None:
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


def get_until_answered(run: SystemCopy, url: str, timeout: float = 30) -> requests.Response:
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


def assert_the_frontend_serves_the_rest(run: SystemCopy) -> requests.Response:
    """Whatever no service claims, outside /api/ and /admin/, is the frontend's: `/` is its
    landing page (HTML), which lists the tickets of this copy's own tickets API (the gateway's
    request id reaches that service's log), and a path it has no page for its HTML 404."""
    frontend_port = run.service_ports["frontend"]
    home = get_until_answered(run, run.url("/"))
    assert home.status_code == 200, run.explain(home)
    assert home.headers["Content-Type"].startswith("text/html"), run.explain(home)
    assert "<html" in home.text, run.explain(home)
    request_id = home.headers.get("X-Request-ID")
    assert request_id, home.headers
    wait_for_log(
        run,
        re.compile(
            rf"^gateway +\| .*GET / .*upstream=127\.0\.0\.1:{frontend_port} .*id={request_id}$",
            re.M,
        ),
    )
    wait_for_log(run, re.compile(rf'^tickets +\| \{{.*"request_id": "{request_id}"', re.M))

    not_routed = requests.get(run.url("/not-routed"), timeout=10)
    assert not_routed.status_code == 404, run.explain(not_routed)
    assert not_routed.headers["Content-Type"].startswith("text/html"), run.explain(not_routed)
    return home


def bound_queues(client: redis.Redis) -> set[str]:
    """The queues some worker has bound in this broker (kombu's Redis transport keeps each
    exchange's bindings in a set `_kombu.binding.<exchange>` of `key<sep>pattern<sep>queue`)."""
    queues = set()
    for key in client.keys("_kombu.binding.*"):
        queues |= {member.split(b"\x06\x16")[-1].decode() for member in client.smembers(key)}
    return queues


def assert_every_service_serves(run: SystemCopy) -> None:
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

    # A path under /api/ or /admin/ that no service claims is the gateway's JSON 404 (contract
    # section 1), never the frontend's page; any other path no API claims is the frontend's.
    for path in ("/api/users/nope", "/api/foo", "/admin/foo"):
        missing = requests.get(run.url(path), timeout=10)
        assert missing.status_code == 404, run.explain(missing)
        assert missing.json() == NOT_FOUND, run.explain(missing)
    assert_the_frontend_serves_the_rest(run)

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
    # The frontend's pages and their static files, at the root, through the gateway.
    home = assert_the_frontend_serves_the_rest(run)
    [stylesheet] = STYLESHEET.findall(home.text)
    assert stylesheet != "/static/web/site.css", "a hashed name, from the collected files"
    css = requests.get(run.url(stylesheet), timeout=10)
    assert css.status_code == 200, run.explain(css)
    assert css.headers["Content-Type"].startswith("text/css"), run.explain(css)
    assert (run.state_dir / "static" / "frontend").is_dir()

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
        if not SERVICES_BY_NAME[name].uses_database:
            # The frontend keeps no data: no database made or migrated, none in its env file
            # (the user's DATABASE_URL included).
            assert name not in run.databases, name
            suffix = run.databases["auth"].removeprefix(SERVICES_BY_NAME["auth"].database)
            assert not infra.database_exists(SERVICES_BY_NAME[name].database + suffix), name
            assert f"Migrating {name}" not in run.log_text()
            assert "DATABASE_URL" not in (run.state_dir / "env" / f"{name}.env").read_text()
            continue
        # Every other service's database is migrated (tickets' first creates pg_trgm).
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
