import uuid
from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

TITLE_MAX_LENGTH = 200
PRICE_MIN = Decimal("0.01")
PRICE_MAX = Decimal("1000000.00")


class Ticket(models.Model):
    """A ticket for sale. Its `version` rises by one with every change, each announced as
    `ticket:updated` (tickets.services), so the copies other services keep never see a gap."""

    class Status(models.TextChoices):
        AVAILABLE = "available"
        # An order holds it and awaits payment.
        RESERVED = "reserved"
        SOLD = "sold"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    # The title as searches compare it (`tickets.search.search_key`), written with the title.
    # Folding can lengthen a title (ß becomes ss, a ligature two letters): no limit of its own.
    title_search = models.TextField(editable=False)
    price = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(PRICE_MIN), MaxValueValidator(PRICE_MAX)],
    )
    # Users live in the auth service: only their ids are kept here.
    user_id = models.UUIDField()
    # The order holding it: set while reserved and once sold.
    order_id = models.UUIDField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AVAILABLE)
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Not auto_now: every change is a conditional .update() (tickets.services), which
    # auto_now would not see; the services set it.
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        # Newest first everywhere; `id` breaks ties of one instant, so that the order is total
        # and a page can start right after the last ticket of the one before (keyset).
        ordering = ["-created_at", "-id"]
        indexes = [
            # The public list reads available tickets only, newest first, page after page.
            models.Index(
                fields=["-created_at", "-id"],
                name="ticket_available_newest",
                condition=models.Q(status="available"),
            ),
            models.Index(fields=["user_id", "-created_at", "-id"], name="ticket_seller_newest"),
            # `?q=` finds titles whose search key contains the search's: LIKE '%key%',
            # which a trigram index serves.
            GinIndex(OpClass("title_search", name="gin_trgm_ops"), name="ticket_title_search_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gt=0, price__lte=PRICE_MAX), name="ticket_price_range"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["available", "reserved", "sold"]),
                name="ticket_status_known",
            ),
            # An order holds every ticket that is not available, and none that is.
            models.CheckConstraint(
                condition=(
                    models.Q(status="available", order_id__isnull=True)
                    | (~models.Q(status="available") & models.Q(order_id__isnull=False))
                ),
                name="ticket_order_held_unless_available",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.price})"

    @property
    def is_available(self) -> bool:
        return self.status == self.Status.AVAILABLE


class OrderCopy(models.Model):
    """What tickets knows of an order: enough to apply order events in each order's version
    order (contract §7), and to ignore a creation that comes after its order's cancellation."""

    class Status(models.TextChoices):
        CREATED = "created"
        CANCELLED = "cancelled"
        COMPLETE = "complete"

    id = models.UUIDField(primary_key=True, editable=False)
    ticket_id = models.UUIDField()
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "order copy"
        verbose_name_plural = "order copies"
        indexes = [models.Index(fields=["ticket_id"], name="ordercopy_ticket")]

    def __str__(self) -> str:
        return f"order {self.id} (v{self.version}, {self.status})"
