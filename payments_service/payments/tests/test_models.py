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


def test_a_charge_is_recorded_once():
    payment = PaymentFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(charge_id=payment.charge_id)


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "refunded"},  # refunded with no time of refund
        {"status": "succeeded", "refunded_at": timezone.now()},
        {"status": "failed"},
    ],
)
def test_a_refund_is_recorded_whole(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(**fields)
    assert not Payment.objects.exists()


def test_an_order_copy_status_is_one_of_orders():
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderCopyFactory(status="paid")
