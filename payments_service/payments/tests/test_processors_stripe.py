"""The Stripe processor through the real `stripe` SDK, against the Stripe-compatible server of
payments.tests.stripe_server on loopback (which also checks every request the SDK sends)."""

import logging
import socket
import time
import uuid

import pytest
import stripe

from payments.processors import processor_get
from payments.processors.base import Charge, ChargeDeclined, ProcessorUnavailable
from payments.processors.stripe import AUTHENTICATION_NOT_SUPPORTED, StripeProcessor
from payments.tests.stripe_server import NETWORK_RETRIES, TIMEOUT_SECONDS

ATTEMPTS = 1 + NETWORK_RETRIES


def charge(card="pm_card_visa", *, amount=2050, currency="USD", order_id=None, key=None):
    order_id = order_id or uuid.uuid4()
    return StripeProcessor().charge(
        amount=amount,
        currency=currency,
        token=card,
        order_id=order_id,
        idempotency_key=key or f"charge-{order_id}",
    )


def test_settings_choose_stripe(stripe_server):
    assert isinstance(processor_get(), StripeProcessor)
    assert processor_get().name == "stripe"


def test_charge_creates_and_confirms_a_payment_intent(stripe_server):
    order_id = uuid.uuid4()

    result = charge("pm_card_visa", amount=2050, order_id=order_id, key="order-key-1")

    [request] = stripe_server.requests
    assert (request.method, request.path, request.status) == ("POST", "/v1/payment_intents", 200)
    assert request.params == {
        "amount": "2050",
        "currency": "usd",
        "confirm": "true",
        "payment_method": "pm_card_visa",
        "payment_method_types": ["card"],
        "error_on_requires_action": "true",
        "metadata": {"orderId": str(order_id)},
    }
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["idempotency-key"] == "order-key-1"
    assert request.headers["stripe-version"] == stripe.api_version == "2025-10-29.clover"
    assert request.headers["authorization"] == f"Bearer {stripe_server.secret_key}"
    [intent] = stripe_server.payment_intents_for(order_id)
    assert intent["status"] == "succeeded"
    assert result == Charge(charge_id=intent["id"], amount=2050, currency="USD")
    assert result.charge_id.startswith("pi_")


def test_settings_are_read_at_each_call(stripe_server, settings):
    """The selector caches the processor: a changed key or base reaches the next call."""
    processor = processor_get()
    order_id = uuid.uuid4()
    arguments = {"amount": 100, "currency": "USD", "token": "pm_card_visa", "order_id": order_id}
    processor.charge(**arguments, idempotency_key="first")
    settings.STRIPE_SECRET_KEY = "sk_test_rotated"

    with pytest.raises(ProcessorUnavailable):
        processor.charge(**arguments, idempotency_key="second")

    assert processor_get() is processor
    assert [r.headers["authorization"] for r in stripe_server.requests] == [
        f"Bearer {stripe_server.secret_key}",
        "Bearer sk_test_rotated",
    ]


def test_legacy_token_becomes_payment_method_data(stripe_server):
    result = charge("tok_visa", amount=999, currency="EUR")

    [request] = stripe_server.requests
    assert request.params["payment_method_data"] == {"type": "card", "card": {"token": "tok_visa"}}
    assert "payment_method" not in request.params
    assert request.params["currency"] == "eur"
    assert (result.amount, result.currency) == (999, "EUR")


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("pm_card_chargeDeclined", "Your card was declined."),
        ("tok_chargeDeclined", "Your card was declined."),
        ("pm_card_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."),
        ("tok_chargeDeclinedExpiredCard", "Your card has expired."),
    ],
)
def test_declined_card_gives_stripes_message(stripe_server, token, message):
    order_id = uuid.uuid4()
    with pytest.raises(ChargeDeclined) as declined:
        charge(token, order_id=order_id)

    assert declined.value.message == message
    assert [r.status for r in stripe_server.requests] == [402]
    [intent] = stripe_server.payment_intents_for(order_id)
    assert intent["status"] == "requires_payment_method"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("pm_card_nosuch", "No such PaymentMethod: 'pm_card_nosuch'"),
        ("tok_nosuch", "No such token: 'tok_nosuch'"),
    ],
)
def test_unknown_token_is_declined_with_stripes_message(stripe_server, token, message):
    with pytest.raises(ChargeDeclined) as declined:
        charge(token)
    assert declined.value.message == message
    assert stripe_server.payment_intents == {}


def test_card_asking_for_authentication_is_declined(stripe_server):
    with pytest.raises(ChargeDeclined) as declined:
        charge("pm_card_authenticationRequired")
    assert declined.value.message == (
        "Your card was declined. This transaction requires authentication."
    )


