"""Writes of payments (HackSoft's services): paying for an order once, giving the money back
once when the order ends cancelled, and the copies of orders kept by orders' events
(contract §6, §7).

A payment is one payment intent per order at the processor (payments.processors.base): made
and recorded here before any card is charged, then confirmed with the buyer's card, again
with another after a decline. An intent succeeds once, so no retry, second card or crash can
charge an order twice; and since its id is recorded first, what became of it can always be
read back, so a charge whose answer was lost is found and, if the order ended, refunded.
"""

import logging
import uuid
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from psycopg2 import errorcodes

from payments.models import OrderCopy, Payment
from payments.processors import processor_get
from payments.processors.base import Charge, ChargeDeclined, ProcessorUnavailable
from ticketing_shared.errors.exceptions import (
    ApplicationError,
    Conflict,
    NotAuthorized,
    NotFound,
    UpstreamUnavailable,
)
from ticketing_shared.events.outbox import event_publish_on_commit
from ticketing_shared.events.versions import VersionGap, version_is_next
from ticketing_shared.fast_path import fast_path_task_send

logger = logging.getLogger(__name__)

ORDER_CANCELLED = "Cannot pay for a cancelled order"
ORDER_PAID = "Order has already been paid"
ORDER_EXPIRED = "Order has expired"
PAYMENT_UNDER_WAY = "A payment for this order is under way: wait for its answer"
PROCESSOR_UNAVAILABLE = (
    "The card processor did not answer. Try again: the card is never charged twice"
)
# The task that gives one payment's money back (payments.tasks).
PAYMENT_REFUND_TASK = "payments.tasks.payment_refund"


def amount_in_cents(price: Decimal) -> int:
    """A price in the currency's units ("20.00") as the integer of its minor unit (2000),
    exactly: prices have two places, and no float is involved."""
    return int((price * 100).to_integral_exact())


def payment_create(*, order_id: uuid.UUID, buyer_id: uuid.UUID, token: str) -> Payment:
    """Charges the buyer's order its price once and records the payment, announced as
    `payment:created` on commit.

    Rules go in the issue's order: existence (404), ownership (401), then the order's state
    (400 cancelled, paid, expired); then the processor (400 with its decline message, 502 when
    it does not answer). Two transactions, each under the order copy's row lock: the first
    makes and commits the order's intent (once) and this attempt's number; the second checks
    again and confirms it with the card.
    """
    payment = _payment_intent_make(order_id=order_id, buyer_id=buyer_id)
    return _payment_confirm(payment_id=payment.id, buyer_id=buyer_id, token=token)


@transaction.atomic
def _payment_intent_make(*, order_id: uuid.UUID, buyer_id: uuid.UUID) -> Payment:
    order = _order_payable_locked(order_id=order_id, buyer_id=buyer_id)
    payment = Payment.objects.filter(order=order).first()
    if payment is None:
        processor = processor_get()
        amount = amount_in_cents(order.price)
        try:
            intent_id = processor.intent_create(
                amount=amount,
                currency=settings.PAYMENTS_CURRENCY,
                order_id=order.id,
                # The order id: a request repeated after a lost answer finds the same intent.
                idempotency_key=str(order.id),
            )
        except ChargeDeclined as refused:
            raise ApplicationError(refused.message) from refused
        except ProcessorUnavailable as error:
            raise _processor_unavailable("payment intent", order.id, error) from error
        payment = Payment.objects.create(
            order=order,
            processor=processor.name,
            charge_id=intent_id,
            amount=amount,
            currency=settings.PAYMENTS_CURRENCY,
        )
    Payment.objects.filter(pk=payment.pk).update(confirmations=F("confirmations") + 1)
    payment.refresh_from_db(fields=["confirmations"])
    return payment


@transaction.atomic
def _payment_confirm(*, payment_id: uuid.UUID, buyer_id: uuid.UUID, token: str) -> Payment:
    order_id = Payment.objects.values_list("order_id", flat=True).get(pk=payment_id)
    # Checked again: the order may have ended, or another request paid it, meanwhile.
    _order_payable_locked(order_id=order_id, buyer_id=buyer_id)
    # Read under the order's lock, which every write of an open order's payment takes.
    payment = Payment.objects.get(pk=payment_id)
    try:
        charge = processor_get(payment.processor).intent_confirm(
            intent_id=payment.charge_id,
            token=token,
            # One key per attempt: a new card after a decline is a new request.
            idempotency_key=f"{payment.order_id}:confirm-{payment.confirmations}",
        )
    except ChargeDeclined as declined:
        raise ApplicationError(declined.message, field="token") from declined
    except ProcessorUnavailable as error:
        raise _processor_unavailable("confirmation", payment.order_id, error) from error
    _payment_charge_record(payment, charge)
    event_publish_on_commit(subject="payment:created", data=_payment_created_event_data(payment))
    return payment


def _order_payable_locked(*, order_id: uuid.UUID, buyer_id: uuid.UUID) -> OrderCopy:
    order = _order_copy_locked(order_id)
    if order is None:
        raise NotFound()
    if order.user_id != buyer_id:
        raise NotAuthorized()
    if order.status == OrderCopy.Status.CANCELLED:
        raise ApplicationError(ORDER_CANCELLED)
    paid = Payment.objects.filter(
        order=order, status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED]
    )
    if order.status == OrderCopy.Status.COMPLETE or paid.exists():
        raise ApplicationError(ORDER_PAID)
    if timezone.now() >= order.expires_at:
        raise ApplicationError(ORDER_EXPIRED)
    return order


