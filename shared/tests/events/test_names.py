import pytest

from ticketing_shared.events.names import events_queue, tasks_queue


def test_each_service_has_an_events_queue_and_a_tasks_queue():
    assert events_queue("tickets") == "tickets.events"
    assert tasks_queue("tickets") == "tickets.tasks"


@pytest.mark.parametrize("name", ["", "Tickets", "tickets service", "tickets.events", None])
def test_a_queue_is_named_after_a_service_name_only(name):
    # Anything else would be a queue no worker reads: a message sent there waits forever.
    with pytest.raises(ValueError, match="not a service name"):
        events_queue(name)
    with pytest.raises(ValueError, match="not a service name"):
        tasks_queue(name)
