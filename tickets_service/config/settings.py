"""Settings of the tickets service: those every service shares, then the tickets app."""

import os

# The service the shared settings are read for (its entry in ticketing_shared.registry).
os.environ["TICKETING_SERVICE"] = "tickets"

from ticketing_shared.settings import *  # noqa: F403
from ticketing_shared.settings import INSTALLED_APPS, SPECTACULAR_SETTINGS, env

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.postgres", "tickets"]

# The public list (GET /api/tickets): how many tickets a page holds unless `limit` says,
# and the most it may ask for (contract §4).
TICKETS_PAGE_SIZE_DEFAULT = env.int("TICKETS_PAGE_SIZE_DEFAULT", default=100)
TICKETS_PAGE_SIZE_MAX = env.int("TICKETS_PAGE_SIZE_MAX", default=200)

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "ENUM_NAME_OVERRIDES": {"TicketStatus": "tickets.models.Ticket.Status"},
}