def _order_copy_locked(order_id: uuid.UUID) -> OrderCopy | None:
    """The order copy, locked; a request that would wait longer than
    PAYMENTS_LOCK_TIMEOUT_SECONDS (another payment of the order talking to the processor) is
    answered 409 rather than held past the web server's timeout. The limit holds for the rest
    of the transaction (`SET LOCAL`), whose other locks are this order's payment's."""
    timeout_ms = int(settings.PAYMENTS_LOCK_TIMEOUT_SECONDS * 1000)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{timeout_ms}ms"])
    try:
        with transaction.atomic():
            return OrderCopy.objects.select_for_update().filter(pk=order_id).first()
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) == errorcodes.LOCK_NOT_AVAILABLE:
            raise Conflict(PAYMENT_UNDER_WAY) from error
        raise


def _payment_charge_record(payment: Payment, charge: Charge) -> None:
    if (charge.charge_id, charge.amount, charge.currency) != (
        payment.charge_id,
        payment.amount,
        payment.currency,
    ):
        # Never expected: the intent was made for this amount. Nothing is recorded as paid.
        logger.error(
            "payment %s: the processor charged %s, not what it was asked", payment.id, charge
        )
        raise UpstreamUnavailable(PROCESSOR_UNAVAILABLE)
    payment.status, payment.succeeded_at = Payment.Status.SUCCEEDED, timezone.now()
    payment.save(update_fields=["status", "succeeded_at"])


def _processor_unavailable(what: str, order_id: uuid.UUID, error: Exception) -> UpstreamUnavailable:
    logger.warning("%s for order %s not made: %s", what, order_id, error)
    return UpstreamUnavailable(PROCESSOR_UNAVAILABLE)


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
    """Gives the buyer's money back, once, through the processor that holds the intent: a
    succeeded payment is refunded; a pending one's intent is voided, so it can no longer be
    charged, and refunded if it had been (a charge whose answer was lost). A refunded or
    cancelled payment is left as it is, and the processor is asked with a key made of the
    payment id, so a refund repeated after a crash is made once there too. Raises
    `UpstreamUnavailable` when the processor does not answer (nothing is recorded)."""
    payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
    if payment is None:
        raise NotFound()
    _payment_refund_locked(payment)
    return payment


def payments_refund_due(*, batch_size: int = 100) -> int:
    """Beat's sweep: gives back the money of every payment whose order ended cancelled and
    that is not refunded or voided yet (the task sent on commit is only the fast path; the
    processor may be down for a while). A payment another process holds (its task, a
    redelivery of it) is skipped, not waited for. Returns how many it settled; one the
    processor fails is tried again at the next sweep."""
    due = list(
        Payment.objects.filter(
            refund_requested_at__isnull=False,
            status__in=[Payment.Status.PENDING, Payment.Status.SUCCEEDED],
        )
        .order_by("refund_requested_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    settled = 0
    for payment_id in due:
        try:
            settled += _payment_refund_if_free(payment_id=payment_id)
        except UpstreamUnavailable:
            continue
    return settled


@transaction.atomic
def _payment_refund_if_free(*, payment_id: uuid.UUID) -> bool:
    payment = (
        Payment.objects.select_for_update(skip_locked=True)
        .filter(pk=payment_id, status__in=[Payment.Status.PENDING, Payment.Status.SUCCEEDED])
        .first()
    )
    if payment is None:
        return False
    _payment_refund_locked(payment)
    return True


def _payment_refund_locked(payment: Payment) -> None:
    if payment.status in (Payment.Status.REFUNDED, Payment.Status.CANCELLED):
        return
    processor = processor_get(payment.processor)
    try:
        if payment.status == Payment.Status.PENDING:
            charge = processor.intent_void(intent_id=payment.charge_id)
            if charge is None:
                payment.status = Payment.Status.CANCELLED
                payment.save(update_fields=["status"])
                logger.info("payment %s: intent voided, nothing was charged", payment.id)
                return
            logger.warning("payment %s: a charge whose answer was lost is found", payment.id)
            _payment_charge_record(payment, charge)
        refund_id = processor.refund(
            charge_id=payment.charge_id, idempotency_key=f"refund-{payment.id}"
        )
    except ProcessorUnavailable as error:
        logger.warning("refund of payment %s not made: %s", payment.id, error)
        raise UpstreamUnavailable(PROCESSOR_UNAVAILABLE) from error
    payment.status, payment.refund_id = Payment.Status.REFUNDED, refund_id
    payment.refunded_at = timezone.now()
    payment.save(update_fields=["status", "refund_id", "refunded_at"])
    logger.info("payment %s refunded (%s)", payment.id, refund_id)


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
    ends cancelled gets its money back if it was paid (it expired while the charge was under
    way) or its intent voided if not: asked for here, with the event, and done by a task on
    commit and by beat's sweep, so that an outage of the processor delays it, never loses it."""
    copy = OrderCopy.objects.select_for_update().filter(pk=order_id).first()
    if copy is None:
        raise VersionGap(current=None, incoming=version)
    if not version_is_next(current=copy.version, incoming=version):
        return
    copy.status, copy.version = status, version
    copy.save(update_fields=["status", "version", "updated_at"])
    if status == OrderCopy.Status.CANCELLED:
        _payment_refund_on_commit(order=copy)


def _payment_refund_on_commit(*, order: OrderCopy) -> None:
    requested = Payment.objects.filter(
        order=order, status__in=[Payment.Status.PENDING, Payment.Status.SUCCEEDED]
    ).update(refund_requested_at=timezone.now())
    if not requested:
        return
    payment_id = Payment.objects.values_list("pk", flat=True).get(order=order)
    transaction.on_commit(lambda: fast_path_task_send(PAYMENT_REFUND_TASK, args=[str(payment_id)]))
