"""Bare Django with the tickets database (as production connects: kept for 60 s, checked before
each request's first query): the floor of any view that reads one row."""

import environ

from baseline.settings import *  # noqa: F403

DATABASES = {
    "default": {
        **environ.Env().db_url("DATABASE_URL"),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
