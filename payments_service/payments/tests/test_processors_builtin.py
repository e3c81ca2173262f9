"""The built-in test processor: Stripe's test cards and its rules for intents, no network."""

import uuid

import pytest

from payments.models import TestPaymentIntent
from payments.processors import processor_get
from payments.processors.base import Charge, ChargeDeclined, ProcessorUnavailable
from payments.processors.builtin import INTENT_CANCELED, BuiltinTestProcessor

pytestmark = pytest.mark.django_db

processor = BuiltinTestProcessor()
ORDER = uuid.UUID(int=5)


def intent(key: str = "order-1", amount: int = 2000) -> str:
    return processor.intent_create(
        amount=amount, currency="USD", order_id=ORDER, idempotency_key=key
    )


def confirm(intent_id: str, token: str = "tok_visa", key: str = "confirm-1") -> Charge:  # noqa: S107
    return processor.intent_confirm(intent_id=intent_id, token=token, idempotency_key=key)


def test_is_the_default_outside_production():
    assert processor_get().name == "test"


def test_an_intent_is_named_after_its_key_and_made_once():
    first, again, other = intent("order-1"), intent("order-1"), intent("order-2")

    assert first == again != other
    assert first.startswith("pi_test_")
    assert TestPaymentIntent.objects.count() == 2


def test_a_key_used_again_for_another_amount_is_refused():
    intent("order-1", amount=2000)

    with pytest.raises(ProcessorUnavailable):
        intent("order-1", amount=3000)


@pytest.mark.parametrize("token", ["tok_visa", "pm_card_visa", "tok_mastercard", "pm_card_amex"])
def test_the_succeeding_test_cards_charge_the_intent(token):
    intent_id = intent()

    charge = confirm(intent_id, token)

    assert charge == Charge(charge_id=intent_id, amount=2000, currency="USD")
    assert TestPaymentIntent.objects.get().status == "succeeded"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("tok_chargeDeclined", "Your card was declined."),
        ("pm_card_chargeDeclined", "Your card was declined."),
        ("tok_chargeDeclinedExpiredCard", "Your card has expired."),
        ("pm_nonsense", "No such PaymentMethod: 'pm_nonsense'"),
        ("tok_nonsense", "No such token: 'tok_nonsense'"),
    ],
)
def test_declined_cards_leave_the_intent_to_another_card(token, message):
    intent_id = intent()

    with pytest.raises(ChargeDeclined) as declined:
        confirm(intent_id, token)

    assert declined.value.message == message
    assert TestPaymentIntent.objects.get().status == "requires_payment_method"
    assert confirm(intent_id, "tok_visa", key="confirm-2").amount == 2000


def test_an_intent_succeeds_once_whatever_card_comes_next():
    intent_id = intent()
    first = confirm(intent_id, "tok_visa")

    again = confirm(intent_id, "tok_amex", key="confirm-2")

    assert again == first
    assert TestPaymentIntent.objects.get().cards_tried == ["tok_visa"]


def test_void_ends_an_intent_never_charged():
    intent_id = intent()

    assert processor.intent_void(intent_id=intent_id) is None
    assert processor.intent_void(intent_id=intent_id) is None
    with pytest.raises(ChargeDeclined, match=INTENT_CANCELED):
        confirm(intent_id)


def test_void_of_a_charged_intent_gives_its_charge():
    intent_id = intent()
    charge = confirm(intent_id)

    assert processor.intent_void(intent_id=intent_id) == charge
    assert TestPaymentIntent.objects.get().status == "succeeded"


def test_a_refund_is_made_once_and_named_after_its_key():
    intent_id = intent()
    confirm(intent_id)

    first = processor.refund(charge_id=intent_id, idempotency_key="refund-1")
    again = processor.refund(charge_id=intent_id, idempotency_key="refund-1")

    assert first == again
    assert first.startswith("re_test_")


def test_an_intent_never_charged_has_nothing_to_refund():
    intent_id = intent()

    with pytest.raises(ProcessorUnavailable):
        processor.refund(charge_id=intent_id, idempotency_key="refund-1")
