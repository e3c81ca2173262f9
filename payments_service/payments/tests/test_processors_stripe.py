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
from payments.processors.stripe import (
    AUTHENTICATION_NOT_SUPPORTED,
    NO_LONGER_PAYABLE,
    StripeProcessor,
)
from payments.tests.stripe_server import NETWORK_RETRIES, TIMEOUT_SECONDS

ATTEMPTS = 1 + NETWORK_RETRIES


def create(*, amount=2050, currency="USD", order_id=None, key=None) -> str:
    order_id = order_id or uuid.uuid4()
    return StripeProcessor().intent_create(
        amount=amount,
        currency=currency,
        order_id=order_id,
        idempotency_key=key or f"intent-{order_id}",
    )


def confirm(intent_id, card="pm_card_visa", *, key=None) -> Charge:
    return StripeProcessor().intent_confirm(
        intent_id=intent_id, token=card, idempotency_key=key or f"confirm-{uuid.uuid4()}"
    )


def paid(card="pm_card_visa", **create_arguments) -> Charge:
    return confirm(create(**create_arguments), card)


def confirms(server, intent_id):
    return server.requests_to("POST", f"/v1/payment_intents/{intent_id}/confirm")


def test_settings_choose_stripe(stripe_server):
    assert isinstance(processor_get(), StripeProcessor)
    assert processor_get().name == "stripe"


# --- intent_create ---


def test_intent_create_creates_an_unconfirmed_payment_intent(stripe_server):
    order_id = uuid.uuid4()

    intent_id = create(amount=2050, currency="USD", order_id=order_id, key="order-key-1")

    [request] = stripe_server.requests
    assert (request.method, request.path, request.status) == ("POST", "/v1/payment_intents", 200)
    assert request.params == {
        "amount": "2050",
        "currency": "usd",
        "payment_method_types": ["card"],
        "metadata": {"orderId": str(order_id)},
    }
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["idempotency-key"] == "order-key-1"
    assert request.headers["stripe-version"] == stripe.api_version == "2025-10-29.clover"
    assert request.headers["authorization"] == f"Bearer {stripe_server.secret_key}"
    [intent] = stripe_server.payment_intents_for(order_id)
    assert intent_id == intent["id"]
    assert intent_id.startswith("pi_")
    assert (intent["status"], intent["amount"], intent["amount_received"]) == (
        "requires_payment_method",
        2050,
        0,
    )
    assert stripe_server.charges == {}


def test_intent_create_repeated_with_its_key_creates_one(stripe_server):
    order_id = uuid.uuid4()

    first = create(order_id=order_id, key="same-key")
    second = create(order_id=order_id, key="same-key")

    assert second == first
    assert len(stripe_server.payment_intents_for(order_id)) == 1
    assert [r.replayed for r in stripe_server.requests] == [False, True]


def test_intent_create_whose_answer_is_lost_once_creates_one(stripe_server):
    stripe_server.hang_next(1, seconds=TIMEOUT_SECONDS * 4)
    order_id = uuid.uuid4()

    intent_id = create(order_id=order_id)

    [intent] = stripe_server.payment_intents_for(order_id)
    assert intent_id == intent["id"]
    assert [r.replayed for r in stripe_server.requests] == [False, True]


@pytest.mark.parametrize(("status", "attempts"), [(500, ATTEMPTS), (400, 1)])
def test_intent_create_failing_is_unavailable(stripe_server, status, attempts):
    stripe_server.fail_next(10, status=status)
    order_id = uuid.uuid4()

    with pytest.raises(ProcessorUnavailable):
        create(order_id=order_id, key="failing-key")

    assert [r.status for r in stripe_server.requests] == [status] * attempts
    assert stripe_server.payment_intents_for(order_id) == []


def test_settings_are_read_at_each_call(stripe_server, settings):
    """The selector caches the processor: a changed key or base reaches the next call."""
    processor = processor_get()
    arguments = {"amount": 100, "currency": "USD", "order_id": uuid.uuid4()}
    processor.intent_create(**arguments, idempotency_key="first")
    settings.STRIPE_SECRET_KEY = "sk_test_rotated"

    with pytest.raises(ProcessorUnavailable):
        processor.intent_create(**arguments, idempotency_key="second")

    assert processor_get() is processor
    assert [r.headers["authorization"] for r in stripe_server.requests] == [
        f"Bearer {stripe_server.secret_key}",
        "Bearer sk_test_rotated",
    ]


