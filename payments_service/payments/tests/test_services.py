import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from payments.models import OrderCopy, Payment, TestCharge
from payments.processors.builtin import BuiltinTestProcessor
from payments.services import (
    amount_in_cents,
    order_copy_create,
    order_copy_status_apply,
    payment_create,
    payment_refund,
)
from payments.tests.factories import OrderCopyFactory
from ticketing_shared.errors.exceptions import ApplicationError, NotAuthorized
from ticketing_shared.events.versions import VersionGap
from ticketing_shared.testing.api import events_published
from ticketing_shared.testing.concurrency import concurrently
from ticketing_shared.testing.tokens import access_token_mint

SUBMISSIONS = 20


@pytest.mark.parametrize(
    ("price", "cents"),
    [("0.01", 1), ("19.99", 1999), ("0.29", 29), ("1000000.00", 100000000), ("4.35", 435)],
)
def test_amount_in_cents_is_exact(price, cents):
    # 4.35 and 0.29 are the prices a float multiplication gets wrong (434.99999, 28.999999).
    assert amount_in_cents(Decimal(price)) == cents


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submissions_charge_once(settings):
    order = OrderCopyFactory()
    client_token = access_token_mint(user_id=order.user_id, email="buyer@example.com")

    def submit(n: int) -> int:
        client = APIClient()
        client.cookies[settings.ACCESS_COOKIE_NAME] = client_token
        body = {"orderId": str(order.id), "token": "tok_visa"}
        return client.post("/api/payments", body, format="json").status_code

    statuses = concurrently(SUBMISSIONS, submit, timeout=120)

    assert sorted(statuses) == [201] + [400] * (SUBMISSIONS - 1)
    assert TestCharge.objects.count() == 1
    assert Payment.objects.count() == 1
    assert len(events_published("payment:created")) == 1


@pytest.mark.django_db
class TestPaymentCreate:
    def test_another_buyer_is_refused_before_the_order_state(self):
        order = OrderCopyFactory(status="cancelled")

        with pytest.raises(NotAuthorized):
            payment_create(order_id=order.id, buyer_id=uuid.uuid4(), token="tok_visa")

    def test_a_charge_begun_is_recorded_before_the_processor_is_asked(self):
        order = OrderCopyFactory()

        with pytest.raises(ApplicationError, match="declined"):
            payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_chargeDeclined")

        order.refresh_from_db()
        assert order.charge_begun_at is not None
        assert order.declined_charges == 1

    def test_an_order_expiring_is_payable_until_its_expiry(self):
        order = OrderCopyFactory(expires_at=timezone.now() + timedelta(seconds=30))

        payment = payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_visa")

        assert payment.amount == 2000


@pytest.mark.django_db
class TestPaymentRefund:
    def paid_order(self):
        order = OrderCopyFactory()
        payment = payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_visa")
        return order, payment

    def test_refunds_through_the_processor_once(self):
        _, payment = self.paid_order()

        first = payment_refund(payment_id=payment.id)
        second = payment_refund(payment_id=payment.id)

        assert second.refunded_at == first.refunded_at
        charge = TestCharge.objects.get()
        assert first.status == second.status == "refunded"
        assert charge.refund_id == first.refund_id == second.refund_id != ""
        assert Payment.objects.get().refunded_at is not None

    def test_a_refund_repeated_at_the_processor_is_made_once(self):
        """A worker that dies after the processor refunded and before the record committed
        asks again: the processor answers with the same refund."""
        _, payment = self.paid_order()
        processor = BuiltinTestProcessor()

        first = processor.refund(
            charge_id=payment.charge_id, idempotency_key=f"refund-{payment.id}"
        )
        refunded = payment_refund(payment_id=payment.id)

        assert refunded.refund_id == first


@pytest.mark.django_db
class TestOrderCopies:
    def create(self, order_id, **overrides):
        fields = {
            "order_id": order_id,
            "version": 0,
            "status": "created",
            "user_id": uuid.uuid4(),
            "ticket_id": uuid.uuid4(),
            "price": Decimal("12.50"),
            "expires_at": timezone.now() + timedelta(minutes=15),
        } | overrides
        order_copy_create(**fields)

    def test_created_stores_the_copy_once(self):
        order_id = uuid.uuid4()

        self.create(order_id)
        self.create(order_id)

        copy = OrderCopy.objects.get()
        assert (copy.id, copy.version, copy.status, copy.price) == (
            order_id,
            0,
            "created",
            Decimal("12.50"),
        )

    def test_a_change_before_the_creation_waits(self):
        with pytest.raises(VersionGap):
            order_copy_status_apply(order_id=uuid.uuid4(), version=1, status="cancelled")

    def test_a_skipped_version_is_not_applied_until_the_gap_is_filled(self):
        order = OrderCopyFactory()

        with pytest.raises(VersionGap):
            order_copy_status_apply(order_id=order.id, version=2, status="cancelled")
        order_copy_status_apply(order_id=order.id, version=1, status="complete")
        order_copy_status_apply(order_id=order.id, version=2, status="cancelled")

        order.refresh_from_db()
        assert (order.version, order.status) == (2, "cancelled")

    def test_an_old_version_is_ignored(self):
        order = OrderCopyFactory(version=2, status="cancelled")

        order_copy_status_apply(order_id=order.id, version=1, status="complete")

        order.refresh_from_db()
        assert (order.version, order.status) == (2, "cancelled")

    def test_a_paid_order_cancelled_late_is_refunded_once(self):
        order = OrderCopyFactory()
        payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_visa")

        order_copy_status_apply(order_id=order.id, version=1, status="cancelled")
        order_copy_status_apply(order_id=order.id, version=1, status="cancelled")

        payment = Payment.objects.get()
        assert payment.status == "refunded"
        assert TestCharge.objects.get().refund_id == payment.refund_id

    def test_a_completed_order_is_not_refunded(self):
        order = OrderCopyFactory()
        payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_visa")

        order_copy_status_apply(order_id=order.id, version=1, status="complete")

        assert Payment.objects.get().status == "succeeded"

    def test_a_charge_a_crash_kept_from_being_recorded_is_found_and_refunded(self):
        order = OrderCopyFactory(charge_begun_at=timezone.now())
        # The processor charged; the process died before the payment was recorded.
        charge = BuiltinTestProcessor().charge(
            amount=2000,
            currency="USD",
            token="tok_visa",
            order_id=order.id,
            idempotency_key=str(order.id),
        )

        order_copy_status_apply(order_id=order.id, version=1, status="cancelled")

        payment = Payment.objects.get()
        assert (payment.charge_id, payment.status) == (charge.charge_id, "refunded")
        assert TestCharge.objects.get().refund_id == payment.refund_id

    def test_an_order_never_charged_asks_no_processor_when_cancelled(self):
        order = OrderCopyFactory()
        # A charge at the processor that no attempt of this order begun here made.
        BuiltinTestProcessor().charge(
            amount=2000, currency="USD", token="tok_visa", order_id=order.id, idempotency_key="x"
        )

        order_copy_status_apply(order_id=order.id, version=1, status="cancelled")

        assert not Payment.objects.exists()
