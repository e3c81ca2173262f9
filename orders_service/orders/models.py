import uuid
from decimal import Decimal

from django.db import models
from django.utils import timezone

# The prices tickets accepts (its `tickets.models.PRICE_MIN` and `PRICE_MAX`): what a copy,
# and so an order, can hold, as the schema tells clients.
TICKET_PRICE_MIN = Decimal("0.01")
TICKET_PRICE_MAX = Decimal("1000000.00")


class TicketCopy(models.Model):
    """What orders knows of a ticket, kept by tickets' events in version order (contract §7):
    what an order shows of it and what a buyer pays."""

    id = models.UUIDField(primary_key=True, editable=False)
    title = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=9, decimal_places=2)
    # The seller: nobody buys their own ticket.
    user_id = models.UUIDField()
    # The version of the ticket in tickets this copy is at.
    version = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "ticket copy"
        verbose_name_plural = "ticket copies"

    def __str__(self) -> str:
        return f"{self.title} ({self.price}, v{self.version})"


class Order(models.Model):
    """A buyer's order for one ticket. Its `version` rises by one with every change, each
    announced (orders.services), so the copies other services keep never see a gap."""

    class Status(models.TextChoices):
        CREATED = "created"
        AWAITING_PAYMENT = "awaiting:payment"
        COMPLETE = "complete"
        CANCELLED = "cancelled"

    # The statuses in which an order holds its ticket: at most one such order per ticket.
    HOLDING = (Status.CREATED, Status.AWAITING_PAYMENT, Status.COMPLETE)
    # The statuses an order can still expire or be cancelled from.
    OPEN = (Status.CREATED, Status.AWAITING_PAYMENT)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Users live in the auth service: only their ids are kept here.
    user_id = models.UUIDField()
    ticket = models.ForeignKey(TicketCopy, on_delete=models.PROTECT, related_name="orders")
    # The ticket as it was bought: what the order shows and what the buyer is charged
    # (`order:created` carries the price), whatever the seller's edits that reach the copy
    # later (one can, made before tickets learned of the order).
    ticket_title = models.CharField(max_length=200)
    ticket_price = models.DecimalField(max_digits=9, decimal_places=2)
    ticket_version = models.PositiveIntegerField()
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.CREATED)
    expires_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Not auto_now: every change is a conditional .update() (orders.services), which auto_now
    # would not see; the services set it.
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The one guarantee that a ticket is never sold twice, whatever the concurrency
            # (contract §5): two orders holding one ticket cannot both be written.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=models.Q(status__in=["created", "awaiting:payment", "complete"]),
                name="order_one_holding_per_ticket",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["created", "awaiting:payment", "complete", "cancelled"]
                ),
                name="order_status_known",
            ),
        ]
        indexes = [
            models.Index(fields=["user_id", "-created_at", "-id"], name="order_buyer_newest"),
            # The expiry sweep reads the open orders due first.
            models.Index(
                fields=["expires_at"],
                name="order_open_expiring",
                condition=models.Q(status__in=["created", "awaiting:payment"]),
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.id} ({self.status})"
