"""Events onto the broker: one Celery task message per consuming service, on its own queue.

One message per queue, never one fanned-out message: with kombu's Redis transport the copies of a
fanned-out message share a delivery tag, so one consumer's ack erases another's redelivery
record, and a visibility-timeout restore duplicates it into every queue (celery/celery#4091).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from celery import current_app

from ticketing_shared.events.envelope import Event
from ticketing_shared.events.names import events_queue

logger = logging.getLogger(__name__)

Delivery = tuple[dict, str]  # an envelope and the service it goes to


@dataclass(frozen=True)
class Message:
    """One task message, checked and ready: sending it is the broker's part alone."""

    envelope: dict
    consumer: str
    queue: str
    task_name: str
    replay: bool


def message_prepare(envelope, *, consumer: str, replay: bool = False) -> Message:
    """The message that takes `envelope` to `consumer`'s queue; raises `ValueError` if there
    can be none: an envelope that is not an object or names no subject (the task a consumer
    runs), a consumer that is not a service name."""
    if not isinstance(envelope, dict):
        raise ValueError(f"the envelope is not an object: {type(envelope).__name__}")
    subject = envelope.get("subject")
    if not isinstance(subject, str) or not subject:
        raise ValueError(f"the envelope names no subject: {subject!r}")
    return Message(envelope, consumer, events_queue(consumer), subject, replay)


def event_send(event: Event, *, consumer: str, replay: bool = False) -> None:
    """Sends `event` to `consumer`'s queue; raises if the broker does not take it."""
    envelope_send(event.as_envelope(), consumer=consumer, replay=replay)


def envelope_send(envelope: dict, *, consumer: str, replay: bool = False) -> None:
    """Sends an envelope as it is (a dead letter's may not even fit its subject)."""
    envelopes_send([(envelope, consumer)], replay=replay)


def envelopes_send(deliveries: Iterable[Delivery], *, replay: bool = False) -> None:
    """Sends envelopes in one round trip to the broker; raises `ValueError` before sending
    anything if one of them cannot be sent, and as `messages_send` does."""
    messages_send(
        [
            message_prepare(envelope, consumer=consumer, replay=replay)
            for envelope, consumer in deliveries
        ]
    )


def messages_send(messages: Iterable[Message]) -> None:
    """Sends messages in one round trip to the broker (kombu's publish batch, a Redis
    pipeline); raises if the broker did not take them all, and then any of them may have
    gone: the caller sends them all again later, and consumers ignore what they applied.

    No publish retries here: whoever calls this (the relay, a replay) keeps the events and
    tries again later, so a broker outage never holds a request up.
    """
    with current_app.producer_or_acquire() as producer, producer.batch():
        sent = [_send(message, producer) for message in messages]
    for message in sent:
        logger.info(
            "event sent",
            extra={
                "event_id": message.envelope.get("id"),
                "subject": message.task_name,
                "consumer": message.consumer,
            },
        )


def _send(message: Message, producer) -> Message:
    current_app.send_task(
        message.task_name,
        args=[message.envelope],
        kwargs={"replay": message.replay},
        queue=message.queue,
        routing_key=message.queue,
        producer=producer,
        retry=False,
        # What logs and monitoring show of the task's arguments: Celery's own summary of the
        # envelope (saferepr) would cost a quarter of the send.
        argsrepr=f"[{message.envelope.get('id')}]",
        kwargsrepr=f"{{'replay': {message.replay}}}",
    )
    return message
