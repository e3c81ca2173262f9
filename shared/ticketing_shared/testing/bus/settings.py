"""A stand-in service on the bus, run as a real Celery worker (or beat) in its own process.

`TICKETING_SERVICE` names the service it stands in for (`tickets`, `payments`, `orders`); the
harness gives it a database, the broker and short timeouts through the environment.
"""

from ticketing_shared.settings import *  # noqa: F403
from ticketing_shared.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "ticketing_shared.testing.bus.copies"]
# It serves no requests: its processes publish and consume events only.
ROOT_URLCONF = "ticketing_shared.testing.bus.urls"
