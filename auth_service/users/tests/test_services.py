import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from ticketing_shared.errors.exceptions import BadRequest, NotAuthorized
from users.services import (
    session_end,
    session_refresh,
    session_start,
    user_create,
    user_deactivate,
    user_reactivate,
)
from users.tests.factories import UserFactory

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

    def test_refuses_a_taken_email_in_any_case(self):
        UserFactory(email="taken@example.com")

        with pytest.raises(BadRequest, match="Email in use"):
            user_create(email="Taken@Example.com", password="a-long-and-unusual-passphrase")


class TestSessions:
    def test_tokens_carry_the_claims_other_services_read(self):
        staff = UserFactory(is_staff=True)

        access = AccessToken(session_start(user=staff).access)

        assert access["id"] == str(staff.id)
        assert access["email"] == staff.email
        assert access["is_staff"] is True
        assert access["is_superuser"] is False

    def test_a_refresh_token_rotates_once(self):
        tokens = session_start(user=UserFactory())

        session_refresh(refresh=tokens.refresh)

        with pytest.raises(NotAuthorized):
            session_refresh(refresh=tokens.refresh)

    def test_an_ended_session_cannot_refresh(self):
        tokens = session_start(user=UserFactory())

        session_end(refresh=tokens.refresh)

        with pytest.raises(NotAuthorized):
            session_refresh(refresh=tokens.refresh)

    def test_ending_a_broken_token_does_nothing(self):
        session_end(refresh="not-a-token")
        session_end(refresh=None)


@pytest.mark.django_db(transaction=True)
def test_racing_refreshes_of_one_token_rotate_it_once():
    tokens = session_start(user=UserFactory())
    racers = 8
    start = threading.Barrier(racers)

    def refresh(_):
        try:
            start.wait()
            session_refresh(refresh=tokens.refresh)
            return "rotated"
        except NotAuthorized:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=racers) as pool:
        outcomes = list(pool.map(refresh, range(racers)))

    assert sorted(outcomes) == ["refused"] * (racers - 1) + ["rotated"]


def test_deactivation_revokes_every_session_and_reactivation_allows_new_ones():
    user = UserFactory()
    sessions = [session_start(user=user) for _ in range(3)]

    user_deactivate(user=user)

    for tokens in sessions:
        with pytest.raises(NotAuthorized):
            session_refresh(refresh=tokens.refresh)
    user_reactivate(user=user)
    session_refresh(refresh=session_start(user=user).refresh)
