import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from payments.models import OrderCopy, Payment, TestPaymentIntent
from payments.processors.base import ChargeDeclined
from payments.processors.builtin import BuiltinTestProcessor
from payments.services import (
    amount_in_cents,
    order_copy_create,
    order_copy_status_apply,
    payment_create,
    payment_refund,
    payments_refund_due,
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
    intent = TestPaymentIntent.objects.get()
    assert intent.cards_tried == ["tok_visa"]
    assert Payment.objects.get().status == "succeeded"
    assert len(events_published("payment:created")) == 1


def charge_answer_lost(order: OrderCopy, token: str = "tok_visa") -> Payment:  # noqa: S107
    """A payment whose confirmation the processor carried out but whose answer never came
    back (a timeout, a crash): its intent is recorded here as pending, charged there."""
    with pytest.raises(ApplicationError):
        payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_chargeDeclined")
    payment = Payment.objects.get(order=order)
    BuiltinTestProcessor().intent_confirm(
        intent_id=payment.charge_id, token=token, idempotency_key="lost"
    )
    return payment


@pytest.mark.django_db
class TestPaymentCreate:
    def test_another_buyer_is_refused_before_the_order_state(self):
        order = OrderCopyFactory(status="cancelled")

        with pytest.raises(NotAuthorized):
            payment_create(order_id=order.id, buyer_id=uuid.uuid4(), token="tok_visa")

    def test_the_intent_is_recorded_before_any_card_is_tried(self):
        order = OrderCopyFactory()

        with pytest.raises(ApplicationError, match="declined"):
            payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_chargeDeclined")

        payment = Payment.objects.get()
        assert (payment.status, payment.amount, payment.confirmations) == ("pending", 2000, 1)
        assert TestPaymentIntent.objects.get().intent_id == payment.charge_id

    def test_an_order_expiring_is_payable_until_its_expiry(self):
        order = OrderCopyFactory(expires_at=timezone.now() + timedelta(seconds=30))

        payment = payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_visa")

        assert payment.amount == 2000

    def test_a_charge_whose_answer_was_lost_is_recorded_by_the_next_attempt(self):
        order = OrderCopyFactory()
        payment = charge_answer_lost(order, token="tok_visa")

        paid = payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_amex")

        assert (paid.id, paid.status) == (payment.id, "succeeded")
        assert TestPaymentIntent.objects.get().cards_tried == ["tok_visa"]

    def test_a_charge_that_is_not_what_was_asked_is_not_recorded(self):
        order = OrderCopyFactory()
        with pytest.raises(ApplicationError):
            payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_chargeDeclined")
        TestPaymentIntent.objects.update(amount=1)

        with pytest.raises(ApplicationError, match="did not answer"):
            payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_visa")

        assert Payment.objects.get().status == "pending"
        assert events_published("payment:created") == []


@pytest.mark.django_db
class TestPaymentRefund:
    def paid(self) -> Payment:
        order = OrderCopyFactory()
        return payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_visa")

    def test_refunds_through_the_processor_once(self):
        payment = self.paid()

        first = payment_refund(payment_id=payment.id)
        second = payment_refund(payment_id=payment.id)

        assert second.refunded_at == first.refunded_at
        intent = TestPaymentIntent.objects.get()
        assert first.status == second.status == "refunded"
        assert intent.refund_id == first.refund_id == second.refund_id != ""

    def test_a_refund_repeated_at_the_processor_is_made_once(self):
        """A worker that dies after the processor refunded and before the record committed
        asks again: the processor answers with the same refund."""
        payment = self.paid()

        first = BuiltinTestProcessor().refund(
            charge_id=payment.charge_id, idempotency_key=f"refund-{payment.id}"
        )
        refunded = payment_refund(payment_id=payment.id)

        assert refunded.refund_id == first

    def test_a_pending_payment_never_charged_is_voided(self):
        order = OrderCopyFactory()
        with pytest.raises(ApplicationError):
            payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_chargeDeclined")

        payment = payment_refund(payment_id=Payment.objects.get().id)

        assert payment.status == "cancelled"
        assert TestPaymentIntent.objects.get().status == "canceled"
        # Voided: the order can no longer be charged through it.
        with pytest.raises(ChargeDeclined, match="cancelled"):
            BuiltinTestProcessor().intent_confirm(
                intent_id=payment.charge_id, token="tok_visa", idempotency_key="late"
            )

    def test_a_pending_payment_whose_charge_was_lost_is_refunded(self):
        payment = charge_answer_lost(OrderCopyFactory())

        refunded = payment_refund(payment_id=payment.id)

        assert refunded.status == "refunded"
        assert refunded.succeeded_at is not None
        assert TestPaymentIntent.objects.get().refund_id == refunded.refund_id


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

    def test_a_cancellation_asks_for_the_money_back_and_the_sweep_gives_it(self):
        order = OrderCopyFactory()
        payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_visa")

        order_copy_status_apply(order_id=order.id, version=1, status="cancelled")
        asked = Payment.objects.get()
        settled = payments_refund_due()
        again = payments_refund_due()

        assert asked.refund_requested_at is not None
        assert (settled, again) == (1, 0)
        payment = Payment.objects.get()
        assert payment.status == "refunded"
        assert TestPaymentIntent.objects.get().refund_id == payment.refund_id

    def test_a_cancellation_voids_an_intent_never_charged(self):
        order = OrderCopyFactory()
        with pytest.raises(ApplicationError):
            payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_chargeDeclined")

        order_copy_status_apply(order_id=order.id, version=1, status="cancelled")
        payments_refund_due()

        assert Payment.objects.get().status == "cancelled"

    def test_a_completed_order_keeps_its_payment(self):
        order = OrderCopyFactory()
        payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_visa")

        order_copy_status_apply(order_id=order.id, version=1, status="complete")

        assert payments_refund_due() == 0
        payment = Payment.objects.get()
        assert (payment.status, payment.refund_requested_at) == ("succeeded", None)
