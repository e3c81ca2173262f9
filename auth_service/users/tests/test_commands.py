"""Django's account commands, on this project's users."""

import pytest
from django.contrib.auth.management.commands import changepassword
from django.core.management import CommandError, call_command
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from users.models import User
from users.services import session_start
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def create_superuser(monkeypatch, email):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-and-unusual-passphrase")
    call_command("createsuperuser", "--noinput", "--email", email, verbosity=0)


def test_createsuperuser_stores_the_normalized_email(monkeypatch):
    create_superuser(monkeypatch, "Admin@Example.COM")

    admin = User.objects.get()
    assert admin.email == "admin@example.com"
    assert admin.is_staff
    assert admin.is_superuser


def test_createsuperuser_refuses_another_spelling_of_a_taken_email(monkeypatch):
    UserFactory(email="admin@example.com")

    with pytest.raises(CommandError, match="already taken"):
        create_superuser(monkeypatch, "ADMIN@example.com")


def test_createsuperuser_refuses_a_look_alike(monkeypatch):
    UserFactory(email="admin@example.com")

    with pytest.raises(CommandError, match="Email must be valid"):
        create_superuser(monkeypatch, "\u0430dmin@example.com")  # CYRILLIC SMALL LETTER A
    with pytest.raises(CommandError, match="Email must be valid"):
        create_superuser(monkeypatch, "ad\u0131min@example.com")  # DOTLESS I

    assert User.objects.count() == 1


def test_changepassword_ends_every_session(monkeypatch):
    user = UserFactory()
    tokens = session_start(user=user)
    # The command asks twice on the terminal; this stands in for the person typing.
    monkeypatch.setattr(changepassword.getpass, "getpass", lambda prompt: "a-brand-new-passphrase")

    call_command("changepassword", user.email, verbosity=0)

    user.refresh_from_db()
    assert user.check_password("a-brand-new-passphrase")
    with pytest.raises(TokenError, match="blacklisted"):
        RefreshToken(tokens.refresh)