def test_payment_intent_left_requiring_action_is_declined(stripe_server):
    stripe_server.ignore_error_on_requires_action = True
    order_id = uuid.uuid4()
    with pytest.raises(ChargeDeclined) as declined:
        charge("pm_card_authenticationRequired", order_id=order_id)
    assert declined.value.message == AUTHENTICATION_NOT_SUPPORTED
    [intent] = stripe_server.payment_intents_for(order_id)
    assert intent["status"] == "requires_action"


def test_repeat_with_the_same_key_charges_once(stripe_server):
    order_id = uuid.uuid4()
    first = charge(order_id=order_id, key="same-key")
    second = charge(order_id=order_id, key="same-key")

    assert second == first
    assert len(stripe_server.payment_intents_for(order_id)) == 1
    assert [r.replayed for r in stripe_server.requests] == [False, True]


def test_a_declined_charge_repeated_with_its_key_is_declined_again(stripe_server):
    order_id = uuid.uuid4()
    for _ in range(2):
        with pytest.raises(ChargeDeclined, match=r"^Your card was declined\.$"):
            charge("pm_card_chargeDeclined", order_id=order_id, key="declined-key")
    assert len(stripe_server.payment_intents_for(order_id)) == 1


def test_same_key_with_other_parameters_is_declined(stripe_server):
    order_id = uuid.uuid4()
    charge("pm_card_visa", order_id=order_id, key="reused-key")

    with pytest.raises(ChargeDeclined) as declined:
        charge("pm_card_mastercard", order_id=order_id, key="reused-key")

    assert declined.value.message.startswith(
        "Keys for idempotent requests can only be used with the same parameters"
    )
    assert len(stripe_server.payment_intents_for(order_id)) == 1


@pytest.mark.parametrize(
    ("status", "attempts"),
    [
        # The SDK retries a 5xx (NETWORK_RETRIES times, the same key each time).
        (500, ATTEMPTS),
        (503, ATTEMPTS),
        # and not a rate limit or a refused permission.
        (429, 1),
        (403, 1),
    ],
)
def test_stripe_failing_makes_the_processor_unavailable(stripe_server, status, attempts):
    stripe_server.fail_next(10, status=status)
    order_id = uuid.uuid4()

    with pytest.raises(ProcessorUnavailable):
        charge(order_id=order_id, key="failing-key")

    assert [r.status for r in stripe_server.requests] == [status] * attempts
    assert {r.headers["idempotency-key"] for r in stripe_server.requests} == {"failing-key"}
    assert stripe_server.payment_intents_for(order_id) == []


def test_a_failure_the_retry_gets_past_charges_once(stripe_server):
    stripe_server.fail_next(1, status=500)
    order_id = uuid.uuid4()

    result = charge(order_id=order_id)

    assert [r.status for r in stripe_server.requests] == [500, 200]
    [intent] = stripe_server.payment_intents_for(order_id)
    assert result.charge_id == intent["id"]


def test_no_answer_in_time_makes_the_processor_unavailable(stripe_server):
    hang = TIMEOUT_SECONDS * 6
    stripe_server.hang_next(ATTEMPTS, seconds=hang)
    order_id = uuid.uuid4()

    started = time.monotonic()
    with pytest.raises(ProcessorUnavailable):
        charge(order_id=order_id, key="slow-key")
    elapsed = time.monotonic() - started

    # Every attempt waited TIMEOUT_SECONDS; the SDK sleeps at most 0.5 s and 1 s between them.
    assert elapsed < ATTEMPTS * TIMEOUT_SECONDS + 1.5 + 1.0
    assert elapsed < ATTEMPTS * hang
    assert len(stripe_server.requests) == ATTEMPTS
    assert {r.headers["idempotency-key"] for r in stripe_server.requests} == {"slow-key"}
    # Stripe charged on the first attempt; the retries were answered with it, and that charge
    # is what charge_find gives when the order ends cancelled.
    [intent] = stripe_server.payment_intents_for(order_id)
    assert [r.replayed for r in stripe_server.requests] == [False, True, True]
    found = StripeProcessor().charge_find(order_id=order_id)
    assert found is not None
    assert found.charge_id == intent["id"]


def test_an_answer_lost_once_is_taken_from_the_retry(stripe_server):
    stripe_server.hang_next(1, seconds=TIMEOUT_SECONDS * 4)
    order_id = uuid.uuid4()

    result = charge(order_id=order_id)

    [intent] = stripe_server.payment_intents_for(order_id)
    assert result.charge_id == intent["id"]
    assert [r.replayed for r in stripe_server.requests] == [False, True]


