"""A small Stripe-compatible HTTP server the tests start on loopback, and its fixture.

The Stripe processor is tested through the real `stripe` SDK against this server, never the
internet. It answers the part of Stripe's API the processor uses, as Stripe does (PaymentIntents
created unconfirmed, confirmed with the test cards, again after a decline, succeeding once,
retrieved and canceled; refunds; idempotency keys), and it checks what the SDK sends: the path,
the form-encoded body, `Authorization: Bearer <secret key>`, an `Idempotency-Key` on every POST,
`Stripe-Version` equal to the SDK's API version, and no parameter Stripe would not know (nor one
the processor should never send, as `confirm` when creating). A request that breaks one of these
is answered 400 and recorded in `problems`, which the fixture asserts empty at the end of each
test.

Knobs make the next requests fail: `fail_next` (a 5xx), `hang_next` (the request is carried out
but its answer comes later than the client waits, as when a response is lost) and
`unauthorized_next` (a 401, as for a revoked key); `set_status` moves a PaymentIntent as Stripe
would on its own (`processing`). Every request is kept in `requests`.

Use: take `stripe_server` as a fixture (this module is one of the suite's `pytest_plugins`, in
conftest.py); it points the settings at the server.
"""

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

API_VERSION = stripe.api_version

# The test cards, as Stripe's test mode answers them (https://docs.stripe.com/testing).
SUCCEEDING = frozenset(
    {
        "pm_card_visa",
        "pm_card_visa_debit",
        "pm_card_mastercard",
        "pm_card_amex",
        "tok_visa",
        "tok_visa_debit",
        "tok_mastercard",
        "tok_amex",
    }
)
DECLINED = {
    # token: (decline_code, code, message)
    "pm_card_chargeDeclined": ("generic_decline", "card_declined", "Your card was declined."),
    "tok_chargeDeclined": ("generic_decline", "card_declined", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "insufficient_funds",
        "card_declined",
        "Your card has insufficient funds.",
    ),
    "tok_chargeDeclinedInsufficientFunds": (
        "insufficient_funds",
        "card_declined",
        "Your card has insufficient funds.",
    ),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "expired_card", "Your card has expired."),
    "tok_chargeDeclinedExpiredCard": ("expired_card", "expired_card", "Your card has expired."),
}
# Cards whose bank always asks for 3-D Secure.
AUTHENTICATION_REQUIRED = frozenset({"pm_card_authenticationRequired", "tok_threeDSecure2Required"})

# What Stripe takes when creating a PaymentIntent, less what the processor must never send then:
# `confirm`, `payment_method`, `payment_method_data` (an intent is recorded before any card is
# charged, then confirmed).
PAYMENT_INTENT_CREATE_PARAMS = frozenset(
    {
        "amount",
        "currency",
        "payment_method_types",
        "automatic_payment_methods",
        "metadata",
        "description",
        "capture_method",
        "expand",
    }
)
PAYMENT_INTENT_CONFIRM_PARAMS = frozenset(
    {
        "payment_method",
        "payment_method_data",
        "error_on_requires_action",
        "return_url",
        "off_session",
        "receipt_email",
        "expand",
    }
)
PAYMENT_INTENT_CANCEL_PARAMS = frozenset({"cancellation_reason", "expand"})
CANCELLATION_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer", "abandoned"})
PAYMENT_INTENT_RETRIEVE_PARAMS = frozenset({"expand", "client_secret"})
REFUND_PARAMS = frozenset({"payment_intent", "charge", "amount", "reason", "metadata", "expand"})
LIST_REFUND_PARAMS = frozenset({"payment_intent", "charge", "limit", "expand"})
CONFIRMABLE = ("requires_confirmation", "requires_payment_method", "requires_action")
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)


@dataclass
class Recorded:
    """One request as the server received it, and how it answered."""

    method: str
    path: str
    headers: dict[str, str]  # names lowercased
    params: dict[str, Any]  # the query (GET) or the form body (POST), decoded as Stripe does
    body: str
    status: int = 0
    replayed: bool = False


@dataclass
class _Stored:
    """A request carried out under an idempotency key, and its answer, replayed on a repeat."""

    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: dict


