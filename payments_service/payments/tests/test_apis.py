import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from payments.models import OrderCopy, Payment, TestPaymentIntent
from payments.services import order_copy_status_apply, payments_refund_due
from payments.tests.factories import OrderCopyFactory, PaymentFactory
from payments.tests.stripe_server import NETWORK_RETRIES
from ticketing_shared.testing.api import error_messages, events_published

pytestmark = pytest.mark.django_db

# A request to Stripe and the SDK's retries of it.
STRIPE_ATTEMPTS = 1 + NETWORK_RETRIES


def pay(client, order_id, token="tok_visa"):  # noqa: S107 (a test card, no secret)
    return client.post("/api/payments", {"orderId": str(order_id), "token": token}, format="json")


@pytest.fixture
def my_order(signed_in_client):
    return OrderCopyFactory(user_id=signed_in_client.user.id, price=Decimal("19.99"))


class TestCreate:
    def test_signed_out_is_401(self, api_client):
        order = OrderCopyFactory()

        assert pay(api_client, order.id).status_code == 401
        assert not Payment.objects.exists()

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"token": "tok_visa"}, "orderId"),
            ({"orderId": "", "token": "tok_visa"}, "orderId"),
            ({"orderId": 5, "token": "tok_visa"}, "orderId"),
            ({"orderId": str(uuid.uuid4())}, "token"),
            ({"orderId": str(uuid.uuid4()), "token": ""}, "token"),
            ({"orderId": str(uuid.uuid4()), "token": None}, "token"),
            ({"orderId": str(uuid.uuid4()), "token": ["tok_visa"]}, "token"),
            ({"orderId": str(uuid.uuid4()), "token": "t" * 256}, "token"),
            ({"orderId": str(uuid.uuid4()), "token": "tok_visa\x00"}, "token"),
        ],
    )
    def test_a_missing_or_invalid_field_is_invalid_value(self, signed_in_client, body, field):
        response = signed_in_client.post("/api/payments", body, format="json")

        assert response.status_code == 400
        assert error_messages(response) == [("Invalid value", field)]

    def test_a_token_with_a_lone_surrogate_is_invalid_value(self, signed_in_client):
        # A JSON escape: the text itself holds no surrogate, the string it decodes to does.
        body = '{"orderId": "' + str(uuid.uuid4()) + '", "token": "tok_\\ud800"}'

        response = signed_in_client.post("/api/payments", body, content_type="application/json")

        assert response.status_code == 400
        assert error_messages(response) == [("Invalid value", "token")]

    @pytest.mark.parametrize(
        "order_id", [uuid.uuid4(), "not-a-uuid", "{" + str(uuid.uuid4()) + "}"]
    )
    def test_an_unknown_or_malformed_order_is_404(self, signed_in_client, order_id):
        response = pay(signed_in_client, order_id)

        assert response.status_code == 404
        assert error_messages(response) == [("Not Found", None)]

    def test_another_users_order_is_401_and_charges_nothing(self, signed_in_client):
        order = OrderCopyFactory()

        response = pay(signed_in_client, order.id)

        assert response.status_code == 401
        assert not TestPaymentIntent.objects.exists()
        assert not Payment.objects.exists()

    def test_a_cancelled_order_is_400(self, signed_in_client, my_order):
        OrderCopy.objects.filter(pk=my_order.pk).update(status="cancelled")

        response = pay(signed_in_client, my_order.id)

        assert response.status_code == 400
        assert error_messages(response) == [("Cannot pay for a cancelled order", None)]
        assert not TestPaymentIntent.objects.exists()

    def test_a_complete_order_is_already_paid(self, signed_in_client, my_order):
        OrderCopy.objects.filter(pk=my_order.pk).update(status="complete")

        response = pay(signed_in_client, my_order.id)

        assert response.status_code == 400
        assert error_messages(response) == [("Order has already been paid", None)]

    def test_an_order_paid_a_second_time_is_400_and_charged_once(self, signed_in_client, my_order):
        assert pay(signed_in_client, my_order.id).status_code == 201

        response = pay(signed_in_client, my_order.id, token="pm_card_visa")

        assert response.status_code == 400
        assert error_messages(response) == [("Order has already been paid", None)]
        assert TestPaymentIntent.objects.count() == 1
        assert len(events_published("payment:created")) == 1

    def test_an_expired_order_is_400(self, signed_in_client, my_order):
        OrderCopy.objects.filter(pk=my_order.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )

        response = pay(signed_in_client, my_order.id)

        assert response.status_code == 400
        assert error_messages(response) == [("Order has expired", None)]
        assert not TestPaymentIntent.objects.exists()

    @pytest.mark.parametrize("token", ["tok_visa", "pm_card_visa"])
    def test_charges_the_price_in_cents_and_publishes_payment_created(
        self, signed_in_client, my_order, settings, token
    ):
        settings.PAYMENTS_CURRENCY = "EUR"

        response = pay(signed_in_client, my_order.id, token=token)

        assert response.status_code == 201
        payment = Payment.objects.get()
        assert response.json() == {
            "id": str(payment.id),
            "orderId": str(my_order.id),
            "amount": 1999,
            "currency": "EUR",
        }
        intent = TestPaymentIntent.objects.get()
        assert (intent.amount, intent.currency, intent.order_id) == (1999, "EUR", my_order.id)
        assert (intent.status, intent.cards_tried) == ("succeeded", [token])
        assert intent.idempotency_key == str(my_order.id)
        assert (payment.charge_id, payment.processor, payment.status) == (
            intent.intent_id,
            "test",
            "succeeded",
        )
        assert events_published("payment:created") == [
            {
                "id": str(payment.id),
                "orderId": str(my_order.id),
                "stripeId": intent.intent_id,
                "amount": 1999,
                "currency": "EUR",
            }
        ]

    @pytest.mark.parametrize(
        ("token", "message"),
        [
            ("tok_chargeDeclined", "Your card was declined."),
            ("pm_card_chargeDeclined", "Your card was declined."),
            ("pm_card_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."),
            ("tok_nonsense", "No such token: 'tok_nonsense'"),
        ],
    )
    def test_a_declined_card_is_400_with_the_processors_message(
        self, signed_in_client, my_order, token, message
    ):
        response = pay(signed_in_client, my_order.id, token=token)

        assert response.status_code == 400
        assert error_messages(response) == [(message, "token")]
        # The order's intent stays, to be confirmed with another card.
        assert Payment.objects.get().status == "pending"
        assert events_published("payment:created") == []

    def test_after_a_decline_another_card_is_charged_on_the_same_intent(
        self, signed_in_client, my_order
    ):
        assert pay(signed_in_client, my_order.id, token="tok_chargeDeclined").status_code == 400

        response = pay(signed_in_client, my_order.id, token="tok_visa")

        assert response.status_code == 201
        intent = TestPaymentIntent.objects.get()
        assert (intent.status, intent.cards_tried) == ("succeeded", ["tok_visa"])
        assert Payment.objects.get().confirmations == 2

    def test_a_payment_whose_answer_was_lost_is_not_charged_again_with_another_card(
        self, signed_in_client, my_order
    ):
        assert pay(signed_in_client, my_order.id, token="tok_chargeDeclined").status_code == 400
        # The processor charged the next card; its answer never came back.
        intent = TestPaymentIntent.objects.get()
        intent.status, intent.cards_tried = "succeeded", ["tok_visa"]
        intent.save()

        response = pay(signed_in_client, my_order.id, token="tok_mastercard")

        assert response.status_code == 201
        assert response.json()["amount"] == 1999
        intent.refresh_from_db()
        assert intent.cards_tried == ["tok_visa"]
        assert len(events_published("payment:created")) == 1

    @pytest.mark.django_db(transaction=True)
    def test_a_payment_waiting_for_another_of_the_same_order_is_409(
        self, signed_in_client, my_order, settings
    ):
        settings.PAYMENTS_LOCK_TIMEOUT_SECONDS = 0.2
        held, release = threading.Event(), threading.Event()

        def pay_slowly():
            with transaction.atomic():
                OrderCopy.objects.select_for_update().get(pk=my_order.pk)
                held.set()
                release.wait(timeout=30)
            connection.close()

        other = threading.Thread(target=pay_slowly)
        other.start()
        try:
            assert held.wait(timeout=30)
            response = pay(signed_in_client, my_order.id)
        finally:
            release.set()
            other.join(timeout=30)

        assert response.status_code == 409
        assert error_messages(response) == [
            ("A payment for this order is under way: wait for its answer", None)
        ]
        assert pay(signed_in_client, my_order.id).status_code == 201

    def test_a_refunded_payment_order_stays_unpayable(self, signed_in_client, my_order):
        PaymentFactory(order=my_order, status="refunded", refunded_at=timezone.now())
        OrderCopy.objects.filter(pk=my_order.pk).update(status="cancelled")

        response = pay(signed_in_client, my_order.id)

        assert response.status_code == 400
        assert error_messages(response) == [("Cannot pay for a cancelled order", None)]


