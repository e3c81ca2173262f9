"""Settings of the auth service: those every service shares, then accounts and token issuing."""

import os

from celery.schedules import crontab

# The service the shared settings are read for (its entry in ticketing_shared.registry).
os.environ["TICKETING_SERVICE"] = "auth"

from ticketing_shared.settings import *  # noqa: F403
from ticketing_shared.settings import CELERY_BEAT_SCHEDULE, INSTALLED_APPS, env

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework_simplejwt.token_blacklist", "users"]

AUTH_USER_MODEL = "users.User"
TICKETING_ADMIN_USER_RESOLVER = "users.selectors.user_get_for_admin"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "users.validators.PasswordLengthValidator",
        "OPTIONS": {"min_length": 8, "max_length": 128},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Sign-in failures are counted in Redis, so every process shares them (users/throttles.py).
# The low limit counts one email from one client address, so that guessing from elsewhere
# cannot lock the owner out; the per-email ceiling bounds guessing spread over many addresses.
SIGNIN_MAX_FAILURES_PER_EMAIL_AND_IP = env.int("SIGNIN_MAX_FAILURES_PER_EMAIL_AND_IP", default=5)
SIGNIN_MAX_FAILURES_PER_EMAIL = env.int("SIGNIN_MAX_FAILURES_PER_EMAIL", default=100)
SIGNIN_MAX_FAILURES_PER_IP = env.int("SIGNIN_MAX_FAILURES_PER_IP", default=50)
SIGNIN_FAILURE_WINDOW_SECONDS = env.int("SIGNIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
# A client that has signed in to an account before holds a device token for it (users/devices.py,
# in the cookie SIGNIN_DEVICE_COOKIE_NAME of the shared settings): the per-email ceiling does not
# refuse it, so guessing elsewhere cannot lock the owner out; its own failures have a low limit
# per token instead.
SIGNIN_DEVICE_MAX_AGE_SECONDS = env.int("SIGNIN_DEVICE_MAX_AGE_SECONDS", default=180 * 24 * 3600)
SIGNIN_MAX_FAILURES_PER_DEVICE = env.int("SIGNIN_MAX_FAILURES_PER_DEVICE", default=10)
# Sign-ups per client address: each costs a password hash and tells whether an email is taken.
SIGNUP_MAX_ATTEMPTS_PER_IP = env.int("SIGNUP_MAX_ATTEMPTS_PER_IP", default=20)
SIGNUP_WINDOW_SECONDS = env.int("SIGNUP_WINDOW_SECONDS", default=60 * 60)

# Auth's own periodic tasks, beside the ones every service runs (the outbox sweep, retention).
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "users-tokens-flush-expired": {
        "task": "users.tasks.tokens_flush_expired",
        "schedule": crontab(hour=4, minute=0),
    },
}
