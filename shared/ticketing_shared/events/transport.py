"""Events onto the broker: one Celery task message per consuming service, on its own queue.

One message per queue, never one fanned-out message: with kombu's Redis transport the copies of a
fanned-out message share a delivery tag, so one consumer's ack erases another's redelivery
record, and a visibility-timeout restore duplicates it into every queue (celery/celery#4091).
"""

import logging

from celery import current_app

from ticketing_shared.events.envelope import Event

logger = logging.getLogger(__name__)


def events_queue(service: str) -> str:
    return f"{service}.events"


def event_send(event: Event, *, consumer: str, replay: bool = False) -> None:
    """Sends `event` to `consumer`'s queue; raises if the broker does not take it."""
    envelope_send(event.as_envelope(), consumer=consumer, replay=replay)


def envelope_send(envelope: dict, *, consumer: str, replay: bool = False) -> None:
    """Sends an envelope as it is (a dead letter's may not even fit its subject).

    No publish retries here: whoever calls this (the relay, a replay) keeps the event and
    tries again later, so a broker outage never holds a request up.
    """
    queue = events_queue(consumer)
    current_app.send_task(
        str(envelope.get("subject")),
        args=[envelope],
        kwargs={"replay": replay},
        queue=queue,
        routing_key=queue,
        retry=False,
    )
    logger.info(
        "event sent",
        extra={
            "event_id": envelope.get("id"),
            "subject": envelope.get("subject"),
            "consumer": consumer,
        },
    )