# --- intent_confirm ---


def test_confirm_charges_the_intent_with_a_payment_method(stripe_server):
    order_id = uuid.uuid4()
    intent_id = create(amount=2050, order_id=order_id)

    result = confirm(intent_id, "pm_card_visa", key="confirm-key-1")

    [request] = confirms(stripe_server, intent_id)
    assert request.status == 200
    assert request.params == {"payment_method": "pm_card_visa", "error_on_requires_action": "true"}
    assert request.headers["idempotency-key"] == "confirm-key-1"
    assert result == Charge(charge_id=intent_id, amount=2050, currency="USD")
    assert stripe_server.payment_intent(intent_id)["status"] == "succeeded"
    assert stripe_server.cards_charged(order_id) == ["pm_card_visa"]


def test_confirm_with_a_legacy_token_sends_payment_method_data(stripe_server):
    order_id = uuid.uuid4()
    intent_id = create(amount=999, currency="EUR", order_id=order_id)

    result = confirm(intent_id, "tok_visa")

    [request] = confirms(stripe_server, intent_id)
    assert request.params == {
        "payment_method_data": {"type": "card", "card": {"token": "tok_visa"}},
        "error_on_requires_action": "true",
    }
    assert result == Charge(charge_id=intent_id, amount=999, currency="EUR")
    assert stripe_server.cards_charged(order_id) == ["tok_visa"]


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("pm_card_chargeDeclined", "Your card was declined."),
        ("tok_chargeDeclined", "Your card was declined."),
        ("pm_card_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."),
        ("tok_chargeDeclinedExpiredCard", "Your card has expired."),
        (
            "pm_card_authenticationRequired",
            "Your card was declined. This transaction requires authentication.",
        ),
    ],
)
def test_declined_card_gives_stripes_message(stripe_server, token, message):
    order_id = uuid.uuid4()
    intent_id = create(order_id=order_id)

    with pytest.raises(ChargeDeclined) as declined:
        confirm(intent_id, token)

    assert declined.value.message == message
    assert [r.status for r in confirms(stripe_server, intent_id)] == [402]
    assert stripe_server.payment_intent(intent_id)["status"] == "requires_payment_method"
    assert stripe_server.succeeded_count(order_id) == 0


def test_declined_then_another_card_on_the_same_intent_charges_once(stripe_server):
    order_id = uuid.uuid4()
    intent_id = create(amount=1234, order_id=order_id)
    with pytest.raises(ChargeDeclined):
        confirm(intent_id, "pm_card_chargeDeclined", key="attempt-1")

    result = confirm(intent_id, "tok_mastercard", key="attempt-2")

    assert result == Charge(charge_id=intent_id, amount=1234, currency="USD")
    assert len(stripe_server.payment_intents_for(order_id)) == 1
    assert stripe_server.succeeded_count(order_id) == 1
    assert stripe_server.cards_charged(order_id) == ["tok_mastercard"]


def test_a_lost_answer_then_another_card_returns_the_first_charge(stripe_server):
    """The confirmation charged the card but no answer came (nor to the SDK's retries); the buyer
    tries again with another card under another key: Stripe refuses to confirm a succeeded
    PaymentIntent, and the processor answers with the charge already made."""
    order_id = uuid.uuid4()
    intent_id = create(amount=2050, order_id=order_id)
    stripe_server.hang_next(ATTEMPTS, seconds=TIMEOUT_SECONDS * 6)
    with pytest.raises(ProcessorUnavailable):
        confirm(intent_id, "pm_card_visa", key="attempt-1")
    assert [r.replayed for r in confirms(stripe_server, intent_id)] == [False, True, True]

    result = confirm(intent_id, "pm_card_mastercard", key="attempt-2")

    assert result == Charge(charge_id=intent_id, amount=2050, currency="USD")
    assert stripe_server.succeeded_count(order_id) == 1
    assert stripe_server.cards_charged(order_id) == ["pm_card_visa"]
    assert [c["amount"] for c in stripe_server.charges.values()] == [2050]
    second = confirms(stripe_server, intent_id)[-1]
    assert second.status == 400
    assert stripe_server.requests[-1].path == f"/v1/payment_intents/{intent_id}"
    assert stripe_server.requests[-1].method == "GET"


