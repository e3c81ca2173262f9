"""Recording events with the change they announce, and relaying them to the broker afterwards."""

import json
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from ticketing_shared.events.catalog import subject_get
from ticketing_shared.events.envelope import Event
from ticketing_shared.events.models import OutboxEvent
from ticketing_shared.events.transport import envelopes_send

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
    sweep, several processes) never send one row at the same time. A batch goes to the broker
    in one round trip and is marked sent in the transaction that holds its locks; if the broker
    does not take it all, the mark rolls back and the sweep sends it again. It never raises: a
    failed relay must not fail the request whose commit triggered it.
    """
    claimed: list[tuple[int, str, dict]] = []
    try:
        with transaction.atomic():
            claimed = _pending_claim(event_ids=event_ids, batch_size=batch_size)
            if not claimed:
                return 0
            envelopes_send(
                (envelope, consumer)
                for _position, subject, envelope in claimed
                for consumer in subject_get(subject).consumers
            )
        return len(claimed)
    except Exception as error:
        logger.warning(
            "events not sent; the sweep will retry",
            extra={"events": len(claimed), "error": str(error)},
        )
        _failure_record(positions=[position for position, _, _ in claimed], error=error)
        return 0


def outbox_sweep(*, batch_size: int = RELAY_BATCH_SIZE) -> int:
    """Relays everything still pending (after a crash or a broker outage), batch by batch."""
    total = 0
    while sent := outbox_relay(batch_size=batch_size):
        total += sent
        if sent < batch_size:
            break
    return total


# Marking the rows sent before sending them is safe in a transaction: a failed send rolls the
# mark back. The commit need not wait for the disk (synchronous_commit off): if the server
# crashes before it is written, the rows are only sent again, and consumers ignore a
# redelivery, while the request that triggered the relay is spared a second flush.
_CLAIM = """
SET LOCAL synchronous_commit TO OFF;
UPDATE events_outboxevent SET published_at = now()
WHERE position IN (
    SELECT position FROM events_outboxevent
    WHERE published_at IS NULL
        AND (%(any_event)s OR event_id = ANY(%(event_ids)s::uuid[]))
    ORDER BY position LIMIT %(batch_size)s
    FOR UPDATE SKIP LOCKED
)
RETURNING position, subject, envelope
"""


def _pending_claim(*, event_ids: Iterable | None, batch_size: int) -> list[tuple[int, str, dict]]:
    """Locks and marks sent up to `batch_size` pending rows (of `event_ids` only, if given)
    that no other relay holds; returns them oldest first, envelopes as recorded."""
    params = {
        "any_event": event_ids is None,
        "event_ids": [str(event_id) for event_id in event_ids or ()],
        "batch_size": batch_size,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, params)
        rows = cursor.fetchall()
    # The envelope as recorded: it was checked then, and re-checking it against a catalog
    # that has since changed would leave it stuck here, holding up the rest.
    return sorted((position, subject, _json(envelope)) for position, subject, envelope in rows)


def _json(value) -> dict:
    # Django has psycopg2 hand jsonb over as text (JSONField decodes it), so a raw query does.
    return json.loads(value) if isinstance(value, str | bytes) else value


def _failure_record(*, positions: list[int], error: Exception) -> None:
    if not positions:
        return
    try:
        OutboxEvent.objects.filter(position__in=positions).update(
            attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
    except Exception:
        logger.exception("could not record the failed relay")
