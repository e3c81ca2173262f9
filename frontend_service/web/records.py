"""What the APIs answer, as the pages use it: prices as Decimal, times as aware datetimes."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_datetime


@dataclass(frozen=True)
class Ticket:
    id: str
    title: str
    price: Decimal
    user_id: str
    version: int
    status: str
    order_id: str | None

    @classmethod
    def from_api(cls, data: dict) -> "Ticket":
        return cls(
            id=data["id"],
            title=data["title"],
            price=Decimal(str(data["price"])),
            user_id=data["userId"],
            version=data["version"],
            status=data.get("status", "available"),
            order_id=data.get("orderId"),
        )

    @property
    def is_available(self) -> bool:
        return self.status == "available"


@dataclass(frozen=True)
class OrderTicket:
    id: str
    title: str
    price: Decimal


@dataclass(frozen=True)
class Order:
    id: str
    user_id: str
    status: str
    expires_at: datetime
    ticket: OrderTicket

    OPEN_STATUSES = ("created", "awaiting:payment")

    @classmethod
    def from_api(cls, data: dict) -> "Order":
        ticket = data["ticket"]
        expires_at = parse_datetime(data["expiresAt"])
        if expires_at is None or timezone.is_naive(expires_at):
            raise ValueError(f"expiresAt is no date and time with its offset: {expires_at!r}")
        return cls(
            id=data["id"],
            user_id=data["userId"],
            status=data["status"],
            expires_at=expires_at,
            ticket=OrderTicket(
                id=ticket["id"], title=ticket["title"], price=Decimal(str(ticket["price"]))
            ),
        )

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_expired(self) -> bool:
        """Still open but past its time: the sweep cancels it within seconds."""
        return self.is_open and self.expires_at <= timezone.now()

    @property
    def is_payable(self) -> bool:
        return self.is_open and not self.is_expired

    @property
    def state(self) -> str:
        """The state a person reads: open, expired, paid or cancelled."""
        if self.status == "complete":
            return "paid"
        if self.status == "cancelled":
            return "cancelled"
        return "expired" if self.is_expired else "open"

    @property
    def seconds_left(self) -> int:
        return max(0, int((self.expires_at - timezone.now()).total_seconds()))