def test_a_lost_answer_is_taken_from_the_retry(stripe_server):
    order_id = uuid.uuid4()
    intent_id = create(order_id=order_id)
    stripe_server.hang_next(1, seconds=TIMEOUT_SECONDS * 4)

    result = confirm(intent_id)

    assert result.charge_id == intent_id
    assert [r.replayed for r in confirms(stripe_server, intent_id)] == [False, True]
    assert stripe_server.succeeded_count(order_id) == 1


def test_confirm_repeated_with_its_key_charges_once(stripe_server):
    order_id = uuid.uuid4()
    intent_id = create(order_id=order_id)

    first = confirm(intent_id, key="same-key")
    second = confirm(intent_id, key="same-key")

    assert second == first
    assert [r.replayed for r in confirms(stripe_server, intent_id)] == [False, True]
    assert stripe_server.cards_charged(order_id) == ["pm_card_visa"]


def test_a_decline_repeated_with_its_key_is_declined_again(stripe_server):
    intent_id = create()
    for _ in range(2):
        with pytest.raises(ChargeDeclined, match=r"^Your card was declined\.$"):
            confirm(intent_id, "pm_card_chargeDeclined", key="declined-key")
    assert len(stripe_server.charges) == 1


def test_same_key_with_another_card_is_unavailable_not_declined(stripe_server, caplog):
    order_id = uuid.uuid4()
    intent_id = create(order_id=order_id)
    with pytest.raises(ChargeDeclined):
        confirm(intent_id, "pm_card_chargeDeclined", key="reused-key")

    with pytest.raises(ProcessorUnavailable):
        confirm(intent_id, "pm_card_visa", key="reused-key")

    assert "IdempotencyError" in caplog.text
    assert stripe_server.succeeded_count(order_id) == 0


def test_confirm_of_a_canceled_intent_is_declined(stripe_server):
    order_id = uuid.uuid4()
    intent_id = create(order_id=order_id)
    assert StripeProcessor().intent_void(intent_id=intent_id) is None

    with pytest.raises(ChargeDeclined) as declined:
        confirm(intent_id, "pm_card_visa")

    assert declined.value.message == NO_LONGER_PAYABLE
    assert stripe_server.succeeded_count(order_id) == 0
    assert stripe_server.charges == {}


def test_a_refused_confirmation_whose_state_cannot_be_read_is_unavailable(stripe_server):
    """Stripe refuses a second confirmation (the intent succeeded already), then cannot be
    read: nothing is known, so no charge is claimed and no decline is told."""
    intent_id = create()
    confirm(intent_id)
    stripe_server.after_next(
        "POST",
        f"/v1/payment_intents/{intent_id}/confirm",
        lambda: stripe_server.fail_next(ATTEMPTS, status=500),
    )

    with pytest.raises(ProcessorUnavailable):
        confirm(intent_id, "pm_card_mastercard")


def test_a_void_refused_then_unreadable_is_unavailable(stripe_server):
    """Confirmed by another client just before the cancel, then Stripe cannot be read."""
    intent_id = create()
    stripe_server.after_next(
        "GET",
        f"/v1/payment_intents/{intent_id}",
        lambda: stripe_server.confirm_now(intent_id),
    )
    stripe_server.after_next(
        "POST",
        f"/v1/payment_intents/{intent_id}/cancel",
        lambda: stripe_server.fail_next(ATTEMPTS, status=500),
    )

    with pytest.raises(ProcessorUnavailable):
        StripeProcessor().intent_void(intent_id=intent_id)


def test_confirm_of_a_processing_intent_is_unavailable(stripe_server):
    intent_id = create()
    stripe_server.set_status(intent_id, "processing")

    with pytest.raises(ProcessorUnavailable):
        confirm(intent_id)

    assert stripe_server.charges == {}


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("pm_card_nosuch", "No such PaymentMethod: 'pm_card_nosuch'"),
        ("tok_nosuch", "No such token: 'tok_nosuch'"),
    ],
)
def test_unknown_card_is_declined_with_stripes_message(stripe_server, token, message):
    intent_id = create()

    with pytest.raises(ChargeDeclined) as declined:
        confirm(intent_id, token)

    assert declined.value.message == message
    assert stripe_server.payment_intent(intent_id)["status"] == "requires_payment_method"


