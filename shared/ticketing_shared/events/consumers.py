"""Handling other services' events: each applied once, in a transaction, retried, or set aside.

    @event_handler("ticket:created")
    def ticket_created(event: Event) -> None: ...

A handler runs in one transaction with the inbox row that marks its event applied, so a
redelivered event finds the row and is acknowledged without running again. A handler that
raises is retried with exponential backoff on a new message, so one aggregate waiting for its
next version never holds up others; after `EVENTS_MAX_ATTEMPTS` the event becomes a dead
letter. An event that arrived early (`EventArrivedEarly`, `VersionGap` among them) has not
failed: it waits for another still on its way, which a backlog can hold up for minutes, so it
has a budget of its own, `EVENTS_MAX_EARLY_ATTEMPTS`, before it becomes a dead letter. Either
way each pause is at most `EVENTS_RETRY_BACKOFF_MAX`. Handlers must tolerate a replay
(`replay=True` skips the inbox check to rebuild copies): apply versioned events through
`version_is_next`, and make the rest idempotent by nature.
"""

import logging
import uuid
from collections.abc import Callable

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from ticketing_shared.events.catalog import PayloadInvalid, subject_get
from ticketing_shared.events.envelope import Event
from ticketing_shared.events.models import DeadLetter
from ticketing_shared.events.names import events_queue
from ticketing_shared.events.versions import EventArrivedEarly
from ticketing_shared.logging import event_var

logger = logging.getLogger(__name__)

Handler = Callable[[Event], None]

HANDLERS: dict[str, Handler] = {}


def event_handler(subject: str) -> Callable[[Handler], Handler]:
    """Registers the function as this service's handler of `subject` and as the Celery task
    of that name that this service's worker runs."""
    spec = subject_get(subject)

    def register(handler: Handler) -> Handler:
        service = settings.TICKETING_SERVICE
        if service not in spec.consumers:
            raise ImproperlyConfigured(f"{service} is not a consumer of {subject} in the catalog")
        if HANDLERS.get(subject, handler) is not handler:
            raise ImproperlyConfigured(f"{subject} already has a handler in {service}")
        HANDLERS[subject] = handler
        _delivery_task(subject, handler)
        return handler

    return register


def _delivery_task(subject: str, handler: Handler):
    @shared_task(
        name=subject,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        max_retries=None,
        ignore_result=True,
    )
    def deliver(task, envelope, replay=False):
        def retry_later(countdown: float, error: Exception):
            return task.retry(
                countdown=countdown,
                exc=error,
                queue=events_queue(settings.TICKETING_SERVICE),
                kwargs={"replay": replay},
            )

        return event_deliver(
            envelope,
            subject=subject,
            handler=handler,
            attempt=task.request.retries,
            replay=replay,
            retry_later=retry_later,
        )

    return deliver


def event_deliver(
    envelope,
    *,
    subject: str,
    handler: Handler,
    attempt: int,
    replay: bool,
    retry_later,
) -> str:
    """Applies one delivery of an event; returns what became of it (for logs and tests).

    `subject` is the one the delivery came for (its task's name, which chose `handler`): an
    envelope naming another is set aside, since that handler would act on the other subject's
    data.
    """
    consumer = settings.TICKETING_SERVICE
    try:
        event = Event.from_envelope(envelope)
        if event.subject != subject:
            raise PayloadInvalid(
                event.subject, {"subject": [f"delivered as {subject}, the task of another"]}
            )
    except PayloadInvalid as error:
        # Retrying cannot make a malformed event fit: set it aside at once.
        return _dead_letter(envelope, consumer=consumer, error=error, attempts=attempt + 1)

    token = event_var.set((str(event.id), event.subject))
    try:
        try:
            outcome = _apply_once(event, handler=handler, consumer=consumer, replay=replay)
        except Exception as error:
            attempts = attempt + 1
            # One count of attempts (Celery's retries), whichever kind each was: an event that
            # waited past EVENTS_MAX_ATTEMPTS and then fails is a dead letter at that failure.
            early = isinstance(error, EventArrivedEarly)
            if attempts >= (
                settings.EVENTS_MAX_EARLY_ATTEMPTS if early else settings.EVENTS_MAX_ATTEMPTS
            ):
                return _dead_letter(envelope, consumer=consumer, error=error, attempts=attempts)
            countdown = retry_backoff(attempt)
            _retry_log(error, early=early, attempts=attempts, countdown=countdown)
            raise retry_later(countdown, error) from error
        logger.info(f"event {outcome}", extra={"attempt": attempt + 1, "replay": replay})
        return outcome
    finally:
        event_var.reset(token)


def _retry_log(error: Exception, *, early: bool, attempts: int, countdown: float) -> None:
    details = {"attempt": attempts, "retry_in_s": countdown, "error": str(error)}
    if not early:
        logger.warning("event handler failed; retrying", extra=details)
        return
    # Waiting for another event is ordinary; waiting longer than a failing handler would be
    # retried is worth a look before it ends as a dead letter.
    level = logging.WARNING if attempts >= settings.EVENTS_MAX_ATTEMPTS else logging.INFO
    logger.log(level, "event arrived early; retrying", extra=details)


def retry_backoff(attempt: int) -> float:
    return min(settings.EVENTS_RETRY_BACKOFF_BASE * 2**attempt, settings.EVENTS_RETRY_BACKOFF_MAX)


@transaction.atomic
def _apply_once(event: Event, *, handler: Handler, consumer: str, replay: bool) -> str:
    if not _inbox_record(event, consumer=consumer) and not replay:
        return "duplicate ignored"
    handler(event)
    return "replayed" if replay else "applied"


_INBOX_INSERT = """
INSERT INTO events_inboxevent (event_id, consumer, subject, processed_at)
VALUES (%s, %s, %s, %s)
ON CONFLICT (event_id, consumer) DO NOTHING
RETURNING 1
"""


def _inbox_record(event: Event, *, consumer: str) -> bool:
    """Records the event as applied by `consumer`; False if it already was.

    One statement, no savepoint. A concurrent delivery of the same event waits here on the
    unique index until the first one commits (then it finds the row) or rolls back (then it
    inserts), so the two can never both apply it.
    """
    with connection.cursor() as cursor:
        cursor.execute(_INBOX_INSERT, [event.id, consumer, event.subject, timezone.now()])
        return cursor.fetchone() is not None


def _dead_letter(envelope, *, consumer: str, error: Exception, attempts: int) -> str:
    subject = envelope.get("subject", "?") if isinstance(envelope, dict) else "?"
    event_id = envelope.get("id") if isinstance(envelope, dict) else None
    DeadLetter.objects.create(
        event_id=_uuid_or_nil(event_id),
        subject=str(subject)[:64],
        consumer=consumer,
        envelope=envelope,
        error=f"{type(error).__name__}: {error}"[:10000],
        attempts=attempts,
    )
    logger.error(
        "event dead-lettered",
        extra={"event_id": event_id, "subject": subject, "attempts": attempts, "error": str(error)},
    )
    return "dead-lettered"


def _uuid_or_nil(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.UUID(int=0)
