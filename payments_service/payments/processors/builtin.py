"""The built-in test processor: the card processor's test cards, with no network.

It answers the test tokens as Stripe does (`tok_visa` and `pm_card_visa` succeed,
`tok_chargeDeclined` and `pm_card_chargeDeclined` are declined with Stripe's message), keeps its
charges in its own table (`TestCharge`, as a processor keeps them on its side) and names them
after their idempotency key, so the same request gives the same charge id every time.
"""

import hashlib
import uuid

from payments.models import TestCharge
from payments.processors.base import Charge, ChargeDeclined

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

    def charge(
        self, *, amount: int, currency: str, token: str, order_id: uuid.UUID, idempotency_key: str
    ) -> Charge:
        if token in DECLINED_TOKENS:
            raise ChargeDeclined(DECLINED_TOKENS[token])
        if token not in SUCCEEDING_TOKENS:
            kind = "PaymentMethod" if token.startswith("pm_") else "token"
            raise ChargeDeclined(f"No such {kind}: '{token}'")
        charge, created = TestCharge.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "charge_id": _id("pi_test", idempotency_key),
                "order_id": order_id,
                "amount": amount,
                "currency": currency,
            },
        )
        if not created and (charge.amount, charge.currency, charge.order_id) != (
            amount,
            currency,
            order_id,
        ):
            # As Stripe answers a key reused for another request.
            raise ChargeDeclined(
                "Keys for idempotent requests can only be used with the same parameters "
                "they were first used with."
            )
        return Charge(charge_id=charge.charge_id, amount=charge.amount, currency=charge.currency)

    def refund(self, *, charge_id: str, idempotency_key: str) -> str:
        charge = TestCharge.objects.select_for_update().get(charge_id=charge_id)
        if not charge.refund_id:
            charge.refund_id = _id("re_test", idempotency_key)
            charge.save(update_fields=["refund_id"])
        return charge.refund_id

    def charge_find(self, *, order_id: uuid.UUID) -> Charge | None:
        charge = TestCharge.objects.filter(order_id=order_id, refund_id="").first()
        if charge is None:
            return None
        return Charge(charge_id=charge.charge_id, amount=charge.amount, currency=charge.currency)


def _id(prefix: str, idempotency_key: str) -> str:
    """Deterministic: the same key always names the same charge or refund."""
    return f"{prefix}_{hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]}"
