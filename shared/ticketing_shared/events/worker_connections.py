"""Database connections in Celery workers, kept the way Django keeps them between requests.

Celery's Django fix-up closes every connection around every task, so each event would pay for a
new PostgreSQL connection. Instead, like Django at each request, a connection is closed only when
it is older than `CONN_MAX_AGE` or broken, and `CONN_HEALTH_CHECKS` tests it before reuse.
The settings make Celery's own closing all but never happen (`CELERY_DB_REUSE_MAX`).
"""

from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(**kwargs) -> None:
    close_old_connections()
