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
    # How many charges the processor declined: each new attempt is a new idempotency key, so
    # a buyer can try another card after a decline (the processor would refuse a key reused
    # with another card), while a submission sent twice reuses one and is charged once.
    declined_charges = models.PositiveIntegerField(default=0)
    # When a charge was last begun, committed before the processor is asked: if the process
    # dies before the charge is recorded, the order's cancellation looks for it at the processor.
    charge_begun_at = models.DateTimeField(null=True, blank=True)
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
    """A charge the card processor made for an order; refunded when the order ends cancelled."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded"
        REFUNDED = "refunded"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.OneToOneField(
        # One charge per order (the database's guarantee: the column is unique).
        OrderCopy,
        on_delete=models.PROTECT,
        related_name="payment",
    )
    # Which processor made the charge (`test`, `stripe`): its refund goes through the same.
    processor = models.CharField(max_length=32)
    # The processor's id of the charge (a PaymentIntent's `pi_...` on Stripe).
    charge_id = models.CharField(max_length=255)
    # In the currency's minor unit (cents): integers, never floats.
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUCCEEDED)
    # The processor's id of the refund, once refunded.
    refund_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["processor", "charge_id"], name="payment_one_per_charge"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["succeeded", "refunded"]),
                name="payment_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(status="succeeded", refunded_at__isnull=True, refund_id="")
                | models.Q(status="refunded", refunded_at__isnull=False),
                name="payment_refund_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.id} ({self.amount} {self.currency}, {self.status})"


class TestCharge(models.Model):
    """The built-in test processor's own ledger (payments.processors.builtin): what a card
    processor would keep on its side, so that a charge is idempotent and can be refunded and
    found again. Not part of payments' records; no real card is ever charged."""

    __test__ = False  # not a pytest test class

    charge_id = models.CharField(max_length=64, primary_key=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    order_id = models.UUIDField(db_index=True)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    refund_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "test processor charge"

    def __str__(self) -> str:
        return f"{self.charge_id} ({self.amount} {self.currency})"
