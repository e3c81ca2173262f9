"""Settings every service shares, read from the environment with safe local defaults.

A service's `config/settings.py` calls `service_settings(...)`, applies the result to its module
namespace and then adds what is its own (apps, user model, ...). Production mode
(`TICKETING_ENV=production`) turns on every secure default and refuses to start without the
secrets it needs; anything else is local development or tests.
"""

import ssl
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from kombu import Queue

from ticketing_shared.keys import read_pem

ACCESS_COOKIE_NAME = "access_token"
REFRESH_COOKIE_NAME = "refresh_token"

DJANGO_APPS = [
    "ticketing_shared.admin_sso.apps.TicketingAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "ticketing_shared.events",
]

MIDDLEWARE = [
    "ticketing_shared.logging.RequestLogMiddleware",
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


def service_settings(
    *,
    service: str,
    base_dir: Path,
    api_prefix: str,
    admin_prefix: str,
    local_apps: list[str],
    signs_tokens: bool = False,
) -> dict:
    """The common settings of one service.

    `service` names the service in logs and picks its local database (`ticketing_<service>`);
    `api_prefix` and `admin_prefix` are the gateway paths routed to it (`api/users/`);
    `signs_tokens` is true only for the auth service, the one holder of the private key.
    """
    env = environ.Env()
    ticketing_env = env.str("TICKETING_ENV", default="development")
    if ticketing_env not in {"development", "production"}:
        raise ImproperlyConfigured("TICKETING_ENV must be 'development' or 'production'")
    production = ticketing_env == "production"
    debug = env.bool("DJANGO_DEBUG", default=not production)

    secret_key = env.str("DJANGO_SECRET_KEY", default="")
    if not secret_key:
        if production:
            raise ImproperlyConfigured("DJANGO_SECRET_KEY is required in production")
        # A throwaway key per process: nothing is committed, and the local runner passes a
        # persistent one so that sessions survive a restart.
        secret_key = get_random_secret_key()

    # Development keys live in the repository's ignored `.local/keys/`, written at set-up.
    dev_keys_dir = None if production else base_dir.parent / ".local" / "keys"
    public_key = read_pem(env, "JWT_PUBLIC_KEY", default_file=_in(dev_keys_dir, "jwt-public.pem"))
    private_key = None
    if signs_tokens:
        private_key = read_pem(
            env, "JWT_PRIVATE_KEY", default_file=_in(dev_keys_dir, "jwt-private.pem")
        )
    if production and not public_key:
        raise ImproperlyConfigured("JWT_PUBLIC_KEY or JWT_PUBLIC_KEY_FILE is required")
    if production and signs_tokens and not private_key:
        raise ImproperlyConfigured("JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE is required")

    allowed_hosts_default = [] if production else ["localhost", "127.0.0.1", "[::1]"]
    # Where people sign in; only the auth service keeps accounts.
    signin_url = env.str("TICKETING_SIGNIN_URL", default="/admin/users/login/")
    redis_url = env.str("REDIS_URL", default="redis://127.0.0.1:6379/1")

    return {
        "TICKETING_SERVICE": service,
        "TICKETING_ENV": ticketing_env,
        "TICKETING_API_PREFIX": api_prefix,
        "TICKETING_ADMIN_PREFIX": admin_prefix,
        "TICKETING_SIGNIN_URL": signin_url,
        "TICKETING_ADMIN_USER_RESOLVER": "ticketing_shared.admin_sso.shadow_users.shadow_user_get",
        "BASE_DIR": base_dir,
        "DEBUG": debug,
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": env.list("DJANGO_ALLOWED_HOSTS", default=allowed_hosts_default),
        "CSRF_TRUSTED_ORIGINS": env.list("CSRF_TRUSTED_ORIGINS", default=[]),
        "INSTALLED_APPS": [*DJANGO_APPS, *THIRD_PARTY_APPS, *local_apps],
        "MIDDLEWARE": list(MIDDLEWARE),
        "ROOT_URLCONF": "config.urls",
        "WSGI_APPLICATION": "config.wsgi.application",
        "TEMPLATES": [
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
        ],
        "DATABASES": {
            "default": {
                **env.db_url(
                    "DATABASE_URL",
                    default=f"postgres://postgres@127.0.0.1:5432/ticketing_{service}",
                ),
                "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60),
                "CONN_HEALTH_CHECKS": True,
            }
        },
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": service,
            }
        },
        "REDIS_URL": redis_url,
        **_celery(service=service, env=env),
        "LANGUAGE_CODE": "en-us",
        "TIME_ZONE": "UTC",
        "USE_I18N": True,
        "USE_TZ": True,
        "STATIC_URL": f"/{api_prefix}static/",
        # Development serves static files from the apps (whitenoise's finders); a collected
        # folder is used in production, or when one is asked for (the runner's gunicorn mode).
        "STATIC_ROOT": env.str(
            "DJANGO_STATIC_ROOT", default=str(base_dir / "staticfiles") if production else ""
        )
        or None,
        "STORAGES": {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {
                "BACKEND": (
                    "whitenoise.storage.CompressedManifestStaticFilesStorage"
                    if production
                    else "django.contrib.staticfiles.storage.StaticFilesStorage"
                )
            },
        },
        "LOGIN_URL": signin_url,
        # Security: cookies never reach scripts, and travel over HTTPS only in production.
        "ACCESS_COOKIE_NAME": ACCESS_COOKIE_NAME,
        "REFRESH_COOKIE_NAME": REFRESH_COOKIE_NAME,
        "AUTH_COOKIE_SECURE": production,
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_PATH": f"/{admin_prefix}",
        "SESSION_COOKIE_NAME": f"{service}_sessionid",
        "CSRF_COOKIE_SECURE": production,
        "CSRF_COOKIE_NAME": f"{service}_csrftoken",
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_HSTS_SECONDS": env.int("SECURE_HSTS_SECONDS", default=3600 if production else 0),
        "TRUSTED_PROXY_COUNT": env.int("TRUSTED_PROXY_COUNT", default=0),
        "REST_FRAMEWORK": {
            "DEFAULT_AUTHENTICATION_CLASSES": [
                "ticketing_shared.auth.authentication.JWTAuthentication",
            ],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
            "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "EXCEPTION_HANDLER": "ticketing_shared.errors.handlers.api_exception_handler",
            "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
            "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
        },
        # A refresh token presented again this soon after it was rotated gets the same new pair:
        # a browser's parallel requests carry the same cookies and would otherwise sign it out.
        "JWT_REFRESH_REUSE_SECONDS": env.int("JWT_REFRESH_REUSE_SECONDS", default=10),
        "SIMPLE_JWT": {
            "ALGORITHM": "RS256",
            "SIGNING_KEY": private_key,
            "VERIFYING_KEY": public_key,
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
        },
        "SPECTACULAR_SETTINGS": {
            "TITLE": f"Ticketing {service} API",
            "VERSION": "1.0.0",
            "SERVE_INCLUDE_SCHEMA": False,
            "SWAGGER_UI_DIST": "SIDECAR",
            "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
            "REDOC_DIST": "SIDECAR",
            "SCHEMA_PATH_PREFIX": f"/{api_prefix}",
            "SCHEMA_PATH_PREFIX_TRIM": False,
        },
        "LOGGING": _logging(service=service, level=env.str("LOG_LEVEL", default="INFO")),
    }


