from django.contrib.postgres.fields import ArrayField
from django.db import models


class OutboxEvent(models.Model):
    """An event this service announced, written in the transaction of the change itself.

    Rows are kept once published (for `EVENTS_OUTBOX_RETENTION_DAYS`, forever by default): they
    are the history a replay rebuilds other services from. `position` orders them as they were
    committed... closely enough: ids are taken at insert, so two concurrent transactions may
    commit in the other order, which consumers' version checks absorb.

    A row is pending until it is sent (`published_at`) or set aside (`set_aside_at`): a row
    that could not be sent `EVENTS_OUTBOX_MAX_ATTEMPTS` times for a reason of its own waits
    there for someone to look at it, so that the rows behind it keep flowing.
    """

    position = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True)
    subject = models.CharField(max_length=64)
    # The services it goes to, as the catalog named them when it was published: the relay
    # sends to these and never asks the catalog again, which may have changed since.
    consumers = ArrayField(models.CharField(max_length=64), default=list)
    occurred_at = models.DateTimeField()
    envelope = models.JSONField()
    published_at = models.DateTimeField(null=True, blank=True)
    # Failed tries that were the row's own fault; a broker outage counts none.
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    set_aside_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        indexes = [
            models.Index(
                fields=["position"],
                condition=models.Q(published_at__isnull=True, set_aside_at__isnull=True),
                name="events_outbox_pending",
            ),
            models.Index(fields=["subject", "occurred_at"], name="events_outbox_subject_time"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.event_id}"


class InboxEvent(models.Model):
    """An event this service has applied: the key that makes redelivery harmless."""

    event_id = models.UUIDField()
    consumer = models.CharField(max_length=64)
    subject = models.CharField(max_length=64)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event_id", "consumer"], name="events_inbox_once"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.event_id}"


class DeadLetter(models.Model):
    """An event this service gave up on after its attempts ran out; an admin can replay it."""

    event_id = models.UUIDField()
    subject = models.CharField(max_length=64)
    consumer = models.CharField(max_length=64)
    envelope = models.JSONField()
    error = models.TextField()
    attempts = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["event_id"], name="events_deadletter_event")]

    def __str__(self) -> str:
        return f"{self.subject} {self.event_id}"
