import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from ticketing_shared.events.consumers import event_deliver, event_handler, retry_backoff
from ticketing_shared.events.envelope import Event
from ticketing_shared.events.models import DeadLetter, InboxEvent

pytestmark = pytest.mark.django_db


class RetryRequested(Exception):
    def __init__(self, countdown):
        super().__init__(countdown)
        self.countdown = countdown


def envelope() -> dict:
    data = {"id": str(uuid.uuid4()), "version": 1, "ticket": {"id": str(uuid.uuid4())}}
    return Event.new(subject="order:cancelled", data=data, producer="orders").as_envelope()


def deliver(message, handler, *, attempt=0, replay=False, subject="order:cancelled"):
    return event_deliver(
        message,
        subject=subject,
        handler=handler,
        attempt=attempt,
        replay=replay,
        retry_later=lambda countdown, error: RetryRequested(countdown),
    )


def test_an_event_is_applied_once_however_often_it_arrives():
    applied = []
    message = envelope()

    outcomes = [deliver(message, applied.append) for _ in range(3)]

    assert outcomes == ["applied", "duplicate ignored", "duplicate ignored"]
    assert len(applied) == 1
    assert InboxEvent.objects.get().event_id == uuid.UUID(message["id"])


def test_a_replay_applies_again():
    applied = []
    message = envelope()
    deliver(message, applied.append)

    assert deliver(message, applied.append, replay=True) == "replayed"
    assert len(applied) == 2


def test_a_failing_handler_leaves_nothing_behind_and_is_retried_with_backoff(settings):
    settings.EVENTS_RETRY_BACKOFF_BASE = 0.5
    settings.EVENTS_RETRY_BACKOFF_MAX = 3

    def failing(event):
        get_user_model().objects.create(username="written-before-the-failure")
        raise RuntimeError("boom")

    with pytest.raises(RetryRequested) as retry:
        deliver(envelope(), failing, attempt=2)

    assert retry.value.countdown == 2.0
    assert not get_user_model().objects.exists()
    assert not InboxEvent.objects.exists()
    assert [retry_backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 3, 3]


def test_the_last_attempt_ends_in_a_dead_letter(settings):
    settings.EVENTS_MAX_ATTEMPTS = 3
    message = envelope()

    def failing(event):
        raise RuntimeError("still broken")

    assert deliver(message, failing, attempt=2) == "dead-lettered"

    dead = DeadLetter.objects.get()
    assert (str(dead.event_id), dead.subject, dead.attempts) == (
        message["id"],
        "order:cancelled",
        3,
    )
    assert dead.envelope == message
    assert "RuntimeError: still broken" in dead.error


def test_a_malformed_event_is_dead_lettered_without_retries():
    def never(event):
        raise AssertionError("a malformed event must not reach its handler")

    assert deliver({"subject": "order:cancelled", "id": "1"}, never) == "dead-lettered"
    assert DeadLetter.objects.get().attempts == 1


@pytest.mark.parametrize(
    "change", [{"version": "1"}, {"version": 1.0}, {"id": 1}], ids=["str", "float", "int id"]
)
def test_data_of_the_wrong_json_type_is_dead_lettered_without_retries(change):
    # Coerced, it reached the handler, which failed on each of its attempts (~64 s) first.
    message = envelope()
    message["data"].update(change)

    def never(event):
        raise AssertionError("data of the wrong type must not reach its handler")

    assert deliver(message, never) == "dead-lettered"
    dead = DeadLetter.objects.get()
    assert dead.attempts == 1
    assert "PayloadInvalid" in dead.error
    assert not InboxEvent.objects.exists()


def test_an_envelope_delivered_as_another_subjects_task_is_dead_lettered_without_retries():
    # A message for the `order:created` task carrying an `order:cancelled` envelope would run
    # the creation's handler on a cancellation's data.
    message = envelope()

    def never(event):
        raise AssertionError("another subject's event must not reach this handler")

    assert deliver(message, never, subject="order:created") == "dead-lettered"
    dead = DeadLetter.objects.get()
    assert (str(dead.event_id), dead.subject, dead.attempts) == (
        message["id"],
        "order:cancelled",
        1,
    )
    assert "delivered as order:created" in dead.error
    assert not InboxEvent.objects.exists()


def test_a_service_handles_only_what_the_catalog_sends_it(settings):
    settings.TICKETING_SERVICE = "payments"

    with pytest.raises(ImproperlyConfigured, match="not a consumer of ticket:created"):
        event_handler("ticket:created")(lambda event: None)
