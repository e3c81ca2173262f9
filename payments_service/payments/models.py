import uuid

from django.db import models
from django.utils import timezone


class OrderCopy(models.Model):
    """What payments knows of an order, kept by orders' events in version order (contract §7):
    whose it is, what it costs, until when it can be paid, and whether it still can."""

    class Status(models.TextChoices):
        CREATED = "created"
        AWAITING_PAYMENT = "awaiting:payment"
        COMPLETE = "complete"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, editable=False)
    # The buyer: the only one who may pay for it.
    user_id = models.UUIDField()
    ticket_id = models.UUIDField()
    # The ticket's price as the order was made, in the currency's units ("20.00").
    price = models.DecimalField(max_digits=9, decimal_places=2)
    status = models.CharField(max_length=32, choices=Status.choices)
    expires_at = models.DateTimeField()
    # The version of the order in orders this copy is at.
    version = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "order copy"
        verbose_name_plural = "order copies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["created", "awaiting:payment", "complete", "cancelled"]
                ),
                name="order_copy_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.id} ({self.status}, v{self.version})"


class Payment(models.Model):
    """An order's payment: one payment intent at the processor, made before any card is
    charged and recorded here first, then confirmed with the buyer's card (again after a
    decline); refunded, or voided if it never charged, when the order ends cancelled."""

    class Status(models.TextChoices):
        # The intent exists; no charge is known (none yet, or one whose answer was lost).
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        REFUNDED = "refunded"
        # The order ended before any card was charged: the intent was voided.
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.OneToOneField(
        # One payment per order (the database's guarantee: the column is unique), so one
        # intent, which can succeed once.
        OrderCopy,
        on_delete=models.PROTECT,
        related_name="payment",
    )
    # Which processor holds the intent (`test`, `stripe`): it is confirmed, voided and
    # refunded through the same.
    processor = models.CharField(max_length=32)
    # The processor's id of the intent (a PaymentIntent's `pi_...` on Stripe).
    charge_id = models.CharField(max_length=255)
    # In the currency's minor unit (cents): integers, never floats.
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Confirmations asked of the processor so far: each is sent with a key of its own.
    confirmations = models.PositiveIntegerField(default=0)
    # Set when the order ended cancelled: the money goes back (a refund, or the intent
    # voided), by a task and, whatever becomes of it, by beat's sweep until it is done.
    refund_requested_at = models.DateTimeField(null=True, blank=True)
    # The processor's id of the refund, once refunded.
    refund_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["processor", "charge_id"], name="payment_one_per_intent"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "succeeded", "refunded", "cancelled"]),
                name="payment_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(status="refunded", refunded_at__isnull=False)
                | (~models.Q(status="refunded") & models.Q(refunded_at__isnull=True, refund_id="")),
                name="payment_refund_recorded",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["succeeded", "refunded"], succeeded_at__isnull=False)
                | (
                    ~models.Q(status__in=["succeeded", "refunded"])
                    & models.Q(succeeded_at__isnull=True)
                ),
                name="payment_charge_recorded",
            ),
        ]
        indexes = [
            # Beat's sweep reads the payments whose money is still to go back.
            models.Index(
                fields=["refund_requested_at"],
                name="payment_refund_due",
                condition=models.Q(
                    refund_requested_at__isnull=False, status__in=["pending", "succeeded"]
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.id} ({self.amount} {self.currency}, {self.status})"


class TestPaymentIntent(models.Model):
    """The built-in test processor's own ledger (payments.processors.builtin): the intents a
    card processor would keep on its side, so that they can be confirmed, voided, refunded and
    read back. Not part of payments' records; no real card is ever charged."""

    __test__ = False  # not a pytest test class

    class Status(models.TextChoices):
        REQUIRES_PAYMENT_METHOD = "requires_payment_method"
        SUCCEEDED = "succeeded"
        CANCELED = "canceled"

    intent_id = models.CharField(max_length=64, primary_key=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    order_id = models.UUIDField(db_index=True)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.REQUIRES_PAYMENT_METHOD
    )
    # Each card that was charged, or tried: what a test reads to tell one charge from two.
    cards_tried = models.JSONField(default=list)
    refund_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "test processor intent"

    def __str__(self) -> str:
        return f"{self.intent_id} ({self.amount} {self.currency}, {self.status})"
