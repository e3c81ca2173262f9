"""Settings of the frontend: those every service shares, then what server-rendered pages need.

The frontend keeps no data of its own: no database, no sessions. Who is signed in comes from the
access cookie (verified with the public key), flash messages travel in a signed cookie, and
everything shown is read from the other services' APIs (`web/backend.py`).
"""

import os

# The service the shared settings are read for (its entry in ticketing_shared.registry).
os.environ["TICKETING_SERVICE"] = "frontend"

from django.core.exceptions import ImproperlyConfigured

from ticketing_shared.registry import SERVICES
from ticketing_shared.settings import *  # noqa: F403
from ticketing_shared.settings import CACHES, LOGGING, PRODUCTION, TEMPLATES, env

INSTALLED_APPS = [
    # Their models are never stored here; the token verification (simplejwt) imports them.
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "web",
]

MIDDLEWARE = [
    "ticketing_shared.logging.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "web.middleware.CurrentUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "web.middleware.ErrorPagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "web.middleware.ContentSecurityPolicyMiddleware",
]

# No database: nothing here is stored (Django's test runner and checks cope with none).
DATABASES = {}
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

TEMPLATES = [
    {
        **TEMPLATES[0],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csrf",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.site",
            ],
        },
    }
]

STATIC_URL = "/static/"
# The pages' own CSS and JavaScript, hashed and compressed (whitenoise) once collected; in
# development they are served from the app as they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.str("DJANGO_STATIC_ROOT", default="")
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Hashed names never change content: browsers keep them a year.
WHITENOISE_MAX_AGE = 365 * 24 * 3600

# Forms carry Django's CSRF token; its cookie is the frontend's alone (path /, its own name).
CSRF_COOKIE_NAME = "csrftoken"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "web.views.errors.csrf_failure"

# ------------------------------------------------------------------------------------------
# The backends: each service's API, reached directly (in the cluster, its Service) or through
# the gateway; one pooled HTTP client per process
# ------------------------------------------------------------------------------------------
# Unset in development, a service's usual local port (the runner sets them for its copies).
FRONTEND_BACKEND_URLS = {
    service.name: env.str(
        service.api_url_variable,
        default="" if PRODUCTION else f"http://127.0.0.1:{service.port}",
    )
    for service in SERVICES
    if not service.is_catch_all
}
if PRODUCTION and not all(FRONTEND_BACKEND_URLS.values()):
    raise ImproperlyConfigured(
        "FRONTEND_AUTH_URL, FRONTEND_TICKETS_URL, FRONTEND_ORDERS_URL and FRONTEND_PAYMENTS_URL "
        "are required in production"
    )
# Seconds to connect to a backend and to wait for its answer: a page whose backend is slow
# says so rather than hanging (gunicorn's own timeout is far longer).
FRONTEND_BACKEND_CONNECT_TIMEOUT = env.float("FRONTEND_BACKEND_CONNECT_TIMEOUT", default=1.0)
FRONTEND_BACKEND_TIMEOUT = env.float("FRONTEND_BACKEND_TIMEOUT", default=5.0)
# A write's answer may take longer on purpose (a password hashed, a card charged).
FRONTEND_BACKEND_WRITE_TIMEOUT = env.float("FRONTEND_BACKEND_WRITE_TIMEOUT", default=20.0)
FRONTEND_BACKEND_POOL_SIZE = env.int("FRONTEND_BACKEND_POOL_SIZE", default=20)
# After this many timeouts in a row, a backend is not called for a pause (web/backend.py).
FRONTEND_BACKEND_TIMEOUTS_BEFORE_PAUSE = env.int(
    "FRONTEND_BACKEND_TIMEOUTS_BEFORE_PAUSE", default=3
)
FRONTEND_BACKEND_PAUSE_SECONDS = env.float("FRONTEND_BACKEND_PAUSE_SECONDS", default=10.0)

# ------------------------------------------------------------------------------------------
# What the pages show
# ------------------------------------------------------------------------------------------
FRONTEND_SITE_NAME = env.str("FRONTEND_SITE_NAME", default="Ticketing")
# The absolute address canonical links, Open Graph and the sitemap name; without one, the
# request's own host.
FRONTEND_BASE_URL = env.str("FRONTEND_BASE_URL", default="").rstrip("/")
if PRODUCTION and not FRONTEND_BASE_URL:
    raise ImproperlyConfigured(
        "FRONTEND_BASE_URL (the site's public address, e.g. https://tickets.example.com) is "
        "required in production: canonical links and the sitemap must not come from the Host "
        "header a client sends"
    )
FRONTEND_PAGE_SIZE = env.int("FRONTEND_PAGE_SIZE", default=24)
FRONTEND_SITEMAP_MAX_TICKETS = env.int("FRONTEND_SITEMAP_MAX_TICKETS", default=1000)
# The currency payments charges in (its PAYMENTS_CURRENCY): prices are shown in it.
FRONTEND_CURRENCY = env.str("FRONTEND_CURRENCY", default="USD")
# Stripe Elements on the pay page when a publishable key is set; the test processor's test
# cards otherwise.
FRONTEND_STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
# After a payment is taken, how long the pay form waits for the order to read complete (the
# payment's event reaches orders within a second or so) before showing it as confirming.
FRONTEND_PAYMENT_CONFIRM_WAIT_SECONDS = env.float(
    "FRONTEND_PAYMENT_CONFIRM_WAIT_SECONDS", default=3.0
)
# An access token with less life left than this is renewed before the page's API calls, so
# that it does not expire between them.
FRONTEND_ACCESS_RENEW_AHEAD_SECONDS = env.int("FRONTEND_ACCESS_RENEW_AHEAD_SECONDS", default=30)
# Seconds a public page (the landing list, a ticket, the sitemap) may be cached.
FRONTEND_PUBLIC_MAX_AGE = env.int("FRONTEND_PUBLIC_MAX_AGE", default=30)
# Seconds each process keeps a signed-out visitor's public reads (the list on sale, a ticket),
# so a busy landing page calls the tickets API about once in that time in each process
# (web/public_reads.py); 0 turns it off. Signed-in people always read the API itself.
FRONTEND_PUBLIC_READS_SECONDS = env.float("FRONTEND_PUBLIC_READS_SECONDS", default=2.0)
CACHES = {
    **CACHES,
    "public_reads": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "public-reads",
        # Each search and cursor is a key of its own: bounded, the oldest third dropped.
        "OPTIONS": {"MAX_ENTRIES": env.int("FRONTEND_PUBLIC_READS_MAX_ENTRIES", default=2000)},
    },
}

# urllib3 logs every call at DEBUG: the request line and the backend's own log say it already. A
# 503 page is a backend's outage, logged once as the backend's warning (web/backend.py), not
# again by django.request as an ERROR of the page.
LOGGING = {
    **LOGGING,
    "filters": {
        **LOGGING["filters"],
        "outage_pages": {"()": "web.logging.OutagePagesFilter"},
    },
    "loggers": {
        **LOGGING["loggers"],
        "urllib3": {"level": "WARNING"},
        "django.request": {**LOGGING["loggers"]["django.request"], "filters": ["outage_pages"]},
    },
}
