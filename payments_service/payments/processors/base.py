"""What payments asks of a card processor, whichever it is (contract §6).

A payment is one payment intent per order at the processor, created before any card is
charged and recorded here (`Payment.charge_id`) before it is confirmed: an intent can succeed
once, so an order is never charged twice, whatever the retries, cards tried or crashes; and
what became of it can always be read back from the processor by its id.

Calls that create something name an idempotency key: repeated with the same key (a retry
after a timeout, a request sent twice), the processor answers with the first result and
creates nothing more.
"""

import uuid
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Charge:
    """What a succeeded intent took (minor units, ISO 4217 upper case)."""

    charge_id: str
    amount: int
    currency: str


class ChargeDeclined(Exception):
    """The processor refused the card; `message` is its own words for the buyer. The intent
    can be confirmed again with another card."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProcessorUnavailable(Exception):
    """The processor did not answer in time, or failed: what happened is not known. Safe to
    ask again: an intent is read back by its id."""


class Processor(Protocol):
    # Stored with each payment: its intent is confirmed, voided and refunded through the same.
    name: str

    def intent_create(
        self, *, amount: int, currency: str, order_id: uuid.UUID, idempotency_key: str
    ) -> str:
        """A payment intent for `amount`, nothing charged yet; returns its id. Raises
        `ChargeDeclined` for an amount the processor does not charge (too small)."""

    def intent_confirm(self, *, intent_id: str, token: str, idempotency_key: str) -> Charge:
        """Charges the intent to the card `token` names, at once. An intent that had already
        succeeded (an earlier confirmation whose answer was lost) returns that charge and
        charges nothing more. Raises `ChargeDeclined` or `ProcessorUnavailable`."""

    def intent_void(self, *, intent_id: str) -> Charge | None:
        """Ends an intent so that it can no longer be charged, unless it already was: then
        returns its charge (a confirmation a crash kept from being recorded here)."""

    def refund(self, *, charge_id: str, idempotency_key: str) -> str:
        """Refunds the whole charge of a succeeded intent; returns the processor's refund id.
        Raises `ProcessorUnavailable`."""
