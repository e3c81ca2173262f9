"""A minimal service that exercises everything in `ticketing_shared`, as a real one would."""

import os
import socket
from pathlib import Path

from ticketing_shared.settings import service_settings

BASE_DIR = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The bus tests stop and start their broker at will, so it is a Redis server of their own
# (see tests/events/conftest.py), on a port picked once per test run and shared with the
# worker processes through the environment.
os.environ.setdefault("BUS_REDIS_PORT", str(_free_port()))
os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{os.environ['BUS_REDIS_PORT']}/0"

globals().update(
    service_settings(
        service="sample",
        base_dir=BASE_DIR,
        api_prefix="api/sample/",
        admin_prefix="admin/sample/",
        local_apps=["tests.sample"],
    )
)

ROOT_URLCONF = "tests.urls"
DATABASES["default"]["NAME"] = "ticketing_shared_tests"  # noqa: F821 (set just above)
