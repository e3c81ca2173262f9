"""Stripe, through its official SDK (pinned in pyproject.toml): a PaymentIntent created and
confirmed in one request, refunds, and a search for the charge an order already has.

Settings are read at each call (the selector caches the processor itself): STRIPE_SECRET_KEY,
STRIPE_API_BASE (Stripe's API, or a Stripe-compatible server in tests), STRIPE_TIMEOUT_SECONDS
(one request, one attempt) and STRIPE_MAX_NETWORK_RETRIES (the SDK retries a request that failed
on the network or with a 409/5xx, with the same idempotency key, so never charges twice).

What Stripe says becomes one of the protocol's two outcomes: the buyer's card or token was
refused (`ChargeDeclined`, with Stripe's own message), or Stripe could not be reached or failed
on its side or ours (`ProcessorUnavailable`, logged; the secret key is never logged).
"""

import logging
import uuid
from functools import lru_cache

import stripe
from django.conf import settings

from payments.processors.base import Charge, ChargeDeclined, ProcessorUnavailable

logger = logging.getLogger(__name__)


class _SecretKeyRedacted(logging.Filter):
    """The SDK logs Stripe's answers (bodies at DEBUG, error messages at INFO) on its `stripe`
    logger: should one ever repeat the secret key, it is blanked before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        secret_key = getattr(settings, "STRIPE_SECRET_KEY", "")
        if secret_key:
            message = record.getMessage()
            if secret_key in message:
                record.msg, record.args = message.replace(secret_key, "[secret key]"), None
        return True


logging.getLogger("stripe").addFilter(_SecretKeyRedacted())

# The buyer's answer when the card asks for 3-D Secure: this API charges at once, with no page
# for the buyer to authenticate on.
AUTHENTICATION_NOT_SUPPORTED = (
    "This card needs authentication (3-D Secure), which is not supported here; try another card."
)
# Invalid-request codes caused by what the buyer sent (the token, the card, the amount), told to
# the buyer with Stripe's message; any other invalid request is a fault of ours (settings,
# integration) and answered as the processor being unavailable.
_BUYER_INVALID_REQUEST_CODES = frozenset(
    {
        # The only objects a charge names are the token or payment method the buyer sent.
        "resource_missing",
        "amount_too_small",
        "amount_too_large",
        "token_already_used",
        "token_in_use",
        "card_declined",
        "expired_card",
        "incorrect_cvc",
        "incorrect_number",
        "invalid_cvc",
        "invalid_expiry_month",
        "invalid_expiry_year",
        "invalid_number",
        "payment_intent_authentication_failure",
        "payment_method_unactivated",
        "payment_method_unexpected_state",
        "payment_method_not_available",
    }
)


class StripeProcessor:
    name = "stripe"

    def charge(
        self, *, amount: int, currency: str, token: str, order_id: uuid.UUID, idempotency_key: str
    ) -> Charge:
        params: dict = {
            "amount": amount,
            "currency": currency.lower(),
            "confirm": True,
            # Cards only, so no redirect is ever needed; a card that asks for 3-D Secure fails
            # the attempt (a card error) instead of leaving the PaymentIntent waiting for it.
            "payment_method_types": ["card"],
            "error_on_requires_action": True,
            "metadata": {"orderId": str(order_id)},
        }
        if token.startswith("tok_"):
            # A legacy card token (Stripe.js's createToken): made into a PaymentMethod here.
            params["payment_method_data"] = {"type": "card", "card": {"token": token}}
        else:
            params["payment_method"] = token
        try:
            intent = _client().v1.payment_intents.create(
                params, {"idempotency_key": idempotency_key}
            )
        except stripe.CardError as error:
            raise ChargeDeclined(_message(error)) from error
        except stripe.IdempotencyError as error:
            # The key was used before with other parameters (another card for the same attempt).
            raise ChargeDeclined(_message(error)) from error
        except stripe.InvalidRequestError as error:
            if _caused_by_buyer(error):
                raise ChargeDeclined(_message(error)) from error
            raise _unavailable("charge", error) from error
        except stripe.StripeError as error:
            raise _unavailable("charge", error) from error

        if intent.status == "succeeded":
            return Charge(
                charge_id=intent.id,
                amount=intent.amount_received,
                currency=intent.currency.upper(),
            )
        if intent.status == "requires_action":
            raise ChargeDeclined(AUTHENTICATION_NOT_SUPPORTED)
        if intent.status in ("requires_payment_method", "canceled"):
            last_error = intent.get("last_payment_error")
            raise ChargeDeclined(
                (last_error and last_error.get("message")) or "Your card was declined."
            )
        # `processing`, `requires_capture`, `requires_confirmation`: not what a card confirmed at
        # once with automatic capture ends in; nothing is known to be charged yet.
        logger.error(
            "Stripe PaymentIntent %s for order %s is %s after confirming",
            intent.id,
            order_id,
            intent.status,
        )
        raise ProcessorUnavailable(f"The payment is {intent.status} at Stripe")

    def refund(self, *, charge_id: str, idempotency_key: str) -> str:
        client = _client()
        try:
            refund = client.v1.refunds.create(
                {"payment_intent": charge_id}, {"idempotency_key": idempotency_key}
            )
        except stripe.InvalidRequestError as error:
            if error.code == "charge_already_refunded":
                # Refunded before, under another key (by hand in the dashboard): that refund.
                existing = _refund_existing(client, charge_id)
                if existing is not None:
                    return existing
            raise _unavailable("refund", error) from error
        except stripe.StripeError as error:
            raise _unavailable("refund", error) from error
        return refund.id

    def charge_find(self, *, order_id: uuid.UUID) -> Charge | None:
        query = f"metadata['orderId']:'{order_id}' AND status:'succeeded'"
        try:
            found = _client().v1.payment_intents.search(
                {"query": query, "expand": ["data.latest_charge"], "limit": 10}
            )
        except stripe.StripeError as error:
            raise _unavailable("charge search", error) from error
        for intent in found.data:
            latest = intent.get("latest_charge")
            if isinstance(latest, str) or latest is None:
                # Not expanded: nothing tells whether it was refunded, so not trusted as open.
                logger.warning("Stripe search gave PaymentIntent %s without its charge", intent.id)
                continue
            if latest.get("refunded") or latest.get("amount_refunded", 0) >= intent.amount_received:
                continue
            return Charge(
                charge_id=intent.id,
                amount=intent.amount_received,
                currency=intent.currency.upper(),
            )
        return None


def _client() -> stripe.StripeClient:
    return _client_for(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        float(settings.STRIPE_TIMEOUT_SECONDS),
        int(settings.STRIPE_MAX_NETWORK_RETRIES),
    )


@lru_cache(maxsize=4)
def _client_for(
    secret_key: str, api_base: str, timeout: float, max_network_retries: int
) -> stripe.StripeClient:
    """One client per configuration (its HTTP sessions are reused, one per thread). The API
    version is the one this SDK release is written for (StripeClient's default)."""
    return stripe.StripeClient(
        api_key=secret_key,
        base_addresses={"api": api_base},
        max_network_retries=max_network_retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def _refund_existing(client: stripe.StripeClient, charge_id: str) -> str | None:
    try:
        refunds = client.v1.refunds.list({"payment_intent": charge_id, "limit": 10})
    except stripe.StripeError:
        return None
    for refund in refunds.data:
        if refund.status in ("succeeded", "pending", "requires_action"):
            return refund.id
    return None


def _message(error: stripe.StripeError) -> str:
    return error.user_message or "Your card was declined."


def _caused_by_buyer(error: stripe.InvalidRequestError) -> bool:
    """The token or payment method the buyer sent does not exist or cannot be used."""
    param = error.param or ""
    return param.startswith("payment_method") or error.code in _BUYER_INVALID_REQUEST_CODES


def _unavailable(what: str, error: stripe.StripeError) -> ProcessorUnavailable:
    """Logs what Stripe answered (its class, status, code, request id and message, never the
    secret key) and returns the error to raise."""
    message = _redacted(error.user_message or "")
    logger.error(
        "Stripe %s failed: %s (HTTP %s, code %s, request %s): %s",
        what,
        type(error).__name__,
        error.http_status,
        error.code,
        error.request_id,
        message,
    )
    return ProcessorUnavailable(f"The card processor failed ({type(error).__name__})")


def _redacted(text: str) -> str:
    secret_key = settings.STRIPE_SECRET_KEY
    if secret_key:
        text = text.replace(secret_key, "[secret key]")
    return text
