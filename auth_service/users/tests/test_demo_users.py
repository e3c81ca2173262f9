"""`manage.py demo_users`: the demo's accounts, made by the service's own user_create."""

import json
from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command

from users.management.commands.demo_users import DEMO_PASSWORD, DEMO_USERS
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def demo_users(*options: str) -> str:
    out = StringIO()
    call_command("demo_users", *options, stdout=out)
    return out.getvalue()


def test_it_creates_the_demo_accounts_and_prints_their_ids_and_password():
    printed = demo_users()

    users = {user.email: user for user in User.objects.all()}
    assert sorted(users) == sorted(email for email, _sells in DEMO_USERS)
    for email, user in users.items():
        assert user.check_password(DEMO_PASSWORD)
        assert user.is_active
        assert not user.is_staff
        assert f"{email}  {user.id}  " in printed
    assert f"password of each: {DEMO_PASSWORD}" in printed
    # The rules every account's password meets (user_create checked them too).
    validate_password(DEMO_PASSWORD, user=User(email="demo-seller@example.com"))


def test_json_says_who_sells_and_whether_this_run_created_them():
    accounts = json.loads(demo_users("--json"))

    assert [(a["email"], a["sells"]) for a in accounts] == DEMO_USERS
    for account in accounts:
        assert User.objects.get(pk=account["id"]).email == account["email"]
        assert account["password"] == DEMO_PASSWORD
        assert account["created"] is True


def test_running_it_again_changes_nothing():
    first = json.loads(demo_users("--json"))
    # A newcomer changed one account's password since: it stays theirs.
    changed = User.objects.get(email="demo-buyer@example.com")
    changed.set_password("a-password-of-my-own")
    changed.save()

    again = json.loads(demo_users("--json"))

    assert User.objects.count() == len(DEMO_USERS)
    assert [a["id"] for a in again] == [a["id"] for a in first]
    assert {a["created"] for a in again} == {False}
    assert "already there" in demo_users()
    changed.refresh_from_db()
    assert changed.check_password("a-password-of-my-own")


def test_an_account_someone_made_with_a_demo_email_is_used_as_it_is():
    someone = UserFactory(email="demo-seller@example.com")

    accounts = json.loads(demo_users("--json"))

    [seller] = [a for a in accounts if a["email"] == "demo-seller@example.com"]
    assert seller["id"] == str(someone.id)
    assert seller["created"] is False
    assert User.objects.count() == len(DEMO_USERS)


def test_it_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="not for production"):
        demo_users()

    assert not User.objects.exists()
