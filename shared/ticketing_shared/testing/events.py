"""Events delivered in the test's own process: the shared delivery (`event_deliver`: its inbox,
its retries) around one handler, as a worker runs it, without the worker."""

import uuid
from datetime import UTC, datetime

from ticketing_shared.events.consumers import Handler, event_deliver
from ticketing_shared.events.envelope import Event


class RetryRequested(Exception):
    """A delivery that would be sent again later (the handler failed, or its event arrived
    early); `error` is why."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def envelope_deliver_here(envelope: dict, *, handler: Handler) -> str:
    """One first delivery of `envelope` to `handler`; returns what became of it. A delivery to
    be retried raises `RetryRequested`."""
    return event_deliver(
        envelope,
        subject=envelope["subject"],
        handler=handler,
        attempt=0,
        replay=False,
        retry_later=lambda countdown, error: RetryRequested(error),
    )


def event_deliver_here(
    subject: str,
    data: dict,
    *,
    handler: Handler,
    producer: str,
    event_id: uuid.UUID | None = None,
) -> str:
    """One first delivery to `handler` of an event `producer` published now (`event_id`, or a
    new id); as `envelope_deliver_here`."""
    envelope = Event(
        id=event_id or uuid.uuid4(),
        subject=subject,
        occurred_at=datetime.now(UTC),
        producer=producer,
        data=data,
    ).as_envelope()
    return envelope_deliver_here(envelope, handler=handler)
