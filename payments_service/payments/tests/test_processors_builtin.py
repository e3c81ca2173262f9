"""The built-in test processor: Stripe's test tokens with no network, its own ledger in the
database (TestCharge), charge ids named after the idempotency key."""

import uuid

import pytest

from payments.models import TestCharge
from payments.processors import processor_get
from payments.processors.base import Charge, ChargeDeclined
from payments.processors.builtin import BuiltinTestProcessor

pytestmark = pytest.mark.django_db


def charge(card="tok_visa", *, amount=2050, currency="USD", order_id=None, key=None):
    order_id = order_id or uuid.uuid4()
    return BuiltinTestProcessor().charge(
        amount=amount,
        currency=currency,
        token=card,
        order_id=order_id,
        idempotency_key=key or f"charge-{order_id}",
    )


def test_settings_choose_the_test_processor(settings):
    settings.PAYMENTS_PROCESSOR = "test"
    assert isinstance(processor_get(), BuiltinTestProcessor)
    assert processor_get().name == "test"
    assert isinstance(processor_get("test"), BuiltinTestProcessor)


@pytest.mark.parametrize("token", ["tok_visa", "pm_card_visa", "tok_mastercard", "pm_card_amex"])
def test_succeeding_tokens_charge(token):
    order_id = uuid.uuid4()

    result = charge(token, amount=1999, currency="EUR", order_id=order_id)

    assert (result.amount, result.currency) == (1999, "EUR")
    assert result.charge_id.startswith("pi_test_")
    stored = TestCharge.objects.get(charge_id=result.charge_id)
    assert (stored.order_id, stored.amount, stored.currency, stored.refund_id) == (
        order_id,
        1999,
        "EUR",
        "",
    )


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("tok_chargeDeclined", "Your card was declined."),
        ("pm_card_chargeDeclined", "Your card was declined."),
        ("pm_card_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."),
        ("tok_chargeDeclinedExpiredCard", "Your card has expired."),
        ("pm_card_nosuch", "No such PaymentMethod: 'pm_card_nosuch'"),
        ("tok_nosuch", "No such token: 'tok_nosuch'"),
    ],
)
def test_declined_and_unknown_tokens_are_declined(token, message):
    with pytest.raises(ChargeDeclined) as declined:
        charge(token)
    assert declined.value.message == message
    assert not TestCharge.objects.exists()


def test_charge_ids_are_deterministic():
    """The same key names the same charge, also once its ledger row is gone; another key,
    another charge."""
    order_id = uuid.uuid4()
    first = charge(order_id=order_id, key="key-a")
    TestCharge.objects.all().delete()
    again = charge(order_id=order_id, key="key-a")
    other = charge(order_id=order_id, key="key-b")

    assert again.charge_id == first.charge_id
    assert other.charge_id != first.charge_id


def test_repeat_with_the_same_key_charges_once():
    order_id = uuid.uuid4()
    first = charge(order_id=order_id, key="same-key")
    second = charge(order_id=order_id, key="same-key")

    assert second == first
    assert TestCharge.objects.filter(order_id=order_id).count() == 1


@pytest.mark.parametrize(
    "change",
    [{"amount": 1}, {"currency": "EUR"}, {"order_id": uuid.UUID(int=7)}],
    ids=["amount", "currency", "order"],
)
def test_same_key_with_other_parameters_is_declined(change):
    order_id = uuid.uuid4()
    charge(order_id=order_id, key="reused-key")

    with pytest.raises(ChargeDeclined) as declined:
        charge(**{"order_id": order_id, "key": "reused-key", **change})

    assert declined.value.message.startswith(
        "Keys for idempotent requests can only be used with the same parameters"
    )
    assert TestCharge.objects.count() == 1


def test_refund_happens_once():
    charged = charge()
    processor = BuiltinTestProcessor()

    first = processor.refund(charge_id=charged.charge_id, idempotency_key="refund-1")
    again = processor.refund(charge_id=charged.charge_id, idempotency_key="refund-1")
    other_key = processor.refund(charge_id=charged.charge_id, idempotency_key="refund-2")

    assert first.startswith("re_test_")
    assert again == other_key == first
    assert TestCharge.objects.get(charge_id=charged.charge_id).refund_id == first


def test_charge_find():
    order_id = uuid.uuid4()
    with pytest.raises(ChargeDeclined):
        charge("tok_chargeDeclined", order_id=order_id)
    assert BuiltinTestProcessor().charge_find(order_id=order_id) is None

    charged = charge(order_id=order_id, amount=1234)
    charge(order_id=uuid.uuid4())  # another order's

    found = BuiltinTestProcessor().charge_find(order_id=order_id)
    assert found == Charge(charge_id=charged.charge_id, amount=1234, currency="USD")
    assert BuiltinTestProcessor().charge_find(order_id=uuid.uuid4()) is None


def test_charge_find_skips_a_refunded_charge():
    order_id = uuid.uuid4()
    charged = charge(order_id=order_id)
    BuiltinTestProcessor().refund(charge_id=charged.charge_id, idempotency_key="refund")

    assert BuiltinTestProcessor().charge_find(order_id=order_id) is None
