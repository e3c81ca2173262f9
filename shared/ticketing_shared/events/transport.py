"""Events onto the broker: one Celery task message per consuming service, on its own queue.

One message per queue, never one fanned-out message: with kombu's Redis transport the copies of a
fanned-out message share a delivery tag, so one consumer's ack erases another's redelivery
record, and a visibility-timeout restore duplicates it into every queue (celery/celery#4091).
"""

import logging
from collections.abc import Iterable

from celery import current_app

from ticketing_shared.events.envelope import Event
from ticketing_shared.events.names import events_queue

logger = logging.getLogger(__name__)

Delivery = tuple[dict, str]  # an envelope and the service it goes to


def event_send(event: Event, *, consumer: str, replay: bool = False) -> None:
    """Sends `event` to `consumer`'s queue; raises if the broker does not take it."""
    envelope_send(event.as_envelope(), consumer=consumer, replay=replay)


def envelope_send(envelope: dict, *, consumer: str, replay: bool = False) -> None:
    """Sends an envelope as it is (a dead letter's may not even fit its subject)."""
    envelopes_send([(envelope, consumer)], replay=replay)


def envelopes_send(deliveries: Iterable[Delivery], *, replay: bool = False) -> None:
    """Sends envelopes in one round trip to the broker (kombu's publish batch, a Redis
    pipeline); raises if the broker did not take them all, and then any of them may have
    gone: the caller sends them all again later, and consumers ignore what they applied.

    No publish retries here: whoever calls this (the relay, a replay) keeps the events and
    tries again later, so a broker outage never holds a request up.
    """
    with current_app.producer_or_acquire() as producer, producer.batch():
        sent = [_send(envelope, consumer, producer, replay) for envelope, consumer in deliveries]
    for envelope, consumer in sent:
        logger.info(
            "event sent",
            extra={
                "event_id": envelope.get("id"),
                "subject": envelope.get("subject"),
                "consumer": consumer,
            },
        )


def _send(envelope: dict, consumer: str, producer, replay: bool) -> Delivery:
    queue = events_queue(consumer)
    current_app.send_task(
        str(envelope.get("subject")),
        args=[envelope],
        kwargs={"replay": replay},
        queue=queue,
        routing_key=queue,
        producer=producer,
        retry=False,
        # What logs and monitoring show of the task's arguments: Celery's own summary of the
        # envelope (saferepr) would cost a quarter of the send.
        argsrepr=f"[{envelope.get('id')}]",
        kwargsrepr=f"{{'replay': {replay}}}",
    )
    return envelope, consumer
