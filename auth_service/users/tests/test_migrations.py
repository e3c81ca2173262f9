"""The migration that normalized the emails stored before the rule."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("users", "0001_initial")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state(target).apps


@pytest.fixture
def accounts_from_before():
    """Inserts accounts as the schema before the migration held them; the test then migrates."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("users")[0]
    old_user = migrate(BEFORE).get_model("users", "User")

    def insert(*emails):
        return {email: old_user.objects.create(email=email, password="!").pk for email in emails}

    yield insert
    old_user.objects.all().delete()
    migrate(latest)


def migrate_forward():
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("users"))


def stored_emails() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM users_user")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_emails_are_stored_normalized(accounts_from_before):
    accounts_from_before("Mixed@Example.COM", "plain@example.com")

    migrate_forward()

    assert stored_emails() == {"mixed@example.com", "plain@example.com"}


@pytest.mark.django_db(transaction=True)
def test_accounts_that_share_an_address_stop_it_with_their_list(accounts_from_before):
    long_s, dotless_i = "\u017fam@example.com", "\u0131van@example.com"
    ids = accounts_from_before("sam@example.com", long_s, dotless_i, "Other@Example.com")

    with pytest.raises(Exception, match="cannot be normalized without a decision") as raised:
        migrate_forward()

    message = str(raised.value)
    collision = next(line for line in message.splitlines() if "several accounts" in line)
    assert f"'sam@example.com' (id {ids['sam@example.com']})" in collision
    assert f"{long_s!r} (id {ids[long_s]})" in collision
    refused = next(line for line in message.splitlines() if "refuses" in line)
    assert f"{dotless_i!r} (id {ids[dotless_i]})" in refused
    assert "Other@Example.com" not in message
    # Nothing was changed: an operator decides first.
    assert "Other@Example.com" in stored_emails()