def test_unknown_intent_is_unavailable_not_declined(stripe_server):
    with pytest.raises(ProcessorUnavailable):
        confirm("pi_nosuch")
    assert [r.status for r in stripe_server.requests] == [404]


def test_intent_left_requiring_action_is_declined(stripe_server):
    stripe_server.ignore_error_on_requires_action = True
    intent_id = create()

    with pytest.raises(ChargeDeclined) as declined:
        confirm(intent_id, "pm_card_authenticationRequired")

    assert declined.value.message == AUTHENTICATION_NOT_SUPPORTED
    assert stripe_server.payment_intent(intent_id)["status"] == "requires_action"


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
    order_id = uuid.uuid4()
    intent_id = create(order_id=order_id)
    stripe_server.fail_next(10, status=status)

    with pytest.raises(ProcessorUnavailable):
        confirm(intent_id, key="failing-key")

    sent = confirms(stripe_server, intent_id)
    assert [r.status for r in sent] == [status] * attempts
    assert {r.headers["idempotency-key"] for r in sent} == {"failing-key"}
    assert stripe_server.succeeded_count(order_id) == 0


def test_a_failure_the_retry_gets_past_charges_once(stripe_server):
    order_id = uuid.uuid4()
    intent_id = create(order_id=order_id)
    stripe_server.fail_next(1, status=500)

    result = confirm(intent_id)

    assert [r.status for r in confirms(stripe_server, intent_id)] == [500, 200]
    assert result.charge_id == intent_id
    assert stripe_server.cards_charged(order_id) == ["pm_card_visa"]


def test_no_answer_in_time_makes_the_processor_unavailable(stripe_server):
    order_id = uuid.uuid4()
    intent_id = create(order_id=order_id)
    hang = TIMEOUT_SECONDS * 6
    stripe_server.hang_next(ATTEMPTS, seconds=hang)

    started = time.monotonic()
    with pytest.raises(ProcessorUnavailable):
        confirm(intent_id, key="slow-key")
    elapsed = time.monotonic() - started

    # Every attempt waited TIMEOUT_SECONDS; the SDK sleeps at most 0.5 s and 1 s between them.
    assert elapsed < ATTEMPTS * TIMEOUT_SECONDS + 1.5 + 1.0
    assert elapsed < ATTEMPTS * hang
    sent = confirms(stripe_server, intent_id)
    assert len(sent) == ATTEMPTS
    assert {r.headers["idempotency-key"] for r in sent} == {"slow-key"}
    # Stripe charged on the first attempt; the retries were answered with it, and voiding the
    # intent (the order ending) finds that charge by the intent's id.
    assert [r.replayed for r in sent] == [False, True, True]
    assert StripeProcessor().intent_void(intent_id=intent_id) == Charge(intent_id, 2050, "USD")


def test_stripe_unreachable_makes_the_processor_unavailable(stripe_server, settings):
    intent_id = create()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0

    with pytest.raises(ProcessorUnavailable):
        confirm(intent_id)


def test_a_wrong_key_is_unavailable_and_never_logged(stripe_server, settings, caplog):
    intent_id = create()
    wrong_key = "sk_test_wrong0123456789abcdefwrong"
    settings.STRIPE_SECRET_KEY = wrong_key
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ProcessorUnavailable) as unavailable:
        confirm(intent_id)

    assert [r.status for r in confirms(stripe_server, intent_id)] == [401]  # not retried
    assert "AuthenticationError" in caplog.text
    assert wrong_key not in caplog.text
    assert wrong_key not in str(unavailable.value)


def test_a_key_stripe_repeats_is_not_logged(stripe_server, caplog):
    stripe_server.unauthorized_next(1, echo_key=True)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ProcessorUnavailable) as unavailable:
        create()

    assert stripe_server.secret_key in stripe_server.requests[0].headers["authorization"]
    assert "Invalid API Key provided" in caplog.text
    assert stripe_server.secret_key not in caplog.text
    assert stripe_server.secret_key not in str(unavailable.value)


# --- intent_void ---


def test_void_cancels_an_unconfirmed_intent(stripe_server):
    intent_id = create()

    assert StripeProcessor().intent_void(intent_id=intent_id) is None

    [cancel] = stripe_server.requests_to("POST", f"/v1/payment_intents/{intent_id}/cancel")
    assert cancel.params == {"cancellation_reason": "abandoned"}
    assert cancel.headers["idempotency-key"] == f"void-{intent_id}"
    assert stripe_server.payment_intent(intent_id)["status"] == "canceled"


