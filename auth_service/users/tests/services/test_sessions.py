import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from ticketing_shared.errors.exceptions import NotAuthorized
from ticketing_shared.testing.concurrency import concurrently
from users.models import SessionToken
from users.services import (
    refresh_successor_cache_key,
    session_end,
    session_refresh,
    session_start,
    user_deactivate,
    user_sessions_lock,
)
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _successor_key(refresh: str) -> str:
    jti = RefreshToken(refresh, verify=False)["jti"]
    return cache.make_key(refresh_successor_cache_key(jti))


def reuse_window_left(refresh: str) -> int:
    """Seconds the pair `refresh` was rotated into is still handed out again."""
    return redis.Redis.from_url(settings.REDIS_URL).ttl(_successor_key(refresh))


def reuse_window_end(refresh: str) -> None:
    """What the end of the reuse window does: the successor pair is forgotten."""
    redis.Redis.from_url(settings.REDIS_URL).delete(_successor_key(refresh))


class TestSessions:
    def test_tokens_carry_the_claims_other_services_read(self):
        staff = UserFactory(is_staff=True)

        access = AccessToken(session_start(user=staff).access)

        assert access["id"] == str(staff.id)
        assert access["email"] == staff.email
        assert access["is_staff"] is True
        assert access["is_superuser"] is False

    def test_a_refresh_token_rotates_once(self, settings):
        settings.JWT_REFRESH_REUSE_SECONDS = 0  # no reuse window
        tokens = session_start(user=UserFactory())

        session_refresh(refresh=tokens.refresh)

        with pytest.raises(NotAuthorized):
            session_refresh(refresh=tokens.refresh)

    def test_a_rotated_token_gets_its_pair_again_within_the_reuse_window_only(self, settings):
        settings.JWT_REFRESH_REUSE_SECONDS = 30
        user = UserFactory()
        tokens = session_start(user=user)

        _user, rotated = session_refresh(refresh=tokens.refresh)
        again_user, again = session_refresh(refresh=tokens.refresh)

        assert (again_user, again) == (user, rotated)
        assert OutstandingToken.objects.filter(user=user).count() == 2  # minted once
        assert 25 <= reuse_window_left(tokens.refresh) <= 30
        reuse_window_end(tokens.refresh)
        with pytest.raises(NotAuthorized):
            session_refresh(refresh=tokens.refresh)
        # Presented after the window, the old token is taken as stolen: the session ends.
        with pytest.raises(NotAuthorized):
            session_refresh(refresh=rotated.refresh)

    def test_a_reused_token_ends_its_session_even_though_the_refusal_is_an_error(self, settings):
        settings.JWT_REFRESH_REUSE_SECONDS = 0
        user = UserFactory()
        tokens = session_start(user=user)
        _user, rotated = session_refresh(refresh=tokens.refresh)

        with pytest.raises(NotAuthorized):
            session_refresh(refresh=tokens.refresh)

        assert BlacklistedToken.objects.filter(
            token__jti=RefreshToken(rotated.refresh, verify=False)["jti"]
        ).exists()

    def test_within_the_window_a_successor_whose_session_ended_is_not_handed_out(self, settings):
        settings.JWT_REFRESH_REUSE_SECONDS = 10
        tokens = session_start(user=UserFactory())
        _user, rotated = session_refresh(refresh=tokens.refresh)
        session_end(refresh=rotated.refresh)

        with pytest.raises(NotAuthorized):
            session_refresh(refresh=tokens.refresh)

    def test_a_token_minted_before_sessions_were_tracked_joins_one_at_its_rotation(self, settings):
        settings.JWT_REFRESH_REUSE_SECONDS = 0
        user = UserFactory()
        tokens = session_start(user=user)
        SessionToken.objects.filter(
            token__jti=RefreshToken(tokens.refresh, verify=False)["jti"]
        ).delete()
        _user, rotated = session_refresh(refresh=tokens.refresh)

        with pytest.raises(NotAuthorized):
            session_refresh(refresh=tokens.refresh)
        with pytest.raises(NotAuthorized):
            session_refresh(refresh=rotated.refresh)

    def test_a_deactivated_user_gets_nothing_within_the_reuse_window(self):
        user = UserFactory()
        tokens = session_start(user=user)
        session_refresh(refresh=tokens.refresh)

        user_deactivate(user=user)

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
def test_racing_refreshes_of_one_token_rotate_it_once_and_all_get_the_new_pair():
    user = UserFactory()
    tokens = session_start(user=user)

    def refresh(_n: int):
        try:
            return session_refresh(refresh=tokens.refresh)[1]
        except NotAuthorized:
            return "refused"

    outcomes = concurrently(8, refresh)

    assert "refused" not in outcomes
    assert len(set(outcomes)) == 1  # one pair for all
    assert OutstandingToken.objects.filter(user=user).count() == 2  # the old one and the new


@pytest.mark.django_db(transaction=True)
def test_the_sessions_lock_is_refused_outside_a_transaction():
    # A transaction-scoped lock taken in autocommit would be released as soon as it is taken.
    with pytest.raises(RuntimeError):
        user_sessions_lock(user_id=UserFactory().pk)
