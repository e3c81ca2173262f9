"""Settings of the payments service: those every service shares, then the card processor."""

import os

# The service the shared settings are read for (its entry in ticketing_shared.registry).
os.environ["TICKETING_SERVICE"] = "payments"

from django.core.exceptions import ImproperlyConfigured

from ticketing_shared.settings import *  # noqa: F403
from ticketing_shared.settings import INSTALLED_APPS, PRODUCTION, SPECTACULAR_SETTINGS, env

INSTALLED_APPS = [*INSTALLED_APPS, "payments"]

# The card processor that charges and refunds (payments.processors): `test`, the built-in one
# that needs no network and follows the card processor's test tokens, or `stripe`.
PAYMENTS_PROCESSOR = env.str("PAYMENTS_PROCESSOR", default="stripe" if PRODUCTION else "test")
# Production charges real cards: the test processor there only when asked for by name.
PAYMENTS_ALLOW_TEST_PROCESSOR_IN_PRODUCTION = env.bool(
    "PAYMENTS_ALLOW_TEST_PROCESSOR_IN_PRODUCTION", default=False
)
# ISO 4217, as charged and as shown; amounts are in its minor unit (cents).
PAYMENTS_CURRENCY = env.str("PAYMENTS_CURRENCY", default="USD").upper()

# Stripe (PAYMENTS_PROCESSOR=stripe): its secret key, mounted from a Secret in production.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
# Where the SDK sends its requests: Stripe's own API, or a Stripe-compatible server in tests.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
# How long one request to Stripe may take, and how often the SDK retries one that failed on
# the network (with the same idempotency key, so a retry never charges twice). A payment holds
# its order's row lock and a web worker while it waits: (1 + retries) x timeout, plus the
# SDK's pauses, stays well under gunicorn's 30 s.
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=1)

if PAYMENTS_PROCESSOR not in ("test", "stripe"):
    raise ImproperlyConfigured(
        f"PAYMENTS_PROCESSOR is {PAYMENTS_PROCESSOR!r}: it must be 'test' or 'stripe'"
    )
if PRODUCTION and PAYMENTS_PROCESSOR == "test" and not PAYMENTS_ALLOW_TEST_PROCESSOR_IN_PRODUCTION:
    raise ImproperlyConfigured(
        "PAYMENTS_PROCESSOR=test in production charges no card: set "
        "PAYMENTS_ALLOW_TEST_PROCESSOR_IN_PRODUCTION=true if that is what you want"
    )
if PAYMENTS_PROCESSOR == "stripe" and not STRIPE_SECRET_KEY:
    raise ImproperlyConfigured("PAYMENTS_PROCESSOR=stripe needs STRIPE_SECRET_KEY")

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "ENUM_NAME_OVERRIDES": {"PaymentStatus": "payments.models.Payment.Status"},
}