def test_stripe_unreachable_makes_the_processor_unavailable(stripe_server, settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0

    with pytest.raises(ProcessorUnavailable):
        charge()


def test_a_wrong_key_is_unavailable_and_never_logged(stripe_server, settings, caplog):
    wrong_key = "sk_test_wrong0123456789abcdefwrong"
    settings.STRIPE_SECRET_KEY = wrong_key
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ProcessorUnavailable) as unavailable:
        charge()

    assert [r.status for r in stripe_server.requests] == [401]  # not retried
    assert "AuthenticationError" in caplog.text
    assert wrong_key not in caplog.text
    assert wrong_key not in str(unavailable.value)


def test_a_key_stripe_repeats_is_not_logged(stripe_server, caplog):
    stripe_server.unauthorized_next(1, echo_key=True)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ProcessorUnavailable) as unavailable:
        charge()

    assert stripe_server.secret_key in stripe_server.requests[0].headers["authorization"]
    assert "Invalid API Key provided" in caplog.text
    assert stripe_server.secret_key not in caplog.text
    assert stripe_server.secret_key not in str(unavailable.value)


def test_refund_refunds_the_payment_intent_once(stripe_server):
    charged = charge()
    processor = StripeProcessor()

    first = processor.refund(charge_id=charged.charge_id, idempotency_key="refund-1")
    second = processor.refund(charge_id=charged.charge_id, idempotency_key="refund-1")

    assert first == second
    assert first.startswith("re_")
    [refund] = stripe_server.refunds.values()
    assert (refund["id"], refund["payment_intent"], refund["amount"]) == (
        first,
        charged.charge_id,
        2050,
    )
    refunds = stripe_server.requests_to("POST", "/v1/refunds")
    assert [r.params for r in refunds] == [{"payment_intent": charged.charge_id}] * 2
    assert [r.headers["idempotency-key"] for r in refunds] == ["refund-1"] * 2


def test_refund_under_another_key_gives_the_refund_already_made(stripe_server):
    charged = charge()
    processor = StripeProcessor()
    first = processor.refund(charge_id=charged.charge_id, idempotency_key="refund-a")

    again = processor.refund(charge_id=charged.charge_id, idempotency_key="refund-b")

    assert again == first
    assert len(stripe_server.refunds) == 1


def test_refund_stripe_failing_is_unavailable(stripe_server):
    charged = charge()
    stripe_server.fail_next(ATTEMPTS, status=500)

    with pytest.raises(ProcessorUnavailable):
        StripeProcessor().refund(charge_id=charged.charge_id, idempotency_key="refund-x")

    assert stripe_server.refunds == {}
    refund = StripeProcessor().refund(charge_id=charged.charge_id, idempotency_key="refund-x")
    assert list(stripe_server.refunds) == [refund]


def test_refund_of_an_unknown_charge_is_unavailable(stripe_server):
    with pytest.raises(ProcessorUnavailable):
        StripeProcessor().refund(charge_id="pi_nosuch", idempotency_key="refund-y")


def test_charge_find_finds_the_orders_succeeded_charge(stripe_server):
    order_id = uuid.uuid4()
    with pytest.raises(ChargeDeclined):
        charge("pm_card_chargeDeclined", order_id=order_id, key="attempt-1")
    charged = charge("pm_card_visa", amount=1234, order_id=order_id, key="attempt-2")
    charge(order_id=uuid.uuid4())  # another order's

    found = StripeProcessor().charge_find(order_id=order_id)

    assert found == Charge(charge_id=charged.charge_id, amount=1234, currency="USD")
    [search] = stripe_server.requests_to("GET", "/v1/payment_intents/search")
    assert search.params["query"] == f"metadata['orderId']:'{order_id}' AND status:'succeeded'"


def test_charge_find_without_a_succeeded_charge_is_none(stripe_server):
    order_id = uuid.uuid4()
    with pytest.raises(ChargeDeclined):
        charge("pm_card_chargeDeclined", order_id=order_id)
    charge(order_id=uuid.uuid4())

    assert StripeProcessor().charge_find(order_id=order_id) is None
    assert StripeProcessor().charge_find(order_id=uuid.uuid4()) is None


def test_charge_find_skips_a_refunded_charge(stripe_server):
    order_id = uuid.uuid4()
    charged = charge(order_id=order_id)
    StripeProcessor().refund(charge_id=charged.charge_id, idempotency_key="refund-z")

    assert StripeProcessor().charge_find(order_id=order_id) is None


def test_charge_find_stripe_failing_is_unavailable(stripe_server):
    stripe_server.fail_next(ATTEMPTS, status=500)
    with pytest.raises(ProcessorUnavailable):
        StripeProcessor().charge_find(order_id=uuid.uuid4())
