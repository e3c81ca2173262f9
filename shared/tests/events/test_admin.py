import uuid
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from ticketing_shared.events.envelope import Event
from ticketing_shared.events.models import DeadLetter, OutboxEvent
from ticketing_shared.events.names import events_queue
from ticketing_shared.events.outbox import outbox_sweep
from ticketing_shared.testing.tokens import access_token_mint

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.cookies["access_token"] = access_token_mint(is_staff=True, is_superuser=True)
    return client


def test_staff_replays_a_dead_letter_from_the_admin(bus, staff_client):
    data = {"id": str(uuid.uuid4()), "version": 1, "ticket": {"id": str(uuid.uuid4())}}
    envelope = Event.new(subject="order:cancelled", data=data, producer="orders").as_envelope()
    dead = DeadLetter.objects.create(
        event_id=envelope["id"], subject="order:cancelled", consumer="tickets",
        envelope=envelope, error="RuntimeError: boom", attempts=4,
    )  # fmt: skip

    listing = staff_client.get("/admin/sample/events/deadletter/")
    response = staff_client.post(
        "/admin/sample/events/deadletter/", {"action": "replay", "_selected_action": [dead.pk]}
    )

    assert listing.status_code == 200
    assert response.status_code == 302
    dead.refresh_from_db()
    assert dead.replayed_at is not None
    assert bus.queue_length(events_queue("tickets")) == 1


def test_staff_sees_set_aside_events_and_retries_them_from_the_admin(bus, staff_client, settings):
    settings.EVENTS_OUTBOX_MAX_ATTEMPTS = 2
    data = {"id": str(uuid.uuid4()), "version": 1, "ticket": {"id": str(uuid.uuid4())}}
    envelope = Event.new(subject="order:cancelled", data=data, producer="orders").as_envelope()
    unsendable = OutboxEvent.objects.create(
        event_id=envelope["id"], subject="order:cancelled", consumers=["Tickets Service!"],
        occurred_at=datetime.now(UTC), envelope=envelope,
    )  # fmt: skip
    sent = OutboxEvent.objects.create(
        event_id=uuid.uuid4(), subject="order:cancelled", consumers=["tickets"],
        occurred_at=datetime.now(UTC), envelope=envelope, published_at=datetime.now(UTC),
    )  # fmt: skip
    outbox_sweep()
    outbox_sweep()  # its second failure: set aside

    listing = staff_client.get("/admin/sample/events/outboxevent/", {"set_aside_at__isempty": "0"})
    response = staff_client.post(
        "/admin/sample/events/outboxevent/",
        {"action": "retry", "_selected_action": [unsendable.pk, sent.pk]},
    )

    assert listing.status_code == 200
    assert str(unsendable.event_id) in listing.text
    assert str(sent.event_id) not in listing.text
    assert "not a service name" in listing.text  # its last error
    assert response.status_code == 302
    unsendable.refresh_from_db()
    assert (unsendable.set_aside_at, unsendable.attempts) == (None, 0)
    outbox_sweep()  # back in line: tried again (and the fault is still there)
    unsendable.refresh_from_db()
    assert (unsendable.set_aside_at, unsendable.attempts) == (None, 1)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"to": "auth"}, "consumes no event subject"),
        ({"to": "tickets", "subject": ["ticket:created"]}, "does not consume: ticket:created"),
    ],
)
def test_replay_refuses_what_the_consumer_does_not_take(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("events_replay", **arguments)


def test_replay_dry_run_counts(capsys, as_orders, bus):
    call_command("events_replay", to="payments", dry_run=True)

    assert "0 event(s) of order:cancelled, order:completed, order:created for payments" in (
        capsys.readouterr().out
    )
