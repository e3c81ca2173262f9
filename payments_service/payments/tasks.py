import uuid

from celery import shared_task

from payments.services import PAYMENT_REFUND_TASK, payments_refund_due
from payments.services import payment_refund as payment_refund_service
from ticketing_shared.errors.exceptions import UpstreamUnavailable


@shared_task(ignore_result=True)
def payments_refund_due_sweep() -> int:
    """Beat's sweep: the money of every order that ended cancelled goes back (services)."""
    return payments_refund_due()


@shared_task(name=PAYMENT_REFUND_TASK, ignore_result=True)
def payment_refund(payment_id: str) -> None:
    """The fast path, sent when an order that has a payment ends cancelled; if the processor
    does not answer, beat's sweep tries again."""
    try:
        payment_refund_service(payment_id=uuid.UUID(payment_id))
    except UpstreamUnavailable:
        return
