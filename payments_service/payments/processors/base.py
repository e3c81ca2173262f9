"""What payments asks of a card processor, whichever it is (contract §6).

Every call names an idempotency key: a call repeated with the same key (a retry after a
timeout, a request sent twice, a worker that died mid-refund) is answered with the result of
the first and changes nothing more at the processor.
"""

import uuid
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Charge:
    """A charge the processor made: its id, and what it took (minor units, ISO 4217)."""

    charge_id: str
    amount: int
    currency: str


class ChargeDeclined(Exception):
    """The processor refused the card; `message` is its own words for the buyer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProcessorUnavailable(Exception):
    """The processor did not answer in time, or failed: nothing is known to be charged or
    refunded. Safe to try again with the same idempotency key."""


class Processor(Protocol):
    # Stored with each payment, so that its refund goes through the processor that charged it.
    name: str

    def charge(
        self, *, amount: int, currency: str, token: str, order_id: uuid.UUID, idempotency_key: str
    ) -> Charge:
        """Charges `amount` to the card `token` names, at once; raises `ChargeDeclined` or
        `ProcessorUnavailable`."""

    def refund(self, *, charge_id: str, idempotency_key: str) -> str:
        """Refunds the whole charge; returns the processor's refund id. Raises
        `ProcessorUnavailable`."""

    def charge_find(self, *, order_id: uuid.UUID) -> Charge | None:
        """The succeeded charge the processor holds for this order, if any: one a crash kept
        from being recorded here, found again when the order ends cancelled."""
