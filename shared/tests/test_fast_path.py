"""A fast-path task goes to the broker when it can, never more than once, never failing its
caller: the real broker of the suite, stopped for an outage."""

import json

from django.conf import settings

from ticketing_shared.events.names import tasks_queue
from ticketing_shared.fast_path import fast_path_task_send

TASK = "sample.tasks.something_due"


def queued_tasks(bus) -> list[tuple[str, list]]:
    queue = tasks_queue(settings.TICKETING_SERVICE)
    messages = [json.loads(raw) for raw in bus.client().lrange(queue, 0, -1)]
    return [(message["headers"]["task"], message["headers"]["argsrepr"]) for message in messages]


def test_a_task_due_soon_is_sent(bus):
    assert fast_path_task_send(TASK, args=["a1"], countdown=3) is True

    assert queued_tasks(bus) == [(TASK, "['a1']")]


def test_a_task_due_past_the_visibility_timeout_is_left_to_the_sweep(bus):
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]

    assert fast_path_task_send(TASK, args=["a1"], countdown=timeout) is False

    assert queued_tasks(bus) == []


def test_a_broker_outage_is_left_to_the_sweep_and_fails_no_caller(bus, caplog):
    bus.stop()

    sent = fast_path_task_send(TASK, args=["a1"])

    assert sent is False
    assert "its sweep will do the work" in caplog.text
