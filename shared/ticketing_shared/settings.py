"""The settings every service shares, read from the environment with safe local defaults.

A service's `config/settings.py` names the service (`TICKETING_SERVICE`), imports everything
from here, and adds what is its own (its apps, its user model, ...), in the way of
cookiecutter-django's `config/settings/base.py`. What depends on the service (its prefixes,
database, cache, queues and cookies) comes from its entry in `ticketing_shared.registry`.

Production mode (`TICKETING_ENV=production`) turns on every secure default and refuses to start
without the secrets it needs; anything else is local development or tests, where the local
runner's env file (`<state dir>/env/<service>.env`) supplies what the runner set up.
"""

import ssl
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from kombu import Queue

from ticketing_shared.events.names import (
    OUTBOX_SWEEP_TASK,
    RETENTION_TASK,
    events_queue,
    tasks_queue,
)
from ticketing_shared.keys import read_pem
from ticketing_shared.registry import service_for_settings

env = environ.Env()

# ------------------------------------------------------------------------------------------
# Which service, in which environment
# ------------------------------------------------------------------------------------------
TICKETING_ENV = env.str("TICKETING_ENV", default="development")
if TICKETING_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("TICKETING_ENV must be 'development' or 'production'")
PRODUCTION = TICKETING_ENV == "production"

try:
    TICKETING_SERVICE = env.str("TICKETING_SERVICE")
except ImproperlyConfigured:
    raise ImproperlyConfigured(
        "TICKETING_SERVICE is not set: a service's config/settings.py sets it before it "
        "imports ticketing_shared.settings"
    ) from None
SERVICE = service_for_settings(TICKETING_SERVICE)
# Django paths have no leading slash: `api/users/`. The frontend (the gateway's catch-all) has
# neither: its pages, static files and cookies live at the root.
TICKETING_API_PREFIX = (SERVICE.api_prefix or "").lstrip("/")
TICKETING_ADMIN_PREFIX = (SERVICE.admin_prefix or "").lstrip("/")

# Local runs keep their files (keys, the secret key, each service's env file) in a state
# directory: `scripts/dev --state-dir` / TICKETING_STATE_DIR, else the checkout's `.local/`.
# `manage.py` run by hand reads the same env file, so it finds the runner's database.
REPOSITORY_DIR = Path(__file__).resolve().parents[2]
LOCAL_STATE_DIR = (
    None
    if PRODUCTION
    else Path(env.str("TICKETING_STATE_DIR", default=str(REPOSITORY_DIR / ".local")))
)
LOCAL_ENV_FILE = LOCAL_STATE_DIR / "env" / f"{TICKETING_SERVICE}.env" if LOCAL_STATE_DIR else None
if LOCAL_ENV_FILE is not None and LOCAL_ENV_FILE.is_file():
    # Variables already in the environment win over the file.
    env.read_env(LOCAL_ENV_FILE, overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)

# ------------------------------------------------------------------------------------------
# Secrets and hosts
# ------------------------------------------------------------------------------------------
# Without one in development: a throwaway key per process (the local runner passes a
# persistent one so that sessions survive a restart).
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or (
    "" if PRODUCTION else get_random_secret_key()
)
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is required in production")

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Proxies in front of the service (the gateway, the ingress): how many X-Forwarded-For hops
# to trust when telling who the client is.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# ------------------------------------------------------------------------------------------
# Tokens: RS256, every service verifies with the public key; only auth holds the private one
# ------------------------------------------------------------------------------------------
_dev_keys_dir = LOCAL_STATE_DIR / "keys" if LOCAL_STATE_DIR else None
JWT_PUBLIC_KEY = read_pem(
    env, "JWT_PUBLIC_KEY", default_file=_dev_keys_dir / "jwt-public.pem" if _dev_keys_dir else None
)
JWT_PRIVATE_KEY = (
    read_pem(
        env,
        "JWT_PRIVATE_KEY",
        default_file=_dev_keys_dir / "jwt-private.pem" if _dev_keys_dir else None,
    )
    if SERVICE.signs_tokens
    else None
)
if PRODUCTION and not JWT_PUBLIC_KEY:
    raise ImproperlyConfigured("JWT_PUBLIC_KEY or JWT_PUBLIC_KEY_FILE is required")
if PRODUCTION and SERVICE.signs_tokens and not JWT_PRIVATE_KEY:
    raise ImproperlyConfigured("JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE is required")

ACCESS_COOKIE_NAME = "access_token"
REFRESH_COOKIE_NAME = "refresh_token"
# Auth's known-device token (auth_service/users/devices.py), which the frontend passes on when
# it signs a browser in.
SIGNIN_DEVICE_COOKIE_NAME = "signin_device"
# A refresh token presented again this soon after it was rotated gets the same new pair: a
# browser's parallel requests carry the same cookies and would otherwise sign it out.
JWT_REFRESH_REUSE_SECONDS = env.int("JWT_REFRESH_REUSE_SECONDS", default=10)

