"""Settings of the payments service: those every service shares, then the card processor."""

import os

# The service the shared settings are read for (its entry in ticketing_shared.registry).
os.environ["TICKETING_SERVICE"] = "payments"

from django.core.exceptions import ImproperlyConfigured

from ticketing_shared.settings import *  # noqa: F403
from ticketing_shared.settings import (
    CELERY_BEAT_SCHEDULE,
    INSTALLED_APPS,
    PRODUCTION,
    SPECTACULAR_SETTINGS,
    env,
)

INSTALLED_APPS = [*INSTALLED_APPS, "payments"]

# The card processor that charges and refunds (payments.processors): `test`, the built-in one
# that needs no network and follows the card processor's test tokens, or `stripe`.
PAYMENTS_PROCESSOR = env.str("PAYMENTS_PROCESSOR", default="stripe" if PRODUCTION else "test")
# Production charges real cards: the test processor there only when asked for by name.
PAYMENTS_ALLOW_TEST_PROCESSOR_IN_PRODUCTION = env.bool(
    "PAYMENTS_ALLOW_TEST_PROCESSOR_IN_PRODUCTION", default=False
)
# ISO 4217, as charged and as shown; amounts are in its minor unit, cents: a currency whose
# minor unit is not a hundredth (JPY has none, KWD thousandths) would be charged wrongly.
PAYMENTS_CURRENCY = env.str("PAYMENTS_CURRENCY", default="USD").upper()
# How long a payment waits for another of the same order to finish with the processor before
# it is answered 409: well under the web server's timeout.
PAYMENTS_LOCK_TIMEOUT_SECONDS = env.float("PAYMENTS_LOCK_TIMEOUT_SECONDS", default=5.0)
# How often beat sends the sweep that gives back the money of orders that ended cancelled
# (a refund, or the intent voided) until the processor has done it.
PAYMENTS_REFUND_SWEEP_SECONDS = env.float("PAYMENTS_REFUND_SWEEP_SECONDS", default=30.0)

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

# Stripe's currencies whose minor unit is not the hundredth (zero- and three-decimal ones).
_ZERO_DECIMAL = "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF"
_THREE_DECIMAL = "BHD JOD KWD OMR TND"
_NOT_IN_CENTS = frozenset(f"{_ZERO_DECIMAL} {_THREE_DECIMAL}".split())
if (
    len(PAYMENTS_CURRENCY) != 3
    or not PAYMENTS_CURRENCY.isalpha()
    or not PAYMENTS_CURRENCY.isascii()
):
    raise ImproperlyConfigured(f"PAYMENTS_CURRENCY is {PAYMENTS_CURRENCY!r}: an ISO 4217 code")
if PAYMENTS_CURRENCY in _NOT_IN_CENTS:
    raise ImproperlyConfigured(
        f"PAYMENTS_CURRENCY {PAYMENTS_CURRENCY} is not counted in hundredths: amounts here are"
    )
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

CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "payments-refund-due": {
        "task": "payments.tasks.payments_refund_due_sweep",
        "schedule": PAYMENTS_REFUND_SWEEP_SECONDS,
        # One untaken for a few periods is dropped: the next does its work.
        "options": {"expires": PAYMENTS_REFUND_SWEEP_SECONDS * 5},
    },
}

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "ENUM_NAME_OVERRIDES": {"PaymentStatus": "payments.models.Payment.Status"},
}
