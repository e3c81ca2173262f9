"""The built-in test processor: the card processor's test cards, with no network.

It answers the test tokens as Stripe does (`tok_visa` and `pm_card_visa` succeed,
`tok_chargeDeclined` and `pm_card_chargeDeclined` are declined with Stripe's message), keeps its
intents in its own table (`TestPaymentIntent`, as a processor keeps them on its side), with
Stripe's rules (an intent succeeds once; a voided one cannot be charged), and names them after
their idempotency key, so the same request gives the same intent id every time.
"""

import hashlib
import uuid

from payments.models import TestPaymentIntent
from payments.processors.base import Charge, ChargeDeclined, ProcessorUnavailable

# What Stripe answers a confirmation of an intent voided meanwhile, in the buyer's words.
INTENT_CANCELED = "This payment was cancelled: the order can no longer be paid"
# The test tokens a charge succeeds with, as in Stripe's test mode.
SUCCEEDING_TOKENS = frozenset(
    {
        "tok_visa",
        "tok_visa_debit",
        "tok_mastercard",
        "tok_amex",
        "pm_card_visa",
        "pm_card_visa_debit",
        "pm_card_mastercard",
        "pm_card_amex",
    }
)
# The test tokens declined, with the message Stripe gives for each.
DECLINED_TOKENS = {
    "tok_chargeDeclined": "Your card was declined.",
    "pm_card_chargeDeclined": "Your card was declined.",
    "tok_chargeDeclinedInsufficientFunds": "Your card has insufficient funds.",
    "pm_card_chargeDeclinedInsufficientFunds": "Your card has insufficient funds.",
    "tok_chargeDeclinedExpiredCard": "Your card has expired.",
    "pm_card_chargeDeclinedExpiredCard": "Your card has expired.",
}


class BuiltinTestProcessor:
    name = "test"

    def intent_create(
        self, *, amount: int, currency: str, order_id: uuid.UUID, idempotency_key: str
    ) -> str:
        intent, created = TestPaymentIntent.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "intent_id": _id("pi_test", idempotency_key),
                "order_id": order_id,
                "amount": amount,
                "currency": currency,
            },
        )
        if not created and (intent.amount, intent.currency, intent.order_id) != (
            amount,
            currency,
            order_id,
        ):
            # Stripe refuses a key used again for another request (an IdempotencyError).
            raise ProcessorUnavailable("idempotency key used before with other parameters")
        return intent.intent_id

    def intent_confirm(self, *, intent_id: str, token: str, idempotency_key: str) -> Charge:
        intent = TestPaymentIntent.objects.select_for_update().get(intent_id=intent_id)
        if intent.status == TestPaymentIntent.Status.SUCCEEDED:
            return _charge(intent)
        if intent.status == TestPaymentIntent.Status.CANCELED:
            raise ChargeDeclined(INTENT_CANCELED)
        intent.cards_tried = [*intent.cards_tried, token]
        if token in SUCCEEDING_TOKENS:
            intent.status = TestPaymentIntent.Status.SUCCEEDED
        intent.save(update_fields=["cards_tried", "status"])
        if token in DECLINED_TOKENS:
            raise ChargeDeclined(DECLINED_TOKENS[token])
        if token not in SUCCEEDING_TOKENS:
            kind = "PaymentMethod" if token.startswith("pm_") else "token"
            raise ChargeDeclined(f"No such {kind}: '{token}'")
        return _charge(intent)

    def intent_void(self, *, intent_id: str) -> Charge | None:
        intent = TestPaymentIntent.objects.select_for_update().get(intent_id=intent_id)
        if intent.status == TestPaymentIntent.Status.SUCCEEDED:
            return _charge(intent)
        intent.status = TestPaymentIntent.Status.CANCELED
        intent.save(update_fields=["status"])
        return None

    def refund(self, *, charge_id: str, idempotency_key: str) -> str:
        intent = TestPaymentIntent.objects.select_for_update().get(intent_id=charge_id)
        if intent.status != TestPaymentIntent.Status.SUCCEEDED:
            raise ProcessorUnavailable(f"{charge_id} has no charge to refund")
        if not intent.refund_id:
            intent.refund_id = _id("re_test", idempotency_key)
            intent.save(update_fields=["refund_id"])
        return intent.refund_id


def _charge(intent: TestPaymentIntent) -> Charge:
    return Charge(charge_id=intent.intent_id, amount=intent.amount, currency=intent.currency)


def _id(prefix: str, idempotency_key: str) -> str:
    """Deterministic: the same key always names the same intent or refund."""
    return f"{prefix}_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"
