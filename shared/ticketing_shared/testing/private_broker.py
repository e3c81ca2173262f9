"""A service suite's broker: a Redis server of its own, never the machine's. In a service's
`conftest.py`: `pytest_plugins = [..., "ticketing_shared.testing.private_broker"]`.

Events the tests publish (every committed change) must not land in the queues of a local run
sharing the machine's Redis, and delivery tests run worker processes that must meet the tests'
process on one broker. pytest-django reads the settings before this module is imported, so
the broker is moved here: through the environment, which Celery reads before its configuration
when it first connects (`Settings.broker_url`) and which the worker processes the tests start
inherit, and in the settings, for what reads them (the readiness check). The port is picked
once per run unless BUS_REDIS_PORT says.

Delivery tests take `bus` (the broker, emptied for the test) and `processes` (Celery processes
started on it, stopped after the test).
"""

import os

import pytest
from django.conf import settings

from ticketing_shared.testing.bus.harness import CeleryProcess, RedisServer, free_port

os.environ.setdefault("BUS_REDIS_PORT", str(free_port()))
BUS_BROKER_URL = f"redis://127.0.0.1:{os.environ['BUS_REDIS_PORT']}/0"
os.environ["CELERY_BROKER_URL"] = BUS_BROKER_URL
settings.CELERY_BROKER_URL = BUS_BROKER_URL


@pytest.fixture(scope="session", autouse=True)
def bus_redis(tmp_path_factory):
    """Runs for the whole suite, so that every relay after a commit finds its broker (and the
    readiness check its Redis), as in a real deployment."""
    server = RedisServer(
        port=int(os.environ["BUS_REDIS_PORT"]), workdir=tmp_path_factory.mktemp("redis")
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bus(bus_redis):
    """The suite's broker, empty for each test."""
    bus_redis.client().flushall()
    return bus_redis


@pytest.fixture
def processes(transactional_db, bus):
    """Starts Celery processes and stops them after the test: before its database is emptied,
    since a service's own work on it."""
    started: list[CeleryProcess] = []

    def start(process: CeleryProcess, ready_text: str = " ready.") -> CeleryProcess:
        started.append(process)
        return process.start(ready_text=ready_text)

    yield start
    for process in started:
        process.stop()
