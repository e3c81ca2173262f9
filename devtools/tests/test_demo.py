"""`scripts/dev --demo`: a copy of the system, set up from empty databases with the demo's users
and tickets (by auth's `demo_users` and tickets' `demo_tickets`), once however often it runs."""

import os
import random
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from ticketing_devtools import infra
from ticketing_devtools.cli import dev_arguments
from ticketing_devtools.demo import demo_fill
from ticketing_devtools.paths import find_repo_root
from ticketing_devtools.private_redis import private_redis_port
from ticketing_devtools.services import existing_services, relocated
from ticketing_shared.registry import SERVICES, SERVICES_BY_NAME

REPO = find_repo_root()
DEV_COMMAND = Path(sys.executable).with_name("ticketing-dev")
SETUP_TIMEOUT = 180
DEMO_EMAILS = {"demo-seller@example.com", "demo-promoter@example.com", "demo-buyer@example.com"}
SELLERS = {"demo-seller@example.com", "demo-promoter@example.com"}
DEMO_TICKETS = 12


def test_the_demo_is_only_added_when_asked():
    assert dev_arguments([]).demo is False
    assert dev_arguments(["--demo"]).demo is True


def test_without_auth_and_tickets_the_demo_is_skipped(capsys):
    demo_fill(REPO, [SERVICES_BY_NAME["frontend"]], {})

    assert "skipped: the demo needs the auth and tickets services" in capsys.readouterr().out


def free_port_block(size: int) -> int:
    """The first of `size` consecutive free ports, below Linux's range of ephemeral ports."""
    for _ in range(100):
        base = random.randint(20000, 30000)
        if all(not infra.port_in_use(port) for port in range(base, base + size)):
            return base
    raise AssertionError(f"no {size} consecutive free ports found")


def isolated_env() -> dict[str, str]:
    """The caller's environment, minus what could point the copy at the developer's databases,
    state, Redis or keys."""
    return {
        name: value
        for name, value in os.environ.items()
        if not (
            name.endswith("DATABASE_URL")
            or name.startswith(("TICKETING_", "JWT_"))
            or name in {"DJANGO_STATIC_ROOT", "REDIS_URL", "CELERY_BROKER_URL"}
        )
    }


def rows(database: str, query: str) -> list[tuple]:
    endpoint = infra.postgres_endpoint()
    connection = psycopg2.connect(
        host=endpoint.host, port=endpoint.port, user="postgres", dbname=database, connect_timeout=5
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(query)
            return cursor.fetchall()
    finally:
        connection.close()


@pytest.fixture
def system_copy(tmp_path):
    """`ticketing-dev --setup-only --demo` on a copy of its own (ports, state directory,
    databases, Redis), as often as the test asks; its databases are dropped at the end."""
    suffix = f"_demo_{secrets.token_hex(4)}"
    port_base = free_port_block(len(SERVICES) + 1)  # the services' ports, then the copy's Redis
    services = relocated(existing_services(REPO), port_base=port_base, database_suffix=suffix)
    databases = {service.name: service.database for service in services}
    argv = [
        str(DEV_COMMAND),
        "--port", str(free_port_block(1)),
        "--service-port-base", str(port_base),
        "--state-dir", str(tmp_path / "state"),
        "--database-suffix", suffix,
        "--setup-only",
        "--demo",
    ]  # fmt: skip

    def set_up() -> str:
        result = subprocess.run(
            argv,
            cwd=REPO,
            env=isolated_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=SETUP_TIMEOUT,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        return output

    set_up.databases = databases
    set_up.redis_port = private_redis_port(port_base)
    try:
        yield set_up
    finally:
        for database in databases.values():
            infra.drop_database(database, force=True)


@pytest.mark.timeout(2 * SETUP_TIMEOUT + 30)
def test_demo_fills_an_empty_copy_once_and_says_how_to_sign_in(system_copy):
    output = system_copy()

    auth, tickets = system_copy.databases["auth"], system_copy.databases["tickets"]
    users = dict(rows(auth, "SELECT email, id::text FROM users_user"))
    assert set(users) == DEMO_EMAILS
    for email in DEMO_EMAILS:
        assert f"{email}  password ticketing-demo-2026" in output
    sold_by = rows(tickets, "SELECT user_id::text, count(*) FROM tickets_ticket GROUP BY user_id")
    assert dict(sold_by) == {users[email]: DEMO_TICKETS // len(SELLERS) for email in SELLERS}
    # Every ticket:created relayed to the copy's own Redis as it committed (started for the
    # while, then stopped with the rest), none left to the sweep.
    [(created, sent)] = rows(
        tickets,
        "SELECT count(*), count(published_at) FROM events_outboxevent "
        "WHERE subject = 'ticket:created'",
    )
    assert (created, sent) == (DEMO_TICKETS, DEMO_TICKETS)
    assert "events not sent" not in output
    assert not infra.port_in_use(system_copy.redis_port)

    again = system_copy()

    assert dict(rows(auth, "SELECT email, id::text FROM users_user")) == users
    assert rows(tickets, "SELECT count(*) FROM tickets_ticket") == [(DEMO_TICKETS,)]
    assert again.count("already sells tickets, left as they are") == len(SELLERS)
    assert again.count("already there)") == len(DEMO_EMAILS)
