"""Recording events with the change they announce, and relaying them to the broker afterwards."""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from ticketing_shared.events.catalog import subject_get
from ticketing_shared.events.envelope import Event
from ticketing_shared.events.models import OutboxEvent
from ticketing_shared.events.transport import Message, message_prepare, messages_send

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
        consumers=list(subject_get(subject).consumers),
        occurred_at=event.occurred_at,
        envelope=event.as_envelope(),
    )
    transaction.on_commit(lambda: outbox_relay(event_ids=[event.id]))
    return event


def outbox_relay(*, event_ids: Iterable | None = None, batch_size: int = RELAY_BATCH_SIZE) -> int:
    """Sends pending events, oldest first, and marks them sent; returns how many were sent.

    Rows are locked with SKIP LOCKED, so relays running at once (the one after a commit, the
    sweep, several processes) never send one row at the same time. Each row goes to the
    consumers recorded with it. A batch goes to the broker in one round trip and is marked
    sent in the transaction that holds its locks; if the broker does not take it all, the mark
    rolls back and the sweep sends it again. It never raises: a failed relay must not fail the
    request whose commit triggered it.
    """
    return _batch_relay(event_ids=event_ids, batch_size=batch_size, after_position=0).sent


def outbox_sweep(*, batch_size: int = RELAY_BATCH_SIZE) -> int:
    """Relays everything still pending (after a crash or a broker outage), batch by batch;
    returns how many were sent.

    Each pending row is tried once per sweep: a row that could not be sent is not claimed
    again by the batches after it. A batch the broker refuses ends the sweep: the next batch
    would only wait for the broker too.
    """
    total, after_position = 0, 0
    while True:
        batch = _batch_relay(event_ids=None, batch_size=batch_size, after_position=after_position)
        total += batch.sent
        if batch.claimed < batch_size or batch.broker_failed:
            return total
        after_position = batch.last_position


@transaction.atomic
def outbox_events_retry(*, positions: Iterable[int]) -> int:
    """Puts rows set aside (or failing) back in line for the sweep, their failures forgotten;
    returns how many. Rows already sent are left as they are."""
    return OutboxEvent.objects.filter(
        position__in=list(positions), published_at__isnull=True
    ).update(set_aside_at=None, attempts=0)


@dataclass(frozen=True)
class _Claimed:
    position: int
    subject: str
    consumers: list[str]
    envelope: object


@dataclass(frozen=True)
class _Batch:
    claimed: int = 0
    sent: int = 0
    last_position: int = 0
    broker_failed: bool = False


def _batch_relay(*, event_ids: Iterable | None, batch_size: int, after_position: int) -> _Batch:
    """Claims up to `batch_size` pending rows after `after_position` and sends the ones that
    can be sent; a row that cannot (its messages cannot even be built) is left pending with a
    failure of its own counted, so it never holds the others back."""
    claimed: list[_Claimed] = []
    unsendable: list[tuple[_Claimed, Exception]] = []
    try:
        with transaction.atomic():
            claimed = _pending_claim(
                event_ids=event_ids, batch_size=batch_size, after_position=after_position
            )
            if not claimed:
                return _Batch()
            messages, unsendable = _messages_prepare(claimed)
            _unsendable_record(unsendable)
            if messages:
                messages_send(messages)
    except Exception as error:
        # What a row brings to its messages was checked before the send, so this is the
        # broker's failure (or the database's): the claim rolled back, every row waits for the
        # next sweep, and none is held responsible for it.
        unsendable_positions = {row.position for row, _ in unsendable}
        waiting = [row.position for row in claimed if row.position not in unsendable_positions]
        logger.warning(
            "events not sent; the sweep will retry",
            extra={"events": len(waiting), "error": str(error)},
        )
        try:
            OutboxEvent.objects.filter(position__in=waiting).update(last_error=_error_text(error))
            _unsendable_record(unsendable)  # rolled back with the claim: recorded again
        except Exception:
            logger.exception("could not record the failed relay")
        return _Batch(
            claimed=len(claimed),
            last_position=claimed[-1].position if claimed else after_position,
            broker_failed=True,
        )
    return _Batch(
        claimed=len(claimed),
        sent=len(claimed) - len(unsendable),
        last_position=claimed[-1].position,
    )


