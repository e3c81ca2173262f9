"""kombu's Redis transport, with one client object for a channel's commands.

kombu 5.7 builds a new `redis.Redis` object for every publish, delivery record and ack
(`Channel.conn_or_acquire`); building one copies redis-py's table of response callbacks, about
60 µs each, several times per event on both sides of the bus. A `redis.Redis` object is
thread-safe and takes a connection from the channel's pool for each command, so one per channel
serves them all. Selected by `CELERY_BROKER_TRANSPORT`; the broker URL stays `redis://`.
"""

from contextlib import contextmanager

from kombu.transport import redis


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


class Transport(redis.Transport):
    Channel = Channel
