"""Writes of payments (HackSoft's services): charging an order once, refunding a charge once,
and the copies of orders kept by orders' events (contract §6, §7).

A charge holds the order copy's row lock from its checks to its record, so that of two
submissions for one order the second waits for the first and then finds it paid; the
processor is asked with an idempotency key made of the order id, so that a request repeated
after a timeout or a crash is charged once there too.
"""

import logging
import uuid
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from payments.models import OrderCopy, Payment
from payments.processors import processor_get
from payments.processors.base import ChargeDeclined, ProcessorUnavailable
from ticketing_shared.errors.exceptions import (
    ApplicationError,
    NotAuthorized,
    NotFound,
    UpstreamUnavailable,
)
from ticketing_shared.events.outbox import event_publish_on_commit
from ticketing_shared.events.versions import VersionGap, version_is_next

logger = logging.getLogger(__name__)

ORDER_CANCELLED = "Cannot pay for a cancelled order"
ORDER_PAID = "Order has already been paid"
ORDER_EXPIRED = "Order has expired"
PROCESSOR_UNAVAILABLE = (
    "The card processor did not answer. Try again: the card is never charged twice"
)


def amount_in_cents(price: Decimal) -> int:
    """A price in the currency's units ("20.00") as the integer of its minor unit (2000),
    exactly: prices have two places, and no float is involved."""
    return int((price * 100).to_integral_exact())


def payment_create(*, order_id: uuid.UUID, buyer_id: uuid.UUID, token: str) -> Payment:
    """Charges the buyer's order its price once and records the payment, announced as
    `payment:created` on commit.

    Rules go in the contract's order: existence (404), ownership (401), then the order's state
    (400 cancelled, paid, expired); then the processor (400 with its decline message, 502 when
    it does not answer). Two transactions: the first commits that a charge is begun (so that
    the order's cancellation looks for a charge a crash kept from being recorded), the second
    charges and records under the row lock, checking again.
    """
    _order_charge_begin(order_id=order_id, buyer_id=buyer_id)
    outcome = _order_charge(order_id=order_id, buyer_id=buyer_id, token=token)
    if isinstance(outcome, ChargeDeclined):
        # Raised after the commit that counted the decline: the next attempt gets a new key.
        raise ApplicationError(outcome.message, field="token")
    return outcome


@transaction.atomic
def _order_charge_begin(*, order_id: uuid.UUID, buyer_id: uuid.UUID) -> None:
    order = _order_payable_locked(order_id=order_id, buyer_id=buyer_id)
    OrderCopy.objects.filter(pk=order.pk).update(charge_begun_at=timezone.now())


@transaction.atomic
def _order_charge(
    *, order_id: uuid.UUID, buyer_id: uuid.UUID, token: str
) -> Payment | ChargeDeclined:
    order = _order_payable_locked(order_id=order_id, buyer_id=buyer_id)
    processor = processor_get()
    try:
        charge = processor.charge(
            amount=amount_in_cents(order.price),
            currency=settings.PAYMENTS_CURRENCY,
            token=token,
            order_id=order.id,
            idempotency_key=_charge_idempotency_key(order),
        )
    except ChargeDeclined as declined:
        OrderCopy.objects.filter(pk=order.pk).update(declined_charges=F("declined_charges") + 1)
        return declined
    except ProcessorUnavailable as error:
        logger.warning("charge for order %s not made: %s", order.id, error)
        raise UpstreamUnavailable(PROCESSOR_UNAVAILABLE) from error
    payment = Payment.objects.create(
        order=order,
        processor=processor.name,
        charge_id=charge.charge_id,
        amount=charge.amount,
        currency=charge.currency.upper(),
    )
    event_publish_on_commit(subject="payment:created", data=_payment_created_event_data(payment))
    return payment


def _order_payable_locked(*, order_id: uuid.UUID, buyer_id: uuid.UUID) -> OrderCopy:
    order = OrderCopy.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound()
    if order.user_id != buyer_id:
        raise NotAuthorized()
    if order.status == OrderCopy.Status.CANCELLED:
        raise ApplicationError(ORDER_CANCELLED)
    if order.status == OrderCopy.Status.COMPLETE or Payment.objects.filter(order=order).exists():
        raise ApplicationError(ORDER_PAID)
    if timezone.now() >= order.expires_at:
        raise ApplicationError(ORDER_EXPIRED)
    return order


