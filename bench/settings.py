"""The benchmark's producer: the shared tests' sample project, publishing as the service that
produces the subject measured (`BENCH_PRODUCER_SERVICE`: `orders` for `order:created`, `tickets`
for `ticket:created`) into a database of its own (`BENCH_PRODUCER_DATABASE`), both set by
`bench/event_bus.py`."""

import os

from tests.settings import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ.get(  # noqa: F405
    "BENCH_PRODUCER_DATABASE", "ticketing_bench_producer"
)
TICKETING_SERVICE = os.environ.get("BENCH_PRODUCER_SERVICE", "orders")
