"""A service suite's broker: a Redis server of its own, never the machine's. In a service's
`conftest.py`: `pytest_plugins = [..., "ticketing_shared.testing.private_broker"]`.

Events the tests publish (every committed change) must not land in the queues of a local run
sharing the machine's Redis, and delivery tests run worker processes that must meet the tests'
process on one broker. pytest-django reads the settings before this module is imported, so
the broker is moved here: through the environment, which Celery reads before its configuration
when it first connects (`Settings.broker_url`) and which the worker processes the tests start
inherit, and in the settings, for what reads them (the readiness check). The port is picked
once per run unless BUS_REDIS_PORT says.
"""

import os

import pytest
from django.conf import settings

from ticketing_shared.testing.bus.harness import RedisServer, free_port

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
