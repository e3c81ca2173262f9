"""A minimal service that exercises everything in `ticketing_shared`, as a real one would."""

import os

from ticketing_shared.testing.bus.harness import free_port

# Not in the registry: the shared settings route it at /api/sample/ and /admin/sample/.
os.environ["TICKETING_SERVICE"] = "sample"
# The bus tests stop and start their broker at will, so it is a Redis server of their own
# (see tests/conftest.py), on a port picked once per test run and shared with the worker
# processes through the environment.
os.environ.setdefault("BUS_REDIS_PORT", str(free_port()))
os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{os.environ['BUS_REDIS_PORT']}/0"

from ticketing_shared.settings import *  # noqa: F403
from ticketing_shared.settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.sample"]
ROOT_URLCONF = "tests.urls"
DATABASES["default"]["NAME"] = "ticketing_shared_tests"
