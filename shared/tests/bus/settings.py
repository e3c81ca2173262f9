"""A consuming service for the bus tests, run as a real Celery worker in its own process.

`TICKETING_SERVICE` names the service it stands in for (`tickets`, `payments`, `orders`); the
harness gives it a database, the broker and short timeouts through the environment.
"""

from ticketing_shared.settings import *  # noqa: F403
from ticketing_shared.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.bus.copies"]
ROOT_URLCONF = "tests.urls"