def _messages_prepare(
    claimed: list[_Claimed],
) -> tuple[list[Message], list[tuple[_Claimed, Exception]]]:
    """Each row's messages, one per recorded consumer, and the rows that cannot have them."""
    messages: list[Message] = []
    unsendable: list[tuple[_Claimed, Exception]] = []
    for row in claimed:
        try:
            if not row.consumers:
                raise ValueError(f"no consumers recorded for {row.subject}")
            messages += [
                message_prepare(row.envelope, consumer=consumer) for consumer in row.consumers
            ]
        except Exception as error:
            unsendable.append((row, error))
    return messages, unsendable


# Marking the rows sent before sending them is safe in a transaction: a failed send rolls the
# mark back. The commit need not wait for the disk (synchronous_commit off): if the server
# crashes before it is written, the rows are only sent again, and consumers ignore a
# redelivery, while the request that triggered the relay is spared a second flush.
_CLAIM = """
SET LOCAL synchronous_commit TO OFF;
UPDATE events_outboxevent SET published_at = now()
WHERE position IN (
    SELECT position FROM events_outboxevent
    WHERE published_at IS NULL AND set_aside_at IS NULL AND position > %(after_position)s
        AND (%(any_event)s OR event_id = ANY(%(event_ids)s::uuid[]))
    ORDER BY position LIMIT %(batch_size)s
    FOR UPDATE SKIP LOCKED
)
RETURNING position, subject, consumers, envelope
"""


def _pending_claim(
    *, event_ids: Iterable | None, batch_size: int, after_position: int
) -> list[_Claimed]:
    """Locks and marks sent up to `batch_size` pending rows (of `event_ids` only, if given)
    that no other relay holds; returns them oldest first, envelopes as recorded."""
    params = {
        "any_event": event_ids is None,
        "event_ids": [str(event_id) for event_id in event_ids or ()],
        "batch_size": batch_size,
        "after_position": after_position,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM, params)
        rows = cursor.fetchall()
    # The envelope and consumers as recorded: they were checked then, and re-checking them
    # against a catalog that has since changed would leave the row stuck here.
    return sorted(
        (
            _Claimed(position, subject, consumers, _json(envelope))
            for position, subject, consumers, envelope in rows
        ),
        key=lambda row: row.position,
    )


def _json(value):
    # Django has psycopg2 hand jsonb over as text (JSONField decodes it), so a raw query does.
    return json.loads(value) if isinstance(value, str | bytes) else value


_FAILURE_COUNT = """
UPDATE events_outboxevent
SET published_at = NULL, attempts = attempts + 1, last_error = %(error)s,
    set_aside_at = CASE WHEN attempts + 1 >= %(limit)s THEN now() END
WHERE position = %(position)s
RETURNING attempts, set_aside_at IS NOT NULL
"""


def _unsendable_record(unsendable: list[tuple[_Claimed, Exception]]) -> None:
    """Leaves each row pending with one more failure of its own, and sets it aside once it has
    failed `EVENTS_OUTBOX_MAX_ATTEMPTS` times."""
    for row, error in unsendable:
        params = {
            "error": _error_text(error),
            "limit": settings.EVENTS_OUTBOX_MAX_ATTEMPTS,
            "position": row.position,
        }
        with connection.cursor() as cursor:
            cursor.execute(_FAILURE_COUNT, params)
            attempts, set_aside = cursor.fetchone()
        (logger.error if set_aside else logger.warning)(
            "event set aside: it cannot be sent" if set_aside else "event cannot be sent",
            extra={
                "event_id": _envelope_id(row.envelope),
                "subject": row.subject,
                "position": row.position,
                "attempts": attempts,
                "error": str(error),
            },
        )


def _envelope_id(envelope) -> str | None:
    return envelope.get("id") if isinstance(envelope, dict) else None


def _error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]
