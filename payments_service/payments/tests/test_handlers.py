"""Orders' events as the bus delivers them, in this process: the shared delivery (its inbox,
its retries) around payments' handlers."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from payments import handlers
from payments.models import OrderCopy, Payment, TestPaymentIntent
from payments.services import payment_create, payments_refund_due
from ticketing_shared.testing.events import RetryRequested, event_deliver_here

pytestmark = pytest.mark.django_db

HANDLER_OF = {
    "order:created": handlers.order_created,
    "order:cancelled": handlers.order_cancelled,
    "order:completed": handlers.order_completed,
}
BUYER = uuid.UUID(int=7)


def deliver(subject: str, data: dict, *, event_id: uuid.UUID | None = None) -> str:
    return event_deliver_here(
        subject, data, handler=HANDLER_OF[subject], producer="orders", event_id=event_id
    )


def created(order_id, expires_at="2099-01-01T12:00:00.000Z") -> dict:
    return {
        "id": str(order_id),
        "version": 0,
        "status": "created",
        "userId": str(BUYER),
        "expiresAt": expires_at,
        "ticket": {"id": str(uuid.UUID(int=9)), "price": "20.05"},
    }


def changed(order_id, version) -> dict:
    return {"id": str(order_id), "version": version, "ticket": {"id": str(uuid.UUID(int=9))}}


def test_order_created_keeps_the_copy_an_order_is_paid_against():
    order_id = uuid.uuid4()

    deliver("order:created", created(order_id, "2099-01-01T12:00:00.250Z"))

    copy = OrderCopy.objects.get()
    assert (copy.id, copy.user_id, copy.status, copy.version) == (order_id, BUYER, "created", 0)
    assert copy.price == Decimal("20.05")
    assert copy.expires_at == datetime(2099, 1, 1, 12, 0, 0, 250000, tzinfo=UTC)


def test_order_completed_and_cancelled_follow_in_version_order():
    order_id = uuid.uuid4()
    deliver("order:created", created(order_id))

    with pytest.raises(RetryRequested):
        deliver("order:cancelled", changed(order_id, 2))
    deliver("order:completed", changed(order_id, 1))

    copy = OrderCopy.objects.get()
    assert (copy.status, copy.version) == ("complete", 1)


def test_a_change_before_the_creation_is_retried():
    with pytest.raises(RetryRequested):
        deliver("order:cancelled", changed(uuid.uuid4(), 1))

    assert not OrderCopy.objects.exists()


def test_a_paid_order_cancelled_asks_for_its_refund_once_whatever_the_deliveries():
    order_id = uuid.uuid4()
    deliver("order:created", created(order_id))
    payment_create(order_id=order_id, buyer_id=BUYER, token="tok_visa")
    cancellation = uuid.uuid4()

    deliver("order:cancelled", changed(order_id, 1), event_id=cancellation)
    asked_at = Payment.objects.get().refund_requested_at
    deliver("order:cancelled", changed(order_id, 1), event_id=cancellation)
    deliver("order:cancelled", changed(order_id, 1))
    payments_refund_due()

    payment = Payment.objects.get()
    assert asked_at is not None
    assert payment.refund_requested_at == asked_at
    assert payment.status == "refunded"
    assert TestPaymentIntent.objects.get().refund_id == payment.refund_id


def test_a_payment_before_expiry_is_not_refunded_by_the_completion():
    order_id = uuid.uuid4()
    soon = (datetime.now(UTC) + timedelta(minutes=1)).isoformat(timespec="milliseconds")
    deliver("order:created", created(order_id, soon.replace("+00:00", "Z")))
    payment_create(order_id=order_id, buyer_id=BUYER, token="tok_visa")

    deliver("order:completed", changed(order_id, 1))

    assert Payment.objects.get().status == "succeeded"