def _celery(*, service: str, env: environ.Env) -> dict:
    """The event bus's worker settings (see `ticketing_shared.events`)."""
    broker_url = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
    return {
        # One Redis database for the whole bus; each service has its own queues in it.
        "CELERY_BROKER_URL": broker_url,
        "CELERY_BROKER_TRANSPORT": "ticketing_shared.events.redis_transport:Transport",
        # Naming the transport hides the URL's scheme from kombu, which otherwise turns TLS on
        # for `rediss://` (and then without checking the certificate): say so here, verified.
        "CELERY_BROKER_USE_SSL": (
            {"ssl_cert_reqs": ssl.CERT_REQUIRED} if broker_url.startswith("rediss://") else None
        ),
        "CELERY_BROKER_TRANSPORT_OPTIONS": {
            # An unacknowledged message (its worker died) is delivered again after this long;
            # it must exceed the longest retry countdown plus the longest handler run.
            "visibility_timeout": env.int("EVENTS_VISIBILITY_TIMEOUT", default=300),
            # How often workers look for such messages; kombu's defaults amount to 100 s.
            "unacked_restore_interval": env.int("EVENTS_RESTORE_INTERVAL_SECONDS", default=10),
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": 2,
            # A publisher tries the broker once: the outbox keeps what could not be sent, and
            # a request must not wait out reconnection attempts (about 6 s by default).
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        "CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP": True,
        "CELERY_TASK_QUEUES": (Queue(f"{service}.events"), Queue(f"{service}.tasks")),
        "CELERY_TASK_DEFAULT_QUEUE": f"{service}.tasks",
        # Acknowledge after the handler's transaction, and take one message at a time, so a
        # worker that dies mid-handler leaves its message to be delivered again.
        "CELERY_TASK_ACKS_LATE": True,
        "CELERY_TASK_REJECT_ON_WORKER_LOST": True,
        "CELERY_WORKER_PREFETCH_MULTIPLIER": 1,
        # Handlers mostly wait on PostgreSQL: threads overlap those waits in one process, where
        # a solo pool applies one event at a time and prefork children cost a process each and
        # the hand-over of every message (bench/README.md has the measurements).
        "CELERY_WORKER_POOL": env.str("EVENTS_WORKER_POOL", default="threads"),
        "CELERY_WORKER_CONCURRENCY": env.int("EVENTS_WORKER_CONCURRENCY", default=4),
        "CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS": True,
        # Connections are kept between tasks as between requests (events/worker_connections.py).
        "CELERY_DB_REUSE_MAX": 1_000_000,
        "CELERY_TASK_SERIALIZER": "json",
        "CELERY_ACCEPT_CONTENT": ["json"],
        "CELERY_TASK_IGNORE_RESULT": True,
        "CELERY_WORKER_HIJACK_ROOT_LOGGER": False,
        "CELERY_BEAT_SCHEDULE": {
            "events-outbox-sweep": {
                "task": "events.outbox_sweep",
                "schedule": env.float("EVENTS_SWEEP_INTERVAL_SECONDS", default=2.0),
            },
        },
        "EVENTS_MAX_ATTEMPTS": env.int("EVENTS_MAX_ATTEMPTS", default=8),
        "EVENTS_RETRY_BACKOFF_BASE": env.float("EVENTS_RETRY_BACKOFF_BASE", default=0.5),
        "EVENTS_RETRY_BACKOFF_MAX": env.float("EVENTS_RETRY_BACKOFF_MAX", default=60.0),
    }


def _in(directory: Path | None, name: str) -> Path | None:
    return directory / name if directory else None


def _logging(*, service: str, level: str) -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "ticketing_shared.logging.LogContextFilter", "service": service},
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
                "filters": ["context"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # The request log below replaces Django's own per-request lines.
            "django.server": {"level": "WARNING"},
            "django.request": {"level": "ERROR"},
        },
    }