def test_void_cancels_an_intent_after_a_decline(stripe_server):
    intent_id = create()
    with pytest.raises(ChargeDeclined):
        confirm(intent_id, "pm_card_chargeDeclined")

    assert StripeProcessor().intent_void(intent_id=intent_id) is None
    assert stripe_server.payment_intent(intent_id)["status"] == "canceled"


def test_void_of_a_succeeded_intent_returns_its_charge(stripe_server):
    intent_id = create(amount=777, currency="EUR")
    confirm(intent_id)

    found = StripeProcessor().intent_void(intent_id=intent_id)

    assert found == Charge(charge_id=intent_id, amount=777, currency="EUR")
    assert stripe_server.requests_to("POST", f"/v1/payment_intents/{intent_id}/cancel") == []
    assert stripe_server.payment_intent(intent_id)["status"] == "succeeded"


def test_void_twice_is_fine(stripe_server):
    intent_id = create()
    processor = StripeProcessor()

    assert processor.intent_void(intent_id=intent_id) is None
    assert processor.intent_void(intent_id=intent_id) is None

    assert len(stripe_server.requests_to("POST", f"/v1/payment_intents/{intent_id}/cancel")) == 1


def test_void_racing_a_confirmation_returns_its_charge(stripe_server):
    """Read as unconfirmed, then confirmed by the buyer's request before the cancel arrives:
    Stripe refuses to cancel a succeeded intent, and the charge is what void answers."""
    order_id = uuid.uuid4()
    intent_id = create(order_id=order_id)
    stripe_server.after_next(
        "GET", f"/v1/payment_intents/{intent_id}", lambda: stripe_server.confirm_now(intent_id)
    )

    found = StripeProcessor().intent_void(intent_id=intent_id)

    assert found == Charge(charge_id=intent_id, amount=2050, currency="USD")
    [cancel] = stripe_server.requests_to("POST", f"/v1/payment_intents/{intent_id}/cancel")
    assert cancel.status == 400
    assert stripe_server.succeeded_count(order_id) == 1


def test_void_of_a_processing_intent_is_unavailable(stripe_server):
    intent_id = create()
    stripe_server.set_status(intent_id, "processing")

    with pytest.raises(ProcessorUnavailable):
        StripeProcessor().intent_void(intent_id=intent_id)

    assert stripe_server.requests_to("POST", f"/v1/payment_intents/{intent_id}/cancel") == []
    assert stripe_server.payment_intent(intent_id)["status"] == "processing"


def test_void_stripe_failing_is_unavailable(stripe_server):
    intent_id = create()
    stripe_server.fail_next(ATTEMPTS, status=500)

    with pytest.raises(ProcessorUnavailable):
        StripeProcessor().intent_void(intent_id=intent_id)

    assert stripe_server.payment_intent(intent_id)["status"] == "requires_payment_method"


def test_void_of_an_unknown_intent_is_unavailable(stripe_server):
    with pytest.raises(ProcessorUnavailable):
        StripeProcessor().intent_void(intent_id="pi_nosuch")


# --- refund ---


def test_refund_refunds_the_payment_intent_once(stripe_server):
    charged = paid()
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
    charged = paid()
    processor = StripeProcessor()
    first = processor.refund(charge_id=charged.charge_id, idempotency_key="refund-a")

    again = processor.refund(charge_id=charged.charge_id, idempotency_key="refund-b")

    assert again == first
    assert len(stripe_server.refunds) == 1


def test_refund_stripe_failing_is_unavailable(stripe_server):
    charged = paid()
    stripe_server.fail_next(ATTEMPTS, status=500)

    with pytest.raises(ProcessorUnavailable):
        StripeProcessor().refund(charge_id=charged.charge_id, idempotency_key="refund-x")

    assert stripe_server.refunds == {}
    refund = StripeProcessor().refund(charge_id=charged.charge_id, idempotency_key="refund-x")
    assert list(stripe_server.refunds) == [refund]


def test_refund_of_an_unknown_charge_is_unavailable(stripe_server):
    with pytest.raises(ProcessorUnavailable):
        StripeProcessor().refund(charge_id="pi_nosuch", idempotency_key="refund-y")
