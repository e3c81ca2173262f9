"""Settings of the auth service: the shared ones, plus accounts and token issuing."""

from pathlib import Path

import environ

from ticketing_shared.settings import service_settings

BASE_DIR = Path(__file__).resolve().parent.parent

globals().update(
    service_settings(
        service="auth",
        base_dir=BASE_DIR,
        api_prefix="api/users/",
        admin_prefix="admin/users/",
        local_apps=["rest_framework_simplejwt.token_blacklist", "users"],
        signs_tokens=True,
    )
)

env = environ.Env()

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
