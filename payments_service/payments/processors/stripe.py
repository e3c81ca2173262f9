"""Stripe, through its official SDK (pinned in pyproject.toml): one PaymentIntent per order,
created unconfirmed (nothing charged), then confirmed with the buyer's card (again with another
card after a decline), read back by its id, canceled when the order ends unpaid, and refunded.

A PaymentIntent succeeds at most once: a confirmation whose answer was lost, repeated later with
another key or another card, is refused by Stripe (`payment_intent_unexpected_state`) and answered
here with the charge the PaymentIntent already made. Its state is always read by id (consistent),
never searched (Stripe's search lags).

Settings are read at each call (the selector caches the processor itself): STRIPE_SECRET_KEY,
STRIPE_API_BASE (Stripe's API, or a Stripe-compatible server in tests), STRIPE_TIMEOUT_SECONDS
(one request, one attempt) and STRIPE_MAX_NETWORK_RETRIES (the SDK retries a request that failed
on the network or with a 409/5xx, with the same idempotency key, so never does anything twice).

What Stripe says becomes one of the protocol's outcomes: the buyer's card was refused
(`ChargeDeclined`, with Stripe's own message), or Stripe could not be reached or failed on its
side or ours (`ProcessorUnavailable`, logged; the secret key is never logged).
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
# Invalid-request codes caused by what the buyer sent (the token, the card), told to the buyer
# with Stripe's message; any other invalid request is a fault of ours (settings, integration) and
# answered as the processor being unavailable.
_BUYER_INVALID_REQUEST_CODES = frozenset(
    {
        # A confirmation names the PaymentIntent (ours) and the token or payment method the
        # buyer sent: a missing one is the buyer's unless it is the PaymentIntent.
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


# What Stripe answers an amount it does not charge (about 0.50 USD at least).
_AMOUNT_REFUSED = frozenset({"amount_too_small", "amount_too_large"})


class StripeProcessor:
    name = "stripe"

    def intent_create(
        self, *, amount: int, currency: str, order_id: uuid.UUID, idempotency_key: str
    ) -> str:
        params: dict = {
            "amount": amount,
            "currency": currency.lower(),
            # Cards only, so no redirect is ever needed.
            "payment_method_types": ["card"],
            "metadata": {"orderId": str(order_id)},
        }
        try:
            intent = _client().v1.payment_intents.create(
                params, {"idempotency_key": idempotency_key}
            )
        except stripe.InvalidRequestError as error:
            if error.code in _AMOUNT_REFUSED:
                # The price is below (or above) what Stripe charges in this currency: the
                # buyer is told so in Stripe's words; trying again would not change it.
                raise ChargeDeclined(_message(error)) from error
            raise _unavailable("PaymentIntent create", error) from error
        except stripe.StripeError as error:
            # Nothing names the buyer's card yet: whatever failed is Stripe's or ours.
            raise _unavailable("PaymentIntent create", error) from error
        return intent.id

    def intent_confirm(self, *, intent_id: str, token: str, idempotency_key: str) -> Charge:
        # A card that asks for 3-D Secure fails the attempt (a card error) instead of leaving the
        # PaymentIntent waiting for it: this API charges at once, with no page to authenticate on.
        params: dict = {"error_on_requires_action": True}
        if token.startswith("tok_"):
            # A legacy card token (Stripe.js's createToken): made into a PaymentMethod here.
            params["payment_method_data"] = {"type": "card", "card": {"token": token}}
        else:
            params["payment_method"] = token
        client = _client()
        try:
            intent = client.v1.payment_intents.confirm(
                intent_id, params, {"idempotency_key": idempotency_key}
            )
        except stripe.CardError as error:
            raise ChargeDeclined(_message(error)) from error
        except stripe.IdempotencyError as error:
            # The key was used before with other parameters (another card under the same key):
            # a fault of ours, and what that first request did is not known from this answer, so
            # never a decline. (A decline would charge nothing now, the PaymentIntent being read
            # back by id; but answering "unavailable" keeps the payment asked about again.)
            raise _unavailable("PaymentIntent confirm", error) from error
        except stripe.InvalidRequestError as error:
            if error.code == _UNEXPECTED_STATE:
                # Succeeded already (a confirmation whose answer was lost), canceled, or
                # processing: what it is now is read back by id, and nothing is charged again.
                return _confirmed_before(client, intent_id)
            if _caused_by_buyer(error):
                raise ChargeDeclined(_message(error)) from error
            raise _unavailable("PaymentIntent confirm", error) from error
        except stripe.StripeError as error:
            raise _unavailable("PaymentIntent confirm", error) from error
        return _outcome(intent)

    def intent_void(self, *, intent_id: str) -> Charge | None:
        client = _client()
        intent = _intent_retrieve(client, intent_id)
        if intent.status == "succeeded":
            return _charge(intent)
        if intent.status == "canceled":
            return None
        if intent.status not in _CANCELABLE:
            # `processing`: its outcome is not known yet; asked again later.
            raise _not_settled(intent, "voiding")
        try:
            canceled = client.v1.payment_intents.cancel(
                intent_id,
                {"cancellation_reason": "abandoned"},
                {"idempotency_key": f"void-{intent_id}"},
            )
        except stripe.InvalidRequestError as error:
            if error.code != _UNEXPECTED_STATE:
                raise _unavailable("PaymentIntent cancel", error) from error
            # Confirmed meanwhile (or canceled by another call): what it is now.
            canceled = _intent_retrieve(client, intent_id)
        except stripe.StripeError as error:
            raise _unavailable("PaymentIntent cancel", error) from error
        if canceled.status == "succeeded":
            return _charge(canceled)
        if canceled.status == "canceled":
            return None
        raise _not_settled(canceled, "voiding")

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


_UNEXPECTED_STATE = "payment_intent_unexpected_state"
# What a PaymentIntent can be canceled from (with automatic capture, `requires_capture` never
# comes; canceling it would release the authorization).
_CANCELABLE = frozenset(
    {"requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"}
)
# The buyer's answer for a PaymentIntent canceled before this confirmation (the order ended).
NO_LONGER_PAYABLE = "This payment can no longer be made."


def _charge(intent) -> Charge:
    return Charge(
        charge_id=intent.id, amount=intent.amount_received, currency=intent.currency.upper()
    )


def _outcome(intent) -> Charge:
    """What a confirmed PaymentIntent's status means."""
    if intent.status == "succeeded":
        return _charge(intent)
    if intent.status == "requires_action":
        raise ChargeDeclined(AUTHENTICATION_NOT_SUPPORTED)
    if intent.status == "requires_payment_method":
        last_error = intent.get("last_payment_error")
        raise ChargeDeclined(
            (last_error and last_error.get("message")) or "Your card was declined."
        )
    if intent.status == "canceled":
        raise ChargeDeclined(NO_LONGER_PAYABLE)
    # `processing`, `requires_capture`, `requires_confirmation`: not what a card confirmed at
    # once with automatic capture ends in; nothing is known to be charged yet.
    raise _not_settled(intent, "confirming")


