"""What payments does with orders' events: one small function per subject, each calling a
service (`payments.services`). Delivery, the inbox that applies an event once, retries and dead
letters are the shared bus's (`ticketing_shared.events.consumers`)."""

import uuid
from datetime import datetime
from decimal import Decimal

from payments.models import OrderCopy
from payments.services import order_copy_create, order_copy_status_apply
from ticketing_shared.events.consumers import event_handler
from ticketing_shared.events.envelope import Event


@event_handler("order:created")
def order_created(event: Event) -> None:
    order_copy_create(
        order_id=uuid.UUID(event.data["id"]),
        version=event.data["version"],
        status=event.data["status"],
        user_id=uuid.UUID(event.data["userId"]),
        ticket_id=uuid.UUID(event.data["ticket"]["id"]),
        price=Decimal(event.data["ticket"]["price"]),
        expires_at=datetime.fromisoformat(event.data["expiresAt"]),
    )


@event_handler("order:cancelled")
def order_cancelled(event: Event) -> None:
    order_copy_status_apply(
        order_id=uuid.UUID(event.data["id"]),
        version=event.data["version"],
        status=OrderCopy.Status.CANCELLED,
    )


@event_handler("order:completed")
def order_completed(event: Event) -> None:
    order_copy_status_apply(
        order_id=uuid.UUID(event.data["id"]),
        version=event.data["version"],
        status=OrderCopy.Status.COMPLETE,
    )
