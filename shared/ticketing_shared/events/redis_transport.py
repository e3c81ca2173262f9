"""kombu's Redis transport, with one client object for a channel's commands, and a worker that
survives what is not a message.

kombu 5.7 builds a new `redis.Redis` object for every publish, delivery record and ack
(`Channel.conn_or_acquire`); building one copies redis-py's table of response callbacks, about
60 µs each, several times per event on both sides of the bus. A `redis.Redis` object is
thread-safe and takes a connection from the channel's pool for each command, so one per channel
serves them all. Selected by `CELERY_BROKER_TRANSPORT`; the broker URL stays `redis://`.

kombu decodes each item it pops from a queue's list without a guard: one item that is not JSON,
or JSON that is not a message kombu wrote (`LPUSH tickets.events "not json"`, `[1]`,
`{"body": "x"}`), raised out of the worker's loop, and Celery stopped the worker ("Unrecoverable
error"); restarted, it popped the next such item. Such an item has no envelope to set aside as a
dead letter, so it is logged and dropped, and the worker goes on. What is a message but not a
task Celery knows, or a task whose envelope does not fit, is Celery's and the consumers' to
refuse as before.
"""

import logging
from contextlib import contextmanager
from queue import Empty

from kombu.transport import redis
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import loads

logger = logging.getLogger(__name__)

# Enough of a dropped item to recognise it in the log, not a whole body.
ITEM_LOGGED_BYTES = 200


class Channel(redis.Channel):
    _commands_client = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client is None:
            # A channel replaces its pool when it reconnects: the client goes with the pool.
            if self._commands_client is None or self._commands_client.connection_pool is not (
                self.pool
            ):
                self._commands_client = self._create_client()
            client = self._commands_client
        yield client

    # `_brpop_read` and `_get` are kombu 5.7.0's (the version pinned), but for the item popped:
    # it goes through `_message_or_none` instead of an unguarded `loads`.

    def _brpop_read(self, **options):
        try:
            try:
                dest__item = self.client.parse_response(self.client.connection, "BRPOP", **options)
            except self.connection_errors:
                # if there's a ConnectionError, disconnect so the next
                # iteration will reconnect automatically.
                self.client.connection.disconnect()
                raise
            if dest__item:
                dest, item = dest__item
                dest = bytes_to_str(dest).rsplit(self.sep, 1)[0]
                self._queue_cycle.rotate(dest)
                message = self._message_or_none(item, dest)
                if message is not None:
                    self.connection._deliver(message, dest)
                return True
            else:
                raise Empty()
        finally:
            self._in_poll = None
            self._flush_brpop_reauth()

    def _get(self, queue):
        with self.conn_or_acquire() as client:
            for pri in self.priority_steps:
                # Past an item that is not a message (dropped) to the next one, if any.
                while item := client.rpop(self._q_for_pri(queue, pri)):
                    self._maybe_update_queues_expire(client, queue)
                    message = self._message_or_none(item, queue)
                    if message is not None:
                        return message

            self._maybe_update_queues_expire(client, queue)
            raise Empty()

    def _deliver_fanout_message(self, message, exchange):
        # A broadcast (Celery's remote control, `PUBLISH /0.celery.pidbox ...`): kombu decodes
        # it with a guard, but delivers any JSON it gets.
        problem = message_problem(message, self)
        if problem is not None:
            _log_dropped(message, exchange, problem)
            # Nothing delivered. Not `Empty`, as kombu raises for what is not JSON: its loop
            # over further buffered broadcasts (`_receive`) does not catch it.
            return False
        return super()._deliver_fanout_message(message, exchange)

    def _message_or_none(self, item: bytes, queue: str) -> dict | None:
        try:
            message = loads(bytes_to_str(item))
        except Exception as error:  # whatever the item (RecursionError too), the worker goes on
            _log_dropped(item, queue, f"not JSON: {type(error).__name__}")
            return None
        problem = message_problem(message, self)
        if problem is not None:
            _log_dropped(item, queue, problem)
            return None
        return message


class Transport(redis.Transport):
    Channel = Channel


def message_problem(message, channel) -> str | None:
    """What keeps `message` (decoded from the broker) from being a message kombu can take to a
    consumer, or None. kombu wrote every field checked here itself when it sent the message."""
    if not isinstance(message, dict):
        return f"not an object but {type(message).__name__}"
    properties = message.get("properties")
    if not isinstance(properties, dict):
        return "no properties"
    if not isinstance(properties.get("delivery_tag"), str):
        return "no delivery tag"
    # Where the delivery record (Redis QoS) says to put the message back if it is not acked.
    delivery_info = properties.get("delivery_info")
    if not isinstance(delivery_info, dict) or not all(
        isinstance(delivery_info.get(key), str) for key in ("exchange", "routing_key")
    ):
        return "no delivery info"
    try:
        # What kombu builds of it first: its headers, its body decoded (base64).
        channel.Message(message, channel=channel)
    except Exception as error:
        return f"not a kombu message: {type(error).__name__}"
    return None


def _log_dropped(item, queue: str, problem: str) -> None:
    text = item if isinstance(item, bytes) else repr(item).encode()
    logger.error(
        "broker message dropped: %s",
        problem,
        extra={
            "queue": queue,
            "item": repr(text[:ITEM_LOGGED_BYTES]),
            "item_bytes": len(text),
        },
    )
