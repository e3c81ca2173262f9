from django.db import models


class Copy(models.Model):
    """The consumer's copy of another service's aggregate, as its events describe it."""

    aggregate_id = models.UUIDField(unique=True)
    version = models.IntegerField()
    subject = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.aggregate_id} v{self.version}"


class Application(models.Model):
    """One row per event applied, in the order applied: what the tests read."""

    aggregate_id = models.UUIDField()
    version = models.IntegerField()
    subject = models.CharField(max_length=64)
    event_id = models.UUIDField()
    # The PostgreSQL backend that applied it: shows whether workers keep their connections.
    connection_pid = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.subject} {self.aggregate_id} v{self.version}"
