from django.db import transaction
from django.utils import timezone

from ticketing_shared.events.models import DeadLetter
from ticketing_shared.events.transport import envelope_send


@transaction.atomic
def dead_letter_replay(*, dead_letter: DeadLetter) -> DeadLetter:
    """Sends a dead letter back to this service's queue for a fresh round of attempts."""
    envelope_send(dead_letter.envelope, consumer=dead_letter.consumer)
    dead_letter.replayed_at = timezone.now()
    dead_letter.save(update_fields=["replayed_at"])
    return dead_letter
