import io
import sys

import pytest
from conftest import free_port

from ticketing_devtools.errors import SetupError
from ticketing_devtools.private_redis import PrivateRedis, private_redis_port
from ticketing_devtools.runner import ProcessSpec, Runner


def test_its_port_is_the_one_after_the_copys_service_ports():
    assert private_redis_port(8001) == 8006
    assert private_redis_port(21001) == 21006


def test_no_port_left_for_it_is_refused():
    with pytest.raises(SetupError, match="no port left"):
        private_redis_port(65531)


def test_cache_and_broker_use_the_services_usual_database_numbers(tmp_path):
    assert PrivateRedis(21006, tmp_path).urls() == {
        "REDIS_URL": "redis://127.0.0.1:21006/1",
        "CELERY_BROKER_URL": "redis://127.0.0.1:21006/0",
    }


def run_client_beside(redis: PrivateRedis, code: str) -> str:
    """Start the copy's Redis as the runner does, then a client once it answers; the client's
    output once it has ended (which stops the Redis too)."""
    client = ProcessSpec(
        "client",
        [
            sys.executable,
            "-c",
            f"import redis; r = redis.Redis(port={redis.port}, db=1); {code}",
        ],
    )
    out = io.StringIO()
    Runner([redis.process(), client], out=out, stop_timeout=10).run()
    return out.getvalue()


def test_it_serves_the_copy_and_keeps_its_data_in_the_copys_directory(tmp_path):
    redis = PrivateRedis(free_port(), tmp_path / "redis")

    written = run_client_beside(redis, "r.set('kept', 'yes'); print('written', flush=True)")

    assert "client | written" in written.splitlines(), written
    assert (tmp_path / "redis" / "dump.rdb").is_file(), written
    read = run_client_beside(redis, "print('read', r.get('kept').decode(), flush=True)")
    assert "client | read yes" in read.splitlines(), read
