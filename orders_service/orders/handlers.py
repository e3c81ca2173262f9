"""What orders does with other services' events: one small function per subject, each calling
a service (`orders.services`). Delivery, the inbox that applies an event once, retries and dead
letters are the shared bus's (`ticketing_shared.events.consumers`)."""

import uuid
from decimal import Decimal

from orders.services import order_complete_for_payment, ticket_copy_apply
from ticketing_shared.events.consumers import event_handler
from ticketing_shared.events.envelope import Event


def _ticket_copy_apply(event: Event) -> None:
    ticket_copy_apply(
        ticket_id=uuid.UUID(event.data["id"]),
        version=event.data["version"],
        title=event.data["title"],
        price=Decimal(event.data["price"]),
        user_id=uuid.UUID(event.data["userId"]),
    )


@event_handler("ticket:created")
def ticket_created(event: Event) -> None:
    _ticket_copy_apply(event)


@event_handler("ticket:updated")
def ticket_updated(event: Event) -> None:
    _ticket_copy_apply(event)


@event_handler("payment:created")
def payment_created(event: Event) -> None:
    order_complete_for_payment(order_id=uuid.UUID(event.data["orderId"]))
