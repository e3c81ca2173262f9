"""The auth service's periodic housekeeping, run by its beat (`CELERY_BEAT_SCHEDULE` in
config/settings.py) and its worker."""

import logging

from celery import shared_task
from django.core.management import call_command

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def tokens_flush_expired() -> None:
    """Deletes the records of refresh tokens past their expiry, blacklisted ones included
    (simplejwt's `flushexpiredtokens`). An expired token is refused for its expiry alone, so
    its record only grows the tables every refresh and sign-out looks in."""
    call_command("flushexpiredtokens")
    logger.info("expired refresh tokens flushed")
