"""The migrations that normalized the emails stored before the rule: 0002, and 0003 again
right before its constraint."""

import ast
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ticketing_shared.testing.schema import migration_latest, schema_migrate

BEFORE_THE_RULE = ("users", "0001_initial")
BEFORE_THE_CONSTRAINT = ("users", "0002_email_normalize")
MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


@pytest.fixture
def accounts_at():
    """Inserts accounts as the schema at a given migration held them (as the code of that
    release wrote them); the test then migrates forward."""
    latest = migration_latest("users")
    old_users = []

    def insert(migration, *emails):
        old_user = schema_migrate(migration).get_model("users", "User")
        old_users.append(old_user)
        return {email: old_user.objects.create(email=email, password="!").pk for email in emails}

    yield insert
    for old_user in old_users:
        old_user.objects.all().delete()
    schema_migrate(latest)


def migrate_forward():
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("users"))


def stored_emails() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM users_user")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_emails_are_stored_normalized(accounts_at):
    accounts_at(BEFORE_THE_RULE, "Mixed@Example.COM", "plain@example.com")

    migrate_forward()

    assert stored_emails() == {"mixed@example.com", "plain@example.com"}


def assert_stopped_with_the_list(raised, ids, long_s, dotless_i):
    message = str(raised.value)
    assert "cannot be normalized without a decision" in message
    collision = next(line for line in message.splitlines() if "several accounts" in line)
    assert f"'sam@example.com' (id {ids['sam@example.com']})" in collision
    assert f"{long_s!r} (id {ids[long_s]})" in collision
    refused = next(line for line in message.splitlines() if "refuses" in line)
    assert f"{dotless_i!r} (id {ids[dotless_i]})" in refused
    assert "Other@Example.com" not in message


@pytest.mark.django_db(transaction=True)
def test_accounts_that_share_an_address_stop_it_with_their_list(accounts_at):
    long_s, dotless_i = "\u017fam@example.com", "\u0131van@example.com"
    ids = accounts_at(BEFORE_THE_RULE, "sam@example.com", long_s, dotless_i, "Other@Example.com")

    with pytest.raises(Exception, match="cannot be normalized without a decision") as raised:
        migrate_forward()

    assert_stopped_with_the_list(raised, ids, long_s, dotless_i)
    # Nothing was changed: an operator decides first.
    assert "Other@Example.com" in stored_emails()


class TestEmailsWrittenBetween0002And0003:
    """Pods of the release before 0002 keep serving during a rolling update: whatever they
    wrote after 0002 ran is normalized before 0003's constraint, or stops it with the list."""

    @pytest.mark.django_db(transaction=True)
    def test_are_normalized_before_the_constraint(self, accounts_at):
        accounts_at(BEFORE_THE_CONSTRAINT, "Late@Example.COM", " spaced@example.com ")

        migrate_forward()

        assert stored_emails() == {"late@example.com", "spaced@example.com"}

    @pytest.mark.django_db(transaction=True)
    def test_that_collide_stop_it_with_their_list(self, accounts_at):
        long_s, dotless_i = "\u017fam@example.com", "\u0131van@example.com"
        ids = accounts_at(
            BEFORE_THE_CONSTRAINT, "sam@example.com", long_s, dotless_i, "Other@Example.com"
        )

        with pytest.raises(Exception, match="cannot be normalized without a decision") as raised:
            migrate_forward()

        assert_stopped_with_the_list(raised, ids, long_s, dotless_i)
        assert "Other@Example.com" in stored_emails()


def test_the_normalizing_migration_keeps_its_own_copy_of_the_rule():
    """A later change to `users.emails` must not change what 0002 (and 0003 with it) did."""
    tree = ast.parse((MIGRATIONS_DIR / "0002_email_normalize.py").read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }

    assert {name for name in imported if name.split(".")[0] == "users"} == set()
