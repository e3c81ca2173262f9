import uuid
from datetime import UTC, datetime, timedelta

import pytest

from ticketing_shared.events.models import InboxEvent, OutboxEvent
from ticketing_shared.events.retention import events_retention_apply

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)


def outbox_row(*, age_days: float, sent: bool = True, set_aside: bool = False) -> OutboxEvent:
    at = NOW - timedelta(days=age_days)
    return OutboxEvent.objects.create(
        event_id=uuid.uuid4(), subject="order:created", consumers=["tickets"], occurred_at=at,
        envelope={}, published_at=at if sent else None, set_aside_at=at if set_aside else None,
    )  # fmt: skip


def inbox_row(*, age_days: float) -> InboxEvent:
    row = InboxEvent.objects.create(event_id=uuid.uuid4(), consumer="tickets", subject="x")
    # processed_at is stamped on insert; age it as the days would have.
    InboxEvent.objects.filter(pk=row.pk).update(processed_at=NOW - timedelta(days=age_days))
    return row


def test_sent_outbox_rows_older_than_the_window_go_and_nothing_else(settings):
    settings.EVENTS_OUTBOX_RETENTION_DAYS = 7
    old_sent = [outbox_row(age_days=8 + index) for index in range(5)]
    kept = [
        outbox_row(age_days=6),  # sent within the window
        outbox_row(age_days=30, sent=False),  # pending: still owed to its consumers
        outbox_row(age_days=30, sent=False, set_aside=True),  # set aside: still owed
    ]

    deleted = events_retention_apply(batch_size=2)

    assert deleted["outbox"] == len(old_sent)
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {row.pk for row in kept}


def test_outbox_rows_are_kept_forever_by_default(settings):
    assert settings.EVENTS_OUTBOX_RETENTION_DAYS == 0  # events_replay rebuilds from them
    outbox_row(age_days=3650)

    assert events_retention_apply()["outbox"] == 0
    assert OutboxEvent.objects.count() == 1


def test_inbox_rows_older_than_the_window_go(settings):
    assert settings.EVENTS_INBOX_RETENTION_DAYS == 30
    old = [inbox_row(age_days=31 + index) for index in range(5)]
    recent = [inbox_row(age_days=29), inbox_row(age_days=0)]

    deleted = events_retention_apply(batch_size=2)

    assert deleted["inbox"] == len(old)
    assert set(InboxEvent.objects.values_list("pk", flat=True)) == {row.pk for row in recent}


def test_an_inbox_window_of_zero_keeps_every_row(settings):
    settings.EVENTS_INBOX_RETENTION_DAYS = 0
    inbox_row(age_days=3650)

    assert events_retention_apply()["inbox"] == 0
    assert InboxEvent.objects.count() == 1