SIMPLE_JWT = {
    "ALGORITHM": "RS256",
    "SIGNING_KEY": JWT_PRIVATE_KEY,
    "VERIFYING_KEY": JWT_PUBLIC_KEY,
    "ACCESS_TOKEN_LIFETIME": timedelta(
        seconds=env.int("JWT_ACCESS_LIFETIME_SECONDS", default=15 * 60)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        seconds=env.int("JWT_REFRESH_LIFETIME_SECONDS", default=7 * 24 * 3600)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "id",
    "TOKEN_USER_CLASS": "ticketing_shared.auth.token_user.TokenUser",
}

# Where people sign in (the admin's sign-in form); only the auth service keeps accounts.
TICKETING_SIGNIN_URL = env.str("TICKETING_SIGNIN_URL", default="/admin/users/login/")
LOGIN_URL = TICKETING_SIGNIN_URL
# Each service's admin turns the token's user into a local one (auth has its real users).
TICKETING_ADMIN_USER_RESOLVER = "ticketing_shared.admin_sso.shadow_users.shadow_user_get"

# ------------------------------------------------------------------------------------------
# Applications and requests
# ------------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "ticketing_shared.admin_sso.apps.TicketingAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "ticketing_shared.events",
]

MIDDLEWARE = [
    "ticketing_shared.logging.RequestLogMiddleware",
    "ticketing_shared.errors.middleware.ApiErrorFormatMiddleware",
    "ticketing_shared.errors.middleware.BadInputMiddleware",
    "ticketing_shared.api_methods.ApiAllowHeaderMiddleware",
    # Its 404 comes before any other middleware's view checks (CSRF) and any view's own.
    "ticketing_shared.api_methods.ApiUnknownMethodMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ticketing_shared.api_guard.ApiRequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "ticketing_shared.admin_sso.middleware.TokenAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["ticketing_shared.auth.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PARSER_CLASSES": ["ticketing_shared.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON whatever Accept says, never a 406.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": (
        "ticketing_shared.negotiation.AcceptAsPreferenceNegotiation"
    ),
    "EXCEPTION_HANDLER": "ticketing_shared.errors.handlers.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # OPTIONS is an unknown method like any other (404), not a description of the view.
    "DEFAULT_METADATA_CLASS": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": f"Ticketing {TICKETING_SERVICE} API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": f"/{TICKETING_API_PREFIX}",
    "SCHEMA_PATH_PREFIX_TRIM": False,
}

# ------------------------------------------------------------------------------------------
# Data: the service's own database and its cache
# ------------------------------------------------------------------------------------------
DATABASES = {
    "default": {
        **env.db_url(
            "DATABASE_URL", default=f"postgres://postgres@127.0.0.1:5432/{SERVICE.database}"
        ),
        # Kept a minute in production, where gunicorn's few workers reuse them. Closed after
        # each request in development: runserver serves each request on a thread of its own,
        # and each thread would keep its connection until PostgreSQL has no more to give.
        "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60 if PRODUCTION else 0),
        "CONN_HEALTH_CHECKS": True,
        # Lets two test runs of one suite side by side (Django's default is test_<NAME>).
        "TEST": {"NAME": env.str("DATABASE_TEST_NAME", default="") or None},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/1")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": TICKETING_SERVICE,
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------------------------------
# Static files: under the service's API prefix, since the gateway routes by prefix
# ------------------------------------------------------------------------------------------
STATIC_URL = f"/{TICKETING_API_PREFIX}static/"
# Development serves static files from the apps (whitenoise's finders); a collected folder is
# used where one is named (the image sets it; so does the runner's gunicorn mode).
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default="") or None
if PRODUCTION and not STATIC_ROOT:
    raise ImproperlyConfigured("DJANGO_STATIC_ROOT is required in production")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# ------------------------------------------------------------------------------------------
# Security: cookies never reach scripts, and travel over HTTPS only in production
# ------------------------------------------------------------------------------------------
AUTH_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Every service shares one origin: each keeps its admin's session and CSRF cookies apart.
SESSION_COOKIE_PATH = f"/{TICKETING_ADMIN_PREFIX}"
SESSION_COOKIE_NAME = f"{TICKETING_SERVICE}_sessionid"
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_NAME = f"{TICKETING_SERVICE}_csrftoken"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browsers remember to use HTTPS only: a year in production.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)

# ------------------------------------------------------------------------------------------
# The event bus and the service's own tasks (ticketing_shared.events)
# ------------------------------------------------------------------------------------------
# One Redis database for the whole bus; each service has its own queues in it.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_TRANSPORT = "ticketing_shared.events.redis_transport:Transport"
# Naming the transport hides the URL's scheme from kombu, which otherwise turns TLS on for
# `rediss://` (and then without checking the certificate): say so here, verified.
CELERY_BROKER_USE_SSL = (
    {"ssl_cert_reqs": ssl.CERT_REQUIRED} if CELERY_BROKER_URL.startswith("rediss://") else None
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged message (its worker died) is delivered again after this long; it
    # must exceed the longest retry countdown (EVENTS_RETRY_BACKOFF_MAX, whatever the number
    # of attempts) plus the longest handler run.
    "visibility_timeout": env.int("EVENTS_VISIBILITY_TIMEOUT", default=300),
    # How often workers look for such messages; kombu's defaults amount to 100 s.
    "unacked_restore_interval": env.int("EVENTS_RESTORE_INTERVAL_SECONDS", default=10),
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 2,
    # A publisher tries the broker once: the outbox keeps what could not be sent, and a
    # request must not wait out reconnection attempts (about 6 s by default).
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_QUEUES = (
    Queue(events_queue(TICKETING_SERVICE)),
    Queue(tasks_queue(TICKETING_SERVICE)),
)
CELERY_TASK_DEFAULT_QUEUE = tasks_queue(TICKETING_SERVICE)
# Acknowledge after the handler's transaction, and take one message at a time, so a worker
# that dies mid-handler leaves its message to be delivered again.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Handlers mostly wait on PostgreSQL: threads overlap those waits in one process, where a
# solo pool applies one event at a time and prefork children cost a process each and the
# hand-over of every message (bench/README.md has the measurements).
CELERY_WORKER_POOL = env.str("EVENTS_WORKER_POOL", default="threads")
CELERY_WORKER_CONCURRENCY = env.int("EVENTS_WORKER_CONCURRENCY", default=4)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Connections are kept between tasks as between requests (events/worker_connections.py).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
EVENTS_SWEEP_INTERVAL_SECONDS = env.float("EVENTS_SWEEP_INTERVAL_SECONDS", default=2.0)
# A service adds its own periodic tasks: CELERY_BEAT_SCHEDULE = {**CELERY_BEAT_SCHEDULE, ...}.
CELERY_BEAT_SCHEDULE = {
    "events-outbox-sweep": {
        "task": OUTBOX_SWEEP_TASK,
        "schedule": EVENTS_SWEEP_INTERVAL_SECONDS,
        # A sweep no worker took within its period is dropped: the next one does its work,
        # and a worker back from an outage does not run the hundreds queued meanwhile.
        "options": {"expires": EVENTS_SWEEP_INTERVAL_SECONDS},
    },
    # At a time of day, not every 24 h: an interval restarts with beat, so a beat redeployed
    # more often than daily would never get to run it.
    "events-retention": {"task": RETENTION_TASK, "schedule": crontab(hour=3, minute=30)},
}

# Attempts of a failing handler before its event is a dead letter: 8 is about a minute (0.5 s
# doubling, at most EVENTS_RETRY_BACKOFF_MAX between attempts).
EVENTS_MAX_ATTEMPTS = env.int("EVENTS_MAX_ATTEMPTS", default=8)
# Attempts of an event that arrived early (`EventArrivedEarly`: it waits for another still on
# its way, such as its previous version) before it is a dead letter: a queue's backlog can hold
# the other one up far longer than a failure should be retried. 30 is about 23 minutes.
EVENTS_MAX_EARLY_ATTEMPTS = env.int("EVENTS_MAX_EARLY_ATTEMPTS", default=30)
EVENTS_RETRY_BACKOFF_BASE = env.float("EVENTS_RETRY_BACKOFF_BASE", default=0.5)
EVENTS_RETRY_BACKOFF_MAX = env.float("EVENTS_RETRY_BACKOFF_MAX", default=60.0)
# An outbox row that cannot be sent this many times for a reason of its own (not a broker
# outage) is set aside, so the rows behind it keep flowing; the admin's "retry" puts it back.
EVENTS_OUTBOX_MAX_ATTEMPTS = env.int("EVENTS_OUTBOX_MAX_ATTEMPTS", default=10)
# Days a sent outbox row is kept; 0 keeps them forever, the default: `events_replay` rebuilds
# other services from them, so deleting them limits what a replay can rebuild.
EVENTS_OUTBOX_RETENTION_DAYS = env.int("EVENTS_OUTBOX_RETENTION_DAYS", default=0)
# Days an inbox row (an event applied) is kept to recognise a redelivery; 0 keeps them forever.
# Redeliveries come within minutes (the visibility timeout, the retries' backoff), so 30 days
# leaves a wide margin.
EVENTS_INBOX_RETENTION_DAYS = env.int("EVENTS_INBOX_RETENTION_DAYS", default=30)

# ------------------------------------------------------------------------------------------
# Logs: JSON lines, each with the service, request id and event id
# ------------------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {
            "()": "ticketing_shared.logging.LogContextFilter",
            "service": TICKETING_SERVICE,
        },
        "suspicious_request": {"()": "ticketing_shared.logging.SuspiciousRequestFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["context", "suspicious_request"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # The request log replaces Django's own per-request lines.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}