class TestCreateThroughStripe:
    """The same API with PAYMENTS_PROCESSOR=stripe: the real SDK against a Stripe-compatible
    server on loopback (payments.tests.stripe_server), which checks every request it sends."""

    def test_charges_the_price_in_cents_with_the_order_id_as_key(
        self, stripe_server, signed_in_client, my_order
    ):
        response = pay(signed_in_client, my_order.id, token="pm_card_visa")

        assert response.status_code == 201
        (intent,) = stripe_server.payment_intents_for(my_order.id)
        assert (intent["amount"], intent["currency"]) == (1999, "usd")
        assert intent["status"] == "succeeded"
        (created,) = stripe_server.requests_to("POST", "/v1/payment_intents")
        assert created.headers["idempotency-key"] == str(my_order.id)
        (confirmed,) = stripe_server.requests_to(
            "POST", f"/v1/payment_intents/{intent['id']}/confirm"
        )
        assert confirmed.headers["idempotency-key"] == f"{my_order.id}:confirm-1"
        payment = Payment.objects.get()
        assert (payment.processor, payment.charge_id) == ("stripe", intent["id"])
        assert payment.amount == 1999
        assert events_published("payment:created")[0]["stripeId"] == intent["id"]

    def test_a_price_below_stripes_least_charge_is_400_with_its_message(
        self, stripe_server, signed_in_client
    ):
        order = OrderCopyFactory(user_id=signed_in_client.user.id, price=Decimal("0.49"))

        response = pay(signed_in_client, order.id)

        assert response.status_code == 400
        assert error_messages(response) == [("Amount must be at least $0.50 usd", None)]
        assert not Payment.objects.exists()

    def test_a_declined_card_is_400_with_stripes_message(
        self, stripe_server, signed_in_client, my_order
    ):
        response = pay(signed_in_client, my_order.id, token="tok_chargeDeclined")

        assert response.status_code == 400
        assert error_messages(response) == [("Your card was declined.", "token")]
        assert Payment.objects.get().status == "pending"

    def test_stripe_failing_is_502_and_a_retry_charges_once(
        self, stripe_server, signed_in_client, my_order
    ):
        stripe_server.fail_next(STRIPE_ATTEMPTS, status=500)

        failed = pay(signed_in_client, my_order.id)
        retried = pay(signed_in_client, my_order.id)

        assert failed.status_code == 502
        assert error_messages(failed) == [
            ("The card processor did not answer. Try again: the card is never charged twice", None)
        ]
        assert retried.status_code == 201
        assert len(stripe_server.payment_intents_for(my_order.id)) == 1

    def test_an_answer_lost_on_the_way_is_502_and_another_card_is_not_charged(
        self, stripe_server, signed_in_client, my_order
    ):
        assert pay(signed_in_client, my_order.id, token="tok_chargeDeclined").status_code == 400
        # Stripe charges the next card, but its answers come later than the SDK waits.
        stripe_server.hang_next(STRIPE_ATTEMPTS, seconds=2)

        lost = pay(signed_in_client, my_order.id, token="pm_card_visa")
        retried = pay(signed_in_client, my_order.id, token="pm_card_mastercard")

        assert lost.status_code == 502
        assert retried.status_code == 201
        assert stripe_server.succeeded_count(my_order.id) == 1
        assert stripe_server.cards_charged(my_order.id) == ["pm_card_visa"]
        (intent,) = stripe_server.payment_intents_for(my_order.id)
        assert Payment.objects.get().charge_id == intent["id"]

    def test_a_cancelled_order_paid_through_stripe_is_refunded_by_the_sweep(
        self, stripe_server, signed_in_client, my_order
    ):
        assert pay(signed_in_client, my_order.id).status_code == 201
        order_copy_status_apply(order_id=my_order.id, version=1, status="cancelled")
        # Down for the whole of one sweep's request, the SDK's retries included.
        stripe_server.fail_next(STRIPE_ATTEMPTS, status=500)

        while_down = payments_refund_due()
        when_back = payments_refund_due()

        assert (while_down, when_back) == (0, 1)
        payment = Payment.objects.get()
        assert payment.status == "refunded"
        assert len(stripe_server.refunds) == 1
