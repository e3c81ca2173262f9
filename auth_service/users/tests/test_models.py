import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import IntegrityError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from users.models import User
from users.services import session_refresh, session_start
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "email",
    [
        "CASE@example.com",  # not lower case
        "\u017fam@example.com",  # outside ASCII: UPPER() and lower() disagree on these
        "\u0131an@example.com",
        "with space@example.com",
    ],
)
def test_the_database_refuses_an_email_that_skipped_the_rule(email):
    with pytest.raises(IntegrityError):
        # bulk_create skips every Python-side normalization: only the database stands in the way.
        User.objects.bulk_create([User(email=email)])


def test_the_database_refuses_one_email_twice():
    User.objects.bulk_create([User(email="case@example.com")])

    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="case@example.com")])


def test_signing_in_by_email_ignores_letter_case():
    user = User.objects.create_user("person@example.com", "a-long-and-unusual-passphrase")

    assert User.objects.get_by_natural_key(" PERSON@Example.com ") == user


@pytest.mark.parametrize("look_alike", ["\u017fam@example.com", "\u212aam@example.com"])
def test_a_look_alike_names_no_account(look_alike):
    User.objects.create_user("sam@example.com", "a-long-and-unusual-passphrase")
    User.objects.create_user("kam@example.com", "a-long-and-unusual-passphrase")

    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key(look_alike)


class TestAPasswordChangeEndsEverySession:
    def refresh_tokens_revoked(self, user) -> bool:
        return BlacklistedToken.objects.filter(token__user=user).count() == 2

    def test_set_password_and_save(self):
        user = UserFactory()
        session_start(user=user)
        session_start(user=user)

        user.set_password("another-long-passphrase")
        user.save()

        assert self.refresh_tokens_revoked(user)

    def test_an_unusable_password(self):
        user = UserFactory()
        session_start(user=user)
        session_start(user=user)

        user.set_unusable_password()
        user.save()

        assert self.refresh_tokens_revoked(user)

    def test_other_saves_leave_sessions_alone(self):
        user = UserFactory()
        user.set_password("another-long-passphrase")
        user.save()
        tokens = session_start(user=user)  # a session opened with the new password

        user.is_staff = True
        user.save()
        user.refresh_from_db()
        user.email = "moved@example.com"
        user.save()

        assert not BlacklistedToken.objects.filter(token__user=user).exists()
        assert session_refresh(refresh=tokens.refresh)

    def test_an_upgraded_hash_is_no_password_change(self, settings):
        settings.PASSWORD_HASHERS = [
            "django.contrib.auth.hashers.MD5PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ]
        user = UserFactory()
        older_hash = PBKDF2PasswordHasher().encode(DEFAULT_PASSWORD, "somesalt", iterations=1)
        User.objects.filter(pk=user.pk).update(password=older_hash)
        user.refresh_from_db()
        session_start(user=user)

        assert user.check_password(DEFAULT_PASSWORD)  # rehashes with the preferred hasher

        user.refresh_from_db()
        assert user.password.startswith("md5$")
        assert not BlacklistedToken.objects.filter(token__user=user).exists()
