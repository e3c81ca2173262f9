import logging
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from ticketing_shared.events.consumers import event_deliver, event_handler, retry_backoff
from ticketing_shared.events.envelope import Event
from ticketing_shared.events.models import DeadLetter, InboxEvent
from ticketing_shared.events.versions import EventArrivedEarly, VersionGap

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


class TicketNotYetKnown(EventArrivedEarly):
    """A service's own kind of early event: it waits for an event about another aggregate."""


def version_gap(event):
    raise VersionGap(current=0, incoming=2)


def ticket_not_yet_known(event):
    raise TicketNotYetKnown("the ticket's ticket:created has not arrived")


@pytest.fixture
def budgets(settings):
    settings.EVENTS_MAX_ATTEMPTS = 3
    settings.EVENTS_MAX_EARLY_ATTEMPTS = 6
    settings.EVENTS_RETRY_BACKOFF_BASE = 0.5
    settings.EVENTS_RETRY_BACKOFF_MAX = 3
    return settings


@pytest.mark.parametrize("handler", [version_gap, ticket_not_yet_known])
@pytest.mark.parametrize(("attempt", "countdown"), [(2, 2.0), (3, 3), (4, 3)])
def test_an_early_event_is_retried_beyond_a_failures_budget(budgets, handler, attempt, countdown):
    # A queue's backlog can hold up the event it waits for longer than a failure is retried.
    with pytest.raises(RetryRequested) as retry:
        deliver(envelope(), handler, attempt=attempt)

    # Each pause is still capped, so a message never waits beyond its visibility timeout.
    assert retry.value.countdown == countdown
    assert not DeadLetter.objects.exists()
    assert not InboxEvent.objects.exists()


@pytest.mark.parametrize(
    ("handler", "error"),
    [
        (version_gap, "VersionGap: version 2 arrived before version 1"),
        (ticket_not_yet_known, "TicketNotYetKnown: the ticket's ticket:created has not arrived"),
    ],
)
def test_an_early_event_is_a_dead_letter_at_its_own_budget(budgets, handler, error):
    message = envelope()

    assert deliver(message, handler, attempt=5) == "dead-lettered"

    dead = DeadLetter.objects.get()
    assert (str(dead.event_id), dead.attempts, dead.error) == (message["id"], 6, error)


def test_a_failure_is_a_dead_letter_at_the_failures_budget_whatever_the_early_one(budgets):
    def failing(event):
        raise RuntimeError("still broken")

    assert deliver(envelope(), failing, attempt=2) == "dead-lettered"
    assert DeadLetter.objects.get().attempts == 3


def retry_logged(caplog, handler, attempt) -> list[tuple[int, str]]:
    caplog.clear()
    with (
        caplog.at_level(logging.INFO, logger="ticketing_shared.events.consumers"),
        pytest.raises(RetryRequested),
    ):
        deliver(envelope(), handler, attempt=attempt)
    return [(record.levelno, record.getMessage()) for record in caplog.records]


def test_an_early_event_is_logged_as_early_not_as_a_failure(budgets, caplog):
    def failing(event):
        raise RuntimeError("boom")

    assert retry_logged(caplog, version_gap, 0) == [(logging.INFO, "event arrived early; retrying")]
    # Still waiting where a failure would have been set aside: worth a look.
    assert retry_logged(caplog, version_gap, 2) == [
        (logging.WARNING, "event arrived early; retrying")
    ]
    assert retry_logged(caplog, failing, 0) == [(logging.WARNING, "event handler failed; retrying")]


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
