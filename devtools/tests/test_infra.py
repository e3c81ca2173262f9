import uuid

import psycopg2
import pytest

from ticketing_devtools import infra
from ticketing_devtools.errors import SetupError


def test_postgres_and_redis_answer_here():
    assert infra.answers(infra.postgres_endpoint({}))
    assert infra.answers(infra.redis_endpoint({}))


def test_the_local_socket_directory_answers_too():
    assert infra.answers(infra.postgres_endpoint({"PGHOST": "/var/run/postgresql"}))


def test_nothing_listening_does_not_answer(port):
    assert not infra.answers(infra.Endpoint("nothing", "127.0.0.1", port), timeout=0.5)


def test_endpoints_follow_the_environment():
    postgres = infra.postgres_endpoint({"PGHOST": "db.example", "PGPORT": "6543"})
    redis = infra.redis_endpoint({"REDIS_URL": "redis://cache.example:7000/2"})

    assert (postgres.host, postgres.port, postgres.is_local) == ("db.example", 6543, False)
    assert (redis.host, redis.port, redis.is_local) == ("cache.example", 7000, False)
    assert infra.postgres_endpoint({}).is_local
    assert infra.postgres_endpoint({"PGHOST": "/var/run/postgresql"}).is_local


def test_ensure_finds_running_servers_without_starting_anything():
    messages = []
    infra.ensure_postgres({}, say=messages.append)
    infra.ensure_redis({}, say=messages.append)
    assert all("answers" in message for message in messages), messages


def test_a_remote_server_that_is_down_is_not_started(port):
    # 127.0.0.2 is still this machine, but not a host we treat as ours to start servers for.
    with pytest.raises(SetupError, match="not local"):
        infra.ensure_redis({"REDIS_URL": f"redis://127.0.0.2:{port}/0"}, timeout=1)


def test_database_creation_is_idempotent():
    name = f"ticketing_devtools_test_{uuid.uuid4().hex[:12]}"
    try:
        assert infra.ensure_database(name, {}) is True
        assert infra.ensure_database(name, {}) is False
        assert infra.database_exists(name, {})
    finally:
        infra.drop_database(name, {})
    assert not infra.database_exists(name, {})


def test_a_forced_drop_disconnects_whoever_still_uses_the_database():
    name = f"ticketing_devtools_test_{uuid.uuid4().hex[:12]}"
    infra.ensure_database(name, {})
    leftover = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=name, connect_timeout=5)
    try:
        infra.drop_database(name, {}, force=True)
    finally:
        leftover.close()
    assert not infra.database_exists(name, {})