class StripeServer:
    def __init__(self, secret_key: str | None = None) -> None:
        self.secret_key = secret_key or f"sk_test_{secrets.token_hex(16)}"
        self.requests: list[Recorded] = []
        # What the SDK sent that Stripe would refuse or that the processor should never send.
        self.problems: list[str] = []
        self.payment_intents: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        # The card (test token or PaymentMethod) each PaymentMethod the server made stands for.
        self.cards: dict[str, str] = {}
        self.refunds: dict[str, dict] = {}
        self._idempotent: dict[str, _Stored] = {}
        self._lock = threading.RLock()
        self._after: list[tuple[str, str, Callable[[], None]]] = []
        self._fail: list[int] = []
        self._hang: list[float] = []
        self._unauthorized: list[bool] = []
        # As if Stripe ignored `error_on_requires_action`: a card asking for 3-D Secure leaves the
        # PaymentIntent in `requires_action` (how the processor answers that state too).
        self.ignore_error_on_requires_action = False
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- Life ---

    def start(self) -> "StripeServer":
        server = self

        class Handler(_Handler):
            stripe_server = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # --- Knobs ---

    def fail_next(self, count: int, status: int = 500) -> None:
        """The next `count` requests are answered `status` (a Stripe API error), not carried out."""
        with self._lock:
            self._fail.extend([status] * count)

    def hang_next(self, count: int, seconds: float) -> None:
        """The next `count` requests are carried out, but answered only after `seconds`."""
        with self._lock:
            self._hang.extend([seconds] * count)

    def unauthorized_next(self, count: int, echo_key: bool = False) -> None:
        """The next `count` requests are answered 401 as for a revoked key; with `echo_key` the
        message repeats the key in full (Stripe masks it; a guard that it is never logged)."""
        with self._lock:
            self._unauthorized.extend([echo_key] * count)

    def after_next(self, method: str, path: str, action: Callable[[], None]) -> None:
        """Runs `action` right after the next `method` `path` request is carried out (before
        any other request is): what another client did meanwhile, as `confirm_now`."""
        with self._lock:
            self._after.append((method, path, action))

    def confirm_now(self, intent_id: str, card: str = "pm_card_visa") -> None:
        """Confirms a PaymentIntent with `card` as another client of Stripe would."""
        with self._lock:
            request = Recorded("POST", f"/v1/payment_intents/{intent_id}/confirm", {}, {}, "")
            request.params = {"payment_method": card, "error_on_requires_action": "true"}
            self._payment_intent_confirm(request, self.payment_intents[intent_id])

    # --- Reading ---

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def payment_intents_for(self, order_id) -> list[dict]:
        return [
            pi
            for pi in self.payment_intents.values()
            if pi["metadata"].get("orderId") == str(order_id)
        ]

    def payment_intent(self, intent_id: str) -> dict:
        """A PaymentIntent as Stripe holds it now (a copy)."""
        with self._lock:
            return dict(self.payment_intents[intent_id])

    def succeeded_count(self, order_id) -> int:
        """How many of the order's PaymentIntents succeeded (each took its amount once)."""
        return sum(pi["status"] == "succeeded" for pi in self.payment_intents_for(order_id))

    def cards_charged(self, order_id) -> list[str]:
        """The cards (as the processor named them) of the order's succeeded charges."""
        intents = {pi["id"] for pi in self.payment_intents_for(order_id)}
        return [
            self.cards[charge["payment_method"]]
            for charge in self.charges.values()
            if charge["payment_intent"] in intents and charge["status"] == "succeeded"
        ]

    def set_status(self, intent_id: str, status: str) -> None:
        """Moves a PaymentIntent as Stripe would on its own (`processing`: a payment whose
        outcome comes later)."""
        with self._lock:
            self.payment_intents[intent_id]["status"] = status

    # --- Answering (one request at a time, under the lock) ---

    def handle(self, method: str, target: str, headers: dict[str, str], body: str):
        """Returns (status, answer, seconds to wait before answering)."""
        split = urlsplit(target)
        path = split.path
        raw = body if method == "POST" else split.query
        params = form_decode(raw)
        recorded = Recorded(method, path, headers, params, body)
        with self._lock:
            self.requests.append(recorded)
            hang = self._hang.pop(0) if self._hang else 0.0
            status, answer = self._answer(recorded)
            recorded.status = status
            for after in self._after:
                if after[:2] == (method, path):
                    self._after.remove(after)
                    after[2]()
                    break
        return status, answer, hang

    def _answer(self, request: Recorded) -> tuple[int, dict]:
        headers = request.headers
        if self._fail:
            status = self._fail.pop(0)
            return status, _error("api_error", "An unknown error occurred", status=status)[1]
        if self._unauthorized:
            echo = self._unauthorized.pop(0)
            presented = headers.get("authorization", "").removeprefix("Bearer ")
            return _unauthorized(presented if echo else _mask(presented))
        authorization = headers.get("authorization", "")
        if not authorization.startswith("Bearer sk_test_"):
            self.problems.append(
                f"{request.method} {request.path}: Authorization {authorization!r}"
            )
        if authorization != f"Bearer {self.secret_key}":
            return _unauthorized(_mask(authorization.removeprefix("Bearer ")))
        if headers.get("stripe-version") != API_VERSION:
            return self._refuse(
                request, f"Stripe-Version is {headers.get('stripe-version')!r}, not {API_VERSION}"
            )
        if request.method == "POST":
            content_type = headers.get("content-type", "")
            if content_type != "application/x-www-form-urlencoded":
                return self._refuse(request, f"Content-Type is {content_type!r}")
            key = headers.get("idempotency-key")
            if not key:
                return self._refuse(request, "no Idempotency-Key")
            stored = self._idempotent.get(key)
            if stored is not None:
                if (stored.method, stored.path, stored.params) != (
                    request.method,
                    request.path,
                    request.params,
                ):
                    return _error(
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request.",
                    )
                request.replayed = True
                return stored.status, stored.body
            status, answer = self._route(request)
            # Stripe keeps the answer of a request that began to run (a success, a card error,
            # a PaymentIntent in a state that refuses it), not of one refused before
            # (validation, authentication) or a 5xx.
            if status in (200, 402) or answer.get("error", {}).get("code") == UNEXPECTED_STATE:
                self._idempotent[key] = _Stored(
                    request.method, request.path, request.params, status, answer
                )
            return status, answer
        return self._route(request)

    def _refuse(self, request: Recorded, problem: str) -> tuple[int, dict]:
        self.problems.append(f"{request.method} {request.path}: {problem}")
        return _error("invalid_request_error", f"Test server refused the request: {problem}")

    def _route(self, request: Recorded) -> tuple[int, dict]:
        method, path, params = request.method, request.path, request.params
        if method == "POST" and path == "/v1/payment_intents":
            return self._payment_intent_create(request, params)
        match = re.fullmatch(r"/v1/payment_intents/([^/]+)(?:/(confirm|cancel))?", path)
        if match and (method, match[2]) in (("GET", None), ("POST", "confirm"), ("POST", "cancel")):
            intent = self.payment_intents.get(match[1])
            if intent is None:
                # A missing object the path names is a 404 (one a parameter names, a 400).
                return _missing("payment_intent", match[1], "intent", status=404)
            if match[2] == "confirm":
                return self._payment_intent_confirm(request, intent)
            if match[2] == "cancel":
                return self._payment_intent_cancel(request, intent)
            if refused := self._unknown_params(request, PAYMENT_INTENT_RETRIEVE_PARAMS):
                return refused
            return 200, self._expanded(intent, params.get("expand", []))
        if method == "POST" and path == "/v1/refunds":
            return self._refund_create(request, params)
        if method == "GET" and path == "/v1/refunds":
            return self._refund_list(request, params)
        self.problems.append(f"{method} {path}: no such endpoint")
        return 404, _error(
            "invalid_request_error", f"Unrecognized request URL ({method}: {path}).", status=404
        )[1]

    def _unknown_params(self, request: Recorded, known: frozenset) -> tuple[int, dict] | None:
        for name in request.params:
            if name not in known:
                self.problems.append(f"{request.method} {request.path}: parameter {name!r}")
                return _error(
                    "invalid_request_error", f"Received unknown parameter: {name}", param=name
                )
        return None

    def _payment_intent_create(self, request: Recorded, params: dict) -> tuple[int, dict]:
        if refused := self._unknown_params(request, PAYMENT_INTENT_CREATE_PARAMS):
            return refused
        amount = params.get("amount", "")
        if not amount.isdigit() or int(amount) <= 0:
            return self._refuse(request, f"amount {amount!r} is not a positive integer of cents")
        currency = params.get("currency", "")
        if not re.fullmatch(r"[a-z]{3}", currency):
            return self._refuse(request, f"currency {currency!r} is not lowercase ISO 4217")
        redirects = params.get("automatic_payment_methods", {})
        if params.get("payment_method_types") != ["card"] and not (
            redirects.get("enabled") == "true" and redirects.get("allow_redirects") == "never"
        ):
            return self._refuse(request, "a payment method that may redirect, with no return_url")
        if int(amount) < MINIMUM_CHARGE_CENTS:
            return _error(
                "invalid_request_error",
                f"Amount must be at least $0.50 {currency}",
                code="amount_too_small",
                param="amount",
            )
        intent = {
            "id": _id("pi"),
            "object": "payment_intent",
            "amount": int(amount),
            "amount_received": 0,
            "currency": currency,
            "status": "requires_payment_method",
            "confirmation_method": "automatic",
            "capture_method": "automatic",
            "payment_method": None,
            "payment_method_types": ["card"],
            "metadata": params.get("metadata", {}),
            "latest_charge": None,
            "last_payment_error": None,
            "next_action": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "livemode": False,
            "created": int(time.time()),
        }
        self.payment_intents[intent["id"]] = intent
        return 200, dict(intent)

    def _payment_intent_confirm(self, request: Recorded, intent: dict) -> tuple[int, dict]:
        params = request.params
        if refused := self._unknown_params(request, PAYMENT_INTENT_CONFIRM_PARAMS):
            return refused
        card = params.get("payment_method_data", {})
        if ("payment_method" in params) == bool(card):
            return self._refuse(request, "not exactly one of payment_method, payment_method_data")
        if card:
            token = card.get("card", {}).get("token", "")
            if card.get("type") != "card" or not token.startswith("tok_"):
                return self._refuse(request, f"payment_method_data {card!r}")
            param = "payment_method_data[card][token]"
            kind = "token"
        else:
            token = params["payment_method"]
            param, kind = "payment_method", "PaymentMethod"
        if intent["status"] == "succeeded":
            return _unexpected_state(
                intent,
                "You cannot confirm this PaymentIntent because it has already succeeded after "
                "being previously confirmed.",
            )
        if intent["status"] not in CONFIRMABLE:
            return _unexpected_state(
                intent,
                "You cannot confirm this PaymentIntent because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                f"may be confirmed: {', '.join(CONFIRMABLE)}.",
            )
        known = SUCCEEDING | set(DECLINED) | AUTHENTICATION_REQUIRED
        if token not in known:
            return _error(
                "invalid_request_error",
                f"No such {kind}: '{token}'",
                code="resource_missing",
                param=param,
            )

        payment_method = _id("pm")
        self.cards[payment_method] = token
        intent.update(payment_method=payment_method, next_action=None)
        if token in SUCCEEDING:
            charge = self._charge(intent, "succeeded")
            intent.update(
                status="succeeded",
                amount_received=intent["amount"],
                latest_charge=charge["id"],
                last_payment_error=None,
            )
            return 200, dict(intent)
        if token in AUTHENTICATION_REQUIRED and (
            params.get("error_on_requires_action") != "true" or self.ignore_error_on_requires_action
        ):
            intent.update(
                status="requires_action",
                next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {}},
            )
            return 200, dict(intent)
        if token in AUTHENTICATION_REQUIRED:
            decline_code, code = "authentication_required", "authentication_required"
            message = "Your card was declined. This transaction requires authentication."
        else:
            decline_code, code, message = DECLINED[token]
        charge = self._charge(intent, "failed")
        error = {
            "type": "card_error",
            "code": code,
            "decline_code": decline_code,
            "message": message,
            "charge": charge["id"],
            "doc_url": f"https://stripe.com/docs/error-codes/{code}",
        }
        # The PaymentIntent waits for another card.
        intent.update(
            status="requires_payment_method",
            latest_charge=charge["id"],
            last_payment_error=dict(error),
        )
        error["payment_intent"] = dict(intent)
        return 402, {"error": error}

    def _payment_intent_cancel(self, request: Recorded, intent: dict) -> tuple[int, dict]:
        if refused := self._unknown_params(request, PAYMENT_INTENT_CANCEL_PARAMS):
            return refused
        reason = request.params.get("cancellation_reason")
        if reason is not None and reason not in CANCELLATION_REASONS:
            return self._refuse(request, f"cancellation_reason {reason!r}")
        if intent["status"] not in CANCELABLE:
            return _unexpected_state(
                intent,
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                f"may be canceled: {', '.join(CANCELABLE)}.",
            )
        intent.update(status="canceled", canceled_at=int(time.time()), cancellation_reason=reason)
        return 200, dict(intent)

    def _charge(self, intent: dict, status: str) -> dict:
        charge = {
            "id": _id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"] if status == "succeeded" else 0,
            "amount_refunded": 0,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "payment_method": intent["payment_method"],
            "paid": status == "succeeded",
            "refunded": False,
            "status": status,
        }
        self.charges[charge["id"]] = charge
        return charge

    def _expanded(self, intent: dict, expand: list[str]) -> dict:
        intent = dict(intent)
        if "latest_charge" in expand and intent["latest_charge"]:
            intent["latest_charge"] = self.charges[intent["latest_charge"]]
        return intent

    def _refund_create(self, request: Recorded, params: dict) -> tuple[int, dict]:
        if refused := self._unknown_params(request, REFUND_PARAMS):
            return refused
        intent_id = params.get("payment_intent", "")
        intent = self.payment_intents.get(intent_id)
        if intent is None:
            return _missing("payment_intent", intent_id, "payment_intent")
        charge = self.charges.get(intent["latest_charge"] or "")
        if intent["status"] != "succeeded" or charge is None:
            return _error(
                "invalid_request_error",
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                code="charge_not_refundable",
            )
        if charge["refunded"]:
            return _error(
                "invalid_request_error",
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        refund = {
            "id": _id("re"),
            "object": "refund",
            "amount": charge["amount"],
            "charge": charge["id"],
            "currency": charge["currency"],
            "payment_intent": intent_id,
            "status": "succeeded",
            "metadata": params.get("metadata", {}),
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        charge.update(refunded=True, amount_refunded=charge["amount"])
        return 200, refund

    def _refund_list(self, request: Recorded, params: dict) -> tuple[int, dict]:
        if refused := self._unknown_params(request, LIST_REFUND_PARAMS):
            return refused
        refunds = [
            refund
            for refund in self.refunds.values()
            if refund["payment_intent"] == params.get("payment_intent", refund["payment_intent"])
        ]
        return 200, {"object": "list", "url": "/v1/refunds", "has_more": False, "data": refunds}


class _Handler(BaseHTTPRequestHandler):
    stripe_server: StripeServer

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, answer, hang = self.stripe_server.handle(method, self.path, headers, body)
        if hang:
            time.sleep(hang)
        payload = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Request-Id", _id("req"))
            self.send_header("Stripe-Version", API_VERSION)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (hang_next)

    def log_message(self, format: str, *args) -> None:
        pass


def form_decode(encoded: str) -> dict[str, Any]:
    """Stripe's form encoding decoded: `a[b][c]=1` nests, `a[0]=x&a[1]=y` is a list."""
    decoded: dict[str, Any] = {}
    for name, value in parse_qsl(encoded, keep_blank_values=True):
        keys = re.findall(r"[^\[\]]+", name)
        node = decoded
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return _lists(decoded)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    node = {key: _lists(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):
        return [node[key] for key in sorted(node, key=int)]
    return node


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _mask(key: str) -> str:
    return f"{key[:8]}{'*' * max(len(key) - 12, 0)}{key[-4:]}"


# Stripe's least charge in dollars (and most two-decimal currencies): 50 cents.
MINIMUM_CHARGE_CENTS = 50


def _error(kind: str, message: str, *, status: int = 400, **extra) -> tuple[int, dict]:
    return status, {"error": {"type": kind, "message": message, **extra}}


def _missing(kind: str, identifier: str, param: str, *, status: int = 400) -> tuple[int, dict]:
    return _error(
        "invalid_request_error",
        f"No such {kind}: '{identifier}'",
        status=status,
        code="resource_missing",
        param=param,
    )


UNEXPECTED_STATE = "payment_intent_unexpected_state"


def _unexpected_state(intent: dict, message: str) -> tuple[int, dict]:
    return _error(
        "invalid_request_error", message, code=UNEXPECTED_STATE, payment_intent=dict(intent)
    )


def _unauthorized(shown_key: str) -> tuple[int, dict]:
    return _error("invalid_request_error", f"Invalid API Key provided: {shown_key}", status=401)


# How long the processor waits for one answer in tests: short, so a hang is found quickly.
TIMEOUT_SECONDS = 0.5
NETWORK_RETRIES = 2


@pytest.fixture(name="stripe_server")
def stripe_server_fixture(settings):
    """A Stripe-compatible server on loopback, with the settings pointing the Stripe processor
    at it (PAYMENTS_PROCESSOR=stripe). Fails the test if the SDK sent what Stripe would refuse."""
    server = StripeServer().start()
    settings.PAYMENTS_PROCESSOR = "stripe"
    settings.STRIPE_SECRET_KEY = server.secret_key
    settings.STRIPE_API_BASE = server.url
    settings.STRIPE_TIMEOUT_SECONDS = TIMEOUT_SECONDS
    settings.STRIPE_MAX_NETWORK_RETRIES = NETWORK_RETRIES
    try:
        yield server
    finally:
        server.stop()
    assert not server.problems, server.problems
