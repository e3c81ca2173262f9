"""Recording events with the change they announce, and relaying them to the broker afterwards."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ticketing_shared.events.catalog import subject_get
from ticketing_shared.events.envelope import Event
from ticketing_shared.events.models import OutboxEvent
from ticketing_shared.events.transport import envelope_send

logger = logging.getLogger(__name__)

RELAY_BATCH_SIZE = 200


def event_publish_on_commit(*, subject: str, data: dict) -> Event:
    """Records an event in the current transaction; it is sent once the transaction commits.

    Nothing reaches the broker before the commit, and a rollback takes the event with it. If the
    broker is unreachable at commit, the event waits in the outbox for the periodic sweep.
    """
    if not connection.in_atomic_block:
        raise RuntimeError(
            "event_publish_on_commit needs the transaction of the change it announces"
        )
    event = Event.new(subject=subject, data=data, producer=settings.TICKETING_SERVICE)
    OutboxEvent.objects.create(
        event_id=event.id,
        subject=event.subject,
        occurred_at=event.occurred_at,
        envelope=event.as_envelope(),
    )
    transaction.on_commit(lambda: outbox_relay(event_ids=[event.id]))
    return event


def outbox_relay(*, event_ids: Iterable | None = None, batch_size: int = RELAY_BATCH_SIZE) -> int:
    """Sends pending events, oldest first, and marks them sent; returns how many were sent.

    Rows are locked with SKIP LOCKED, so relays running at once (the one after a commit, the
    sweep, several processes) never send one row at the same time. It stops at the first
    failure, leaving that event and later ones for the next sweep, and never raises: a
    failed relay must not fail the request whose commit triggered it.
    """
    try:
        with transaction.atomic():
            pending = OutboxEvent.objects.select_for_update(skip_locked=True).filter(
                published_at__isnull=True
            )
            if event_ids is not None:
                pending = pending.filter(event_id__in=list(event_ids))
            return _send_in_order(list(pending.order_by("position")[:batch_size]))
    except Exception:
        logger.exception("outbox relay failed")
        return 0


def outbox_sweep(*, batch_size: int = RELAY_BATCH_SIZE) -> int:
    """Relays everything still pending (after a crash or a broker outage), batch by batch."""
    total = 0
    while sent := outbox_relay(batch_size=batch_size):
        total += sent
        if sent < batch_size:
            break
    return total


def _send_in_order(rows: list[OutboxEvent]) -> int:
    sent_positions = []
    for row in rows:
        try:
            # The envelope as recorded: it was checked then, and re-checking it against a
            # catalog that has since changed would leave it stuck here, holding up the rest.
            for consumer in subject_get(row.subject).consumers:
                envelope_send(row.envelope, consumer=consumer)
        except Exception as error:
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            row.save(update_fields=["attempts", "last_error"])
            logger.warning(
                "event not sent; the sweep will retry",
                extra={"event_id": str(row.event_id), "subject": row.subject, "error": str(error)},
            )
            break
        sent_positions.append(row.position)
    # One statement for the whole batch, in the transaction that holds the rows' locks.
    OutboxEvent.objects.filter(position__in=sent_positions).update(published_at=timezone.now())
    return len(sent_positions)
