"""The benchmark's producer: the shared tests' sample project, publishing as the orders service
(so `order:created` goes to tickets and payments) into a database of its own, named by
`bench/event_bus.py` through `BENCH_PRODUCER_DATABASE`."""

import os

from tests.settings import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ.get(  # noqa: F405
    "BENCH_PRODUCER_DATABASE", "ticketing_bench_producer"
)
TICKETING_SERVICE = "orders"
