"""Settings of the auth service: those every service shares, then accounts and token issuing."""

import os

# The service the shared settings are read for (its entry in ticketing_shared.registry).
os.environ["TICKETING_SERVICE"] = "auth"

from ticketing_shared.settings import *  # noqa: F403
from ticketing_shared.settings import INSTALLED_APPS, env

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

# Sign-in failures are counted in Redis, so every process shares them.
SIGNIN_MAX_FAILURES_PER_EMAIL = env.int("SIGNIN_MAX_FAILURES_PER_EMAIL", default=5)
SIGNIN_MAX_FAILURES_PER_IP = env.int("SIGNIN_MAX_FAILURES_PER_IP", default=50)
SIGNIN_FAILURE_WINDOW_SECONDS = env.int("SIGNIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
