"""A consuming service for the bus tests, run as a real Celery worker in its own process.

`BUS_SERVICE` names the service it stands in for (`tickets`, `payments`, `orders`); the harness
gives it a database, the broker and short timeouts through the environment.
"""

import os
from pathlib import Path

from ticketing_shared.settings import service_settings

BASE_DIR = Path(__file__).resolve().parent

globals().update(
    service_settings(
        service=os.environ["BUS_SERVICE"],
        base_dir=BASE_DIR,
        api_prefix="api/bus/",
        admin_prefix="admin/bus/",
        local_apps=["tests.bus.copies"],
    )
)

ROOT_URLCONF = "tests.urls"