def _charge_idempotency_key(order: OrderCopy) -> str:
    """The order id; after a decline, the order id and the attempt (the processor refuses a
    key used again with another card)."""
    if order.declined_charges == 0:
        return str(order.id)
    return f"{order.id}:attempt-{order.declined_charges + 1}"


def _payment_created_event_data(payment: Payment) -> dict:
    return {
        "id": str(payment.id),
        "orderId": str(payment.order_id),
        "stripeId": payment.charge_id,
        "amount": payment.amount,
        "currency": payment.currency,
    }


@transaction.atomic
def payment_refund(*, payment_id: uuid.UUID) -> Payment:
    """Refunds the payment's whole charge through the processor that made it, once: a refunded
    payment is left as it is, and the processor is asked with a key made of the payment id,
    so a refund repeated after a crash is made once there too. Raises `UpstreamUnavailable`
    when the processor does not answer (nothing is recorded; try again)."""
    payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
    if payment is None:
        raise NotFound()
    if payment.status == Payment.Status.REFUNDED:
        return payment
    try:
        refund_id = processor_get(payment.processor).refund(
            charge_id=payment.charge_id, idempotency_key=f"refund-{payment.id}"
        )
    except ProcessorUnavailable as error:
        logger.warning("refund of payment %s not made: %s", payment.id, error)
        raise UpstreamUnavailable(PROCESSOR_UNAVAILABLE) from error
    payment.status, payment.refund_id = Payment.Status.REFUNDED, refund_id
    payment.refunded_at = timezone.now()
    payment.save(update_fields=["status", "refund_id", "refunded_at"])
    logger.info("payment %s refunded (%s)", payment.id, refund_id)
    return payment


@transaction.atomic
def order_copy_create(
    *,
    order_id: uuid.UUID,
    version: int,
    status: str,
    user_id: uuid.UUID,
    ticket_id: uuid.UUID,
    price: Decimal,
    expires_at: datetime,
) -> None:
    """`order:created`: the copy an order is paid against (a redelivery changes nothing)."""
    copy = OrderCopy.objects.select_for_update().filter(pk=order_id).first()
    if not version_is_next(current=copy.version if copy else None, incoming=version):
        return
    OrderCopy.objects.create(
        id=order_id,
        version=version,
        status=status,
        user_id=user_id,
        ticket_id=ticket_id,
        price=price,
        expires_at=expires_at,
    )


@transaction.atomic
def order_copy_status_apply(*, order_id: uuid.UUID, version: int, status: str) -> None:
    """`order:cancelled` and `order:completed`, in the order's version order. An order that
    ends cancelled is refunded if it was paid (it expired while the charge was under way): in
    this transaction, so that the event is applied only with its refund, and retried, refund
    included, if the process dies in between."""
    copy = OrderCopy.objects.select_for_update().filter(pk=order_id).first()
    if copy is None:
        raise VersionGap(current=None, incoming=version)
    if not version_is_next(current=copy.version, incoming=version):
        return
    copy.status, copy.version = status, version
    copy.save(update_fields=["status", "version", "updated_at"])
    if status == OrderCopy.Status.CANCELLED:
        _order_cancelled_refund(copy)


def _order_cancelled_refund(order: OrderCopy) -> None:
    payment = Payment.objects.filter(order=order).first()
    if payment is None and order.charge_begun_at is not None:
        payment = _payment_unrecorded_find(order)
    if payment is not None:
        payment_refund(payment_id=payment.id)


def _payment_unrecorded_find(order: OrderCopy) -> Payment | None:
    """A charge the processor made for the order that a crash kept from being recorded here:
    recorded now, so that it is refunded as any other."""
    processor = processor_get()
    try:
        charge = processor.charge_find(order_id=order.id)
    except ProcessorUnavailable as error:
        raise UpstreamUnavailable(PROCESSOR_UNAVAILABLE) from error
    if charge is None:
        return None
    logger.warning("order %s: charge %s was never recorded; recorded now", order.id, charge)
    return Payment.objects.create(
        order=order,
        processor=processor.name,
        charge_id=charge.charge_id,
        amount=charge.amount,
        currency=charge.currency.upper(),
    )
