import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.models import Payment
from payments.tests.factories import OrderCopyFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def test_an_order_has_at_most_one_payment():
    payment = PaymentFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(order=payment.order)


def test_an_intent_is_recorded_once():
    payment = PaymentFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(charge_id=payment.charge_id)


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "refunded"},  # refunded with no time of refund
        {"status": "succeeded", "refunded_at": timezone.now()},
        {"status": "pending", "refund_id": "re_1"},
        {"status": "succeeded", "succeeded_at": None},  # a charge with no time
        {"status": "pending"},  # pending, yet a time of charge
        {"status": "failed"},
    ],
)
def test_what_a_payment_records_fits_its_status(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(**fields)
    assert not Payment.objects.exists()


def test_each_status_holds_its_own_record():
    now = timezone.now()
    PaymentFactory(status="pending", succeeded_at=None)
    PaymentFactory(status="cancelled", succeeded_at=None)
    PaymentFactory(status="refunded", refunded_at=now, refund_id="re_1")

    assert Payment.objects.count() == 3


def test_an_order_copy_status_is_one_of_orders():
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderCopyFactory(status="paid")
