from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from config.celery_app import app
from users.tasks import tokens_flush_expired
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def refresh_token_issue(user, *, expired: bool, blacklisted: bool = False) -> RefreshToken:
    """A refresh token as sign-in issues it (and records it); an expired one has had its
    lifetime pass."""
    token = RefreshToken.for_user(user)
    if blacklisted:
        token.blacklist()
    if expired:
        OutstandingToken.objects.filter(jti=token["jti"]).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    return token


def test_expired_refresh_tokens_are_flushed_and_live_ones_kept():
    user = UserFactory()
    expired = [
        refresh_token_issue(user, expired=True),
        refresh_token_issue(user, expired=True, blacklisted=True),
    ]
    live = [
        refresh_token_issue(user, expired=False),
        refresh_token_issue(user, expired=False, blacklisted=True),
    ]
    assert OutstandingToken.objects.count() == len(expired) + len(live)

    tokens_flush_expired()

    assert set(OutstandingToken.objects.values_list("jti", flat=True)) == {
        token["jti"] for token in live
    }
    assert list(BlacklistedToken.objects.values_list("token__jti", flat=True)) == [live[1]["jti"]]


def test_every_task_on_auths_beat_schedule_is_one_its_worker_runs():
    app.loader.import_default_modules()  # what a worker does at start: discover the tasks

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "users.tasks.tokens_flush_expired" in scheduled
    assert scheduled <= set(app.tasks)
