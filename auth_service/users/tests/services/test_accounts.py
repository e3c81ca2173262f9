import pytest
from django.core.exceptions import ValidationError
from rest_framework_simplejwt.tokens import AccessToken

from ticketing_shared.errors.exceptions import ApplicationError, NotAuthorized, TooManyAttempts
from users.services import (
    session_refresh,
    session_start,
    user_create,
    user_deactivate,
    user_reactivate,
    user_sign_in,
)
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


class TestUserCreate:
    def test_normalizes_the_email_and_hashes_the_password(self):
        user = user_create(email="  Mixed@Case.COM ", password="a-long-and-unusual-passphrase")

        assert user.email == "mixed@case.com"
        assert user.check_password("a-long-and-unusual-passphrase")

    def test_refuses_a_weak_password_by_field(self):
        with pytest.raises(ValidationError) as raised:
            user_create(email="a@example.com", password="12345678")

        assert raised.value.message_dict == {"password": ["This password is too common."]}

    def test_refuses_an_email_the_rule_refuses(self):
        with pytest.raises(ApplicationError, match="Email must be valid") as raised:
            user_create(email="\u017fam@example.com", password="a-long-and-unusual-passphrase")

        assert raised.value.field == "email"

    def test_refuses_a_taken_email_in_any_case(self):
        UserFactory(email="taken@example.com")

        with pytest.raises(ApplicationError, match="Email in use"):
            user_create(email="Taken@Example.com", password="a-long-and-unusual-passphrase")


class TestUserSignIn:
    def test_starts_a_session_of_the_user_and_records_the_time(self):
        user = UserFactory(email="owner@example.com")

        signed_in, tokens = user_sign_in(
            email=" Owner@Example.com", password=DEFAULT_PASSWORD, ip="192.0.2.1"
        )

        assert signed_in == user
        assert AccessToken(tokens.access)["id"] == str(user.id)
        session_refresh(refresh=tokens.refresh)
        user.refresh_from_db()
        assert user.last_login is not None

    def test_a_wrong_password_is_invalid_credentials(self):
        user = UserFactory()

        with pytest.raises(ApplicationError, match="Invalid credentials") as raised:
            user_sign_in(email=user.email, password="wrong", ip="192.0.2.1")

        assert raised.value.field is None

    def test_staff_only_refuses_an_account_that_is_not_staff_alike(self):
        user = UserFactory()

        with pytest.raises(ApplicationError, match="Invalid credentials"):
            user_sign_in(
                email=user.email, password=DEFAULT_PASSWORD, ip="192.0.2.1", staff_only=True
            )

    def test_refuses_over_a_limit_before_the_password(self, settings):
        settings.SIGNIN_MAX_FAILURES_PER_EMAIL_AND_IP = 1
        user = UserFactory()
        with pytest.raises(ApplicationError):
            user_sign_in(email=user.email, password="wrong", ip="192.0.2.1")

        with pytest.raises(TooManyAttempts) as raised:
            user_sign_in(email=user.email, password=DEFAULT_PASSWORD, ip="192.0.2.1")

        assert raised.value.retry_after > 0


def test_deactivation_revokes_every_session_and_reactivation_allows_new_ones():
    user = UserFactory()
    sessions = [session_start(user=user) for _ in range(3)]

    user_deactivate(user=user)

    for tokens in sessions:
        with pytest.raises(NotAuthorized):
            session_refresh(refresh=tokens.refresh)
    user_reactivate(user=user)
    session_refresh(refresh=session_start(user=user).refresh)
