"""What tickets does with other services' events: one small function per subject, each
calling a service (`tickets.services`). Delivery, the inbox that applies an event once, retries
and dead letters are the shared bus's (`ticketing_shared.events.consumers`)."""

import uuid

from ticketing_shared.events.consumers import event_handler
from ticketing_shared.events.envelope import Event
from tickets.services import (
    ticket_release_for_order,
    ticket_reserve_for_order,
    ticket_sell_to_order,
)


def _order_event_arguments(event: Event) -> dict:
    return {
        "order_id": uuid.UUID(event.data["id"]),
        "order_version": event.data["version"],
        "ticket_id": uuid.UUID(event.data["ticket"]["id"]),
    }


@event_handler("order:created")
def order_created(event: Event) -> None:
    ticket_reserve_for_order(**_order_event_arguments(event))


@event_handler("order:cancelled")
def order_cancelled(event: Event) -> None:
    ticket_release_for_order(**_order_event_arguments(event))


@event_handler("order:completed")
def order_completed(event: Event) -> None:
    ticket_sell_to_order(**_order_event_arguments(event))
