"""Deleting the bus's bookkeeping once it has served: sent outbox rows and inbox rows."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from ticketing_shared.events.models import InboxEvent, OutboxEvent

logger = logging.getLogger(__name__)

# Rows per DELETE: each batch is its own short transaction, so a large backlog never holds
# long locks or one huge transaction against the service's own writes.
RETENTION_BATCH_SIZE = 1000


def events_retention_apply(*, batch_size: int = RETENTION_BATCH_SIZE) -> dict[str, int]:
    """Deletes sent outbox rows older than `EVENTS_OUTBOX_RETENTION_DAYS` and inbox rows older
    than `EVENTS_INBOX_RETENTION_DAYS` (0: kept forever); returns how many of each.

    Only sent outbox rows go: a pending or set-aside row is an event still owed to others.
    """
    now = timezone.now()
    deleted = {"outbox": 0, "inbox": 0}
    if settings.EVENTS_OUTBOX_RETENTION_DAYS > 0:
        cutoff = now - timedelta(days=settings.EVENTS_OUTBOX_RETENTION_DAYS)
        deleted["outbox"] = _batches_delete(
            OutboxEvent.objects.filter(published_at__lt=cutoff).order_by("position"),
            batch_size=batch_size,
        )
    if settings.EVENTS_INBOX_RETENTION_DAYS > 0:
        cutoff = now - timedelta(days=settings.EVENTS_INBOX_RETENTION_DAYS)
        deleted["inbox"] = _batches_delete(
            InboxEvent.objects.filter(processed_at__lt=cutoff).order_by("pk"),
            batch_size=batch_size,
        )
    logger.info("event records past retention deleted", extra={"deleted": deleted})
    return deleted


def _batches_delete(rows: QuerySet, *, batch_size: int) -> int:
    """Deletes `rows` `batch_size` at a time, oldest first (the primary key's order, which
    follows time closely enough to find old rows without an index on the time itself)."""
    total = 0
    while keys := list(rows.values_list("pk", flat=True)[:batch_size]):
        deleted, _ = rows.model.objects.filter(pk__in=keys).delete()
        total += deleted
    return total
