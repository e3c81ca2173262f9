import uuid

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from ticketing_shared.events.envelope import Event
from ticketing_shared.events.models import DeadLetter
from ticketing_shared.testing.tokens import access_token_mint

pytestmark = pytest.mark.django_db


def test_staff_replays_a_dead_letter_from_the_admin(bus):
    data = {"id": str(uuid.uuid4()), "version": 1, "ticket": {"id": str(uuid.uuid4())}}
    envelope = Event.new(subject="order:cancelled", data=data, producer="orders").as_envelope()
    dead = DeadLetter.objects.create(
        event_id=envelope["id"], subject="order:cancelled", consumer="tickets",
        envelope=envelope, error="RuntimeError: boom", attempts=4,
    )  # fmt: skip
    client = Client()
    client.cookies["access_token"] = access_token_mint(is_staff=True, is_superuser=True)

    listing = client.get("/admin/sample/events/deadletter/")
    response = client.post(
        "/admin/sample/events/deadletter/", {"action": "replay", "_selected_action": [dead.pk]}
    )

    assert listing.status_code == 200
    assert response.status_code == 302
    dead.refresh_from_db()
    assert dead.replayed_at is not None
    assert bus.queue_length("tickets.events") == 1


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
