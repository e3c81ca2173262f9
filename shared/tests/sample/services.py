import uuid
from datetime import UTC, datetime, timedelta

from django.db import transaction

from ticketing_shared.events.outbox import event_publish_on_commit


@transaction.atomic
def sample_order_create(*, ticket_id: uuid.UUID, price: str, user_id: uuid.UUID) -> uuid.UUID:
    """Stands in for the orders service: a change, announced on commit."""
    order_id = uuid.uuid4()
    event_publish_on_commit(
        subject="order:created",
        data={
            "id": str(order_id),
            "version": 0,
            "status": "created",
            "userId": str(user_id),
            "expiresAt": (datetime.now(UTC) + timedelta(minutes=15)).isoformat(),
            "ticket": {"id": str(ticket_id), "price": price},
        },
    )
    return order_id
