"""What service tests read off an API's answers and a service's outbox."""

from ticketing_shared.events.models import OutboxEvent


def error_messages(response) -> list[tuple[str, str | None]]:
    """The answer's errors as (message, field) pairs, field None where none is at fault."""
    return [(error["message"], error.get("field")) for error in response.json()["errors"]]


def events_published(subject: str) -> list[dict]:
    """The data of every `subject` event recorded in this service's outbox, in order."""
    return [
        event.envelope["data"]
        for event in OutboxEvent.objects.filter(subject=subject).order_by("position")
    ]
