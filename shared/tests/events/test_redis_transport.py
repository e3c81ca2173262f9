import logging

import kombu

from tests.celery_app import app
from ticketing_shared.events.redis_transport import Channel


def test_the_bus_runs_on_the_redis_channel_that_keeps_its_client(bus):
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        assert isinstance(channel, Channel)

        with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
            assert first is second
            assert first.ping()


def test_a_channel_that_replaced_its_pool_gets_a_client_of_the_new_pool(bus):
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        with channel.conn_or_acquire() as before:
            before.ping()

        channel._disconnect_pools()  # what kombu does when the channel closes or reconnects

        with channel.conn_or_acquire() as after:
            assert after is not before
            assert after.connection_pool is channel.pool
            assert after.ping()


def test_a_client_given_is_used_as_it_is(bus):
    given = bus.client()
    with (
        app.connection_for_write() as connection,
        connection.default_channel.conn_or_acquire(given) as client,
    ):
        assert client is given


def test_kombu_is_the_version_whose_consuming_the_channel_copies():
    # Channel._brpop_read and _get are kombu 5.7.0's with a guard: on another version, compare
    # them with its own before moving the pin.
    assert kombu.__version__ == "5.7.0"


def test_a_get_drops_what_is_not_a_message_and_takes_the_next(bus, caplog):
    queue = "probe"
    bus.client().lpush(queue, b"not json", b'{"body": "x"}')  # popped from the other end: first
    with app.connection_for_write() as connection:
        connection.Producer().publish({"n": 1}, exchange="", routing_key=queue)
        channel = connection.default_channel

        with caplog.at_level(logging.ERROR, logger="ticketing_shared.events.redis_transport"):
            message = channel.basic_get(queue, no_ack=True)
            nothing = channel.basic_get(queue, no_ack=True)

    assert message.decode() == {"n": 1}
    assert nothing is None
    assert [(r.levelname, r.queue, r.item) for r in caplog.records] == [
        ("ERROR", queue, repr(b"not json")),
        ("ERROR", queue, repr(b'{"body": "x"}')),
    ]
