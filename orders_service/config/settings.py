"""Settings of the orders service: those every service shares, then orders and expiration."""

import os

# The service the shared settings are read for (its entry in ticketing_shared.registry).
os.environ["TICKETING_SERVICE"] = "orders"

from ticketing_shared.settings import *  # noqa: F403
from ticketing_shared.settings import (
    CELERY_BEAT_SCHEDULE,
    INSTALLED_APPS,
    SPECTACULAR_SETTINGS,
    env,
)

INSTALLED_APPS = [*INSTALLED_APPS, "orders"]

# How long a buyer has to pay before the order expires and the ticket is free again
# (contract §5): 15 minutes, seconds in tests and demos.
ORDERS_EXPIRATION_SECONDS = env.int("ORDERS_EXPIRATION_SECONDS", default=15 * 60)
# An order is cancelled this long after its expiry, so that a payment the buyer began in time
# can finish (payments refuses one begun after the expiry).
ORDERS_EXPIRATION_GRACE_SECONDS = env.int("ORDERS_EXPIRATION_GRACE_SECONDS", default=5)
# How often beat sends the sweep that cancels expired orders: the database is the truth of
# what is due, so a crash, a restart or a lost task delays a cancellation by one period at most.
ORDERS_EXPIRATION_SWEEP_SECONDS = env.float("ORDERS_EXPIRATION_SWEEP_SECONDS", default=2.0)

CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "orders-expire-due": {
        "task": "orders.tasks.orders_expire_due",
        "schedule": ORDERS_EXPIRATION_SWEEP_SECONDS,
        # A sweep no worker took within a few periods is dropped: a worker back from an
        # outage does not run the hundreds queued meanwhile. Not within one: a worker whose
        # threads are all busy (due expiry tasks) takes it late, but must not drop it.
        "options": {"expires": ORDERS_EXPIRATION_SWEEP_SECONDS * 5},
    },
}

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "ENUM_NAME_OVERRIDES": {"OrderStatus": "orders.models.Order.Status"},
}
