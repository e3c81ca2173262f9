import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_CONSUMERS = ("events", "0001_initial")
CONSUMERS_RECORDED = ("events", "0002_outbox_consumers_set_aside")


@pytest.fixture
def events_migrated_back_to_before_consumers():
    MigrationExecutor(connection).migrate([BEFORE_CONSUMERS])
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def outbox_row_insert(subject: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO events_outboxevent (event_id, subject, occurred_at, envelope, attempts,"
            " last_error) VALUES (%s, %s, %s, '{}', 0, '')",
            [uuid.uuid4(), subject, datetime.now(UTC)],
        )


@pytest.mark.usefixtures("events_migrated_back_to_before_consumers")
def test_rows_written_before_consumers_were_recorded_get_the_catalogs():
    for subject in ("order:created", "ticket:created", "ticket:renamed"):
        outbox_row_insert(subject)

    MigrationExecutor(connection).migrate([CONSUMERS_RECORDED])

    with connection.cursor() as cursor:
        cursor.execute("SELECT subject, consumers FROM events_outboxevent ORDER BY position")
        rows = cursor.fetchall()
    assert rows == [
        ("order:created", ["tickets", "payments"]),
        ("ticket:created", ["orders"]),
        ("ticket:renamed", []),  # no longer in the catalog: the relay sets it aside
    ]