def _confirmed_before(client: stripe.StripeClient, intent_id: str) -> Charge:
    """A confirmation Stripe refused for the PaymentIntent's state: what that state is."""
    intent = _intent_retrieve(client, intent_id)
    if intent.status == "succeeded":
        return _charge(intent)
    if intent.status == "canceled":
        raise ChargeDeclined(NO_LONGER_PAYABLE)
    # `processing` (its outcome comes later), or a state that confirming would not have been
    # refused in (changed meanwhile): asked again later.
    raise _not_settled(intent, "confirming")


def _intent_retrieve(client: stripe.StripeClient, intent_id: str):
    """The PaymentIntent as Stripe has it now; any failure to read it is unavailable."""
    try:
        return client.v1.payment_intents.retrieve(intent_id)
    except stripe.StripeError as error:
        raise _unavailable("PaymentIntent retrieve", error) from error


def _not_settled(intent, doing: str) -> ProcessorUnavailable:
    logger.error("Stripe PaymentIntent %s is %s when %s", intent.id, intent.status, doing)
    return ProcessorUnavailable(f"The payment is {intent.status} at Stripe")


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
    if param.startswith("payment_method"):
        return True
    if error.code == "resource_missing":
        # Stripe names a missing PaymentIntent with the parameter `intent`.
        return param != "intent" and "payment_intent" not in (error.user_message or "")
    return error.code in _BUYER_INVALID_REQUEST_CODES


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
