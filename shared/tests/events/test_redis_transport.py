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
