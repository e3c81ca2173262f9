import os

import pytest

import tests.celery_app  # noqa: F401 (the Celery app the sample service publishes through)
from ticketing_shared.testing.bus.harness import (
    SOLO_POOL,
    STANDIN_TABLES,
    CeleryProcess,
    ConsumerDatabase,
    RedisServer,
    worker_argv,
    worker_environment,
)

pytest_plugins = ["ticketing_shared.testing.fixtures"]


@pytest.fixture(scope="session")
def bus_redis(tmp_path_factory):
    server = RedisServer(
        port=int(os.environ["BUS_REDIS_PORT"]), workdir=tmp_path_factory.mktemp("redis")
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bus(bus_redis):
    """An empty, running broker for each test (restarted if a test left it stopped)."""
    if bus_redis.process is None:
        bus_redis.start()
    bus_redis.client().flushall()
    yield bus_redis
    if bus_redis.process is None:
        bus_redis.start()


@pytest.fixture(scope="session")
def consumer_databases():
    databases = {service: ConsumerDatabase(service) for service in ("tickets", "payments")}
    for database in databases.values():
        database.create()
    yield databases
    for database in databases.values():
        database.drop()


@pytest.fixture
def consumers(consumer_databases):
    for database in consumer_databases.values():
        database.empty(*STANDIN_TABLES)
    return consumer_databases


@pytest.fixture
def as_orders(settings):
    """The sample service publishes as the orders service: order events go to tickets and
    payments, the two stand-in consumers."""
    settings.TICKETING_SERVICE = "orders"


@pytest.fixture
def celery_processes(tmp_path, consumers):
    """Starts stand-in services' workers (and beats); stops them all after the test."""
    started: list[CeleryProcess] = []
    marker_dir = tmp_path / "markers"
    marker_dir.mkdir()

    def start(
        service: str,
        *,
        kind: str = "worker",
        database_url: str | None = None,
        pool_options: tuple[str, ...] = SOLO_POOL,
    ):
        env = worker_environment(
            service,
            database_url or consumers[service].url,
            BUS_MARKER_DIR=str(marker_dir),
        )
        if kind == "worker":
            argv = worker_argv(service, pool_options)
            process = CeleryProcess(service, argv, env, tmp_path / f"{service}.log")
            process.start(ready_text=" ready.")
        else:
            schedule = tmp_path / f"{service}-beat-schedule"
            argv = ["beat", "-l", "INFO", "-s", str(schedule)]
            process = CeleryProcess(service, argv, env, tmp_path / f"{service}-beat.log").start()
        started.append(process)
        return process

    start.marker_dir = marker_dir
    yield start
    for process in started:
        process.stop()
