"""Payments' OpenAPI schema is a contract: every answer to what schemathesis sends, under all of
its checks, is one the schema documents.

schemathesis.toml beside manage.py turns `unsupported_method` off (an unknown method is a 404 in
the error format, contract §2, never a 405) and lets a payment answer 400 to schema-valid input
the schema cannot know to refuse: an order that is cancelled, paid or expired, and a card the
processor declines (any token but its test cards), so this test and a by-hand run agree.

Cases are signed in as one buyer, whose order copies are there before the first case: orders to
pay, the first with the id of the schema's example (whose token, `tok_visa`, is a test card that
is charged), and one cancelled, one paid, one expired and another buyer's. A generated `orderId`
is now and then one of them and a generated token now and then a test card, charged or declined,
so generated bodies reach 201, the 400s of each state and of a decline, 401 and the 404 of an
unknown id (seed 7 reaches each). Schemathesis still sends cases without the token
(`ignored_auth`'s probes, and negative cases that leave it out) and checks that they are
refused. `test_each_state_of_an_order_is_answered_as_documented` sends each of those for
certain, under the same checks. The built-in test processor always answers: the 502 of one that
does not is documented (`test_the_schema_documents_every_answer_of_a_payment`), not reached.
"""

import hashlib
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from payments.models import OrderCopy
from payments.tests.factories import OrderCopyFactory
from ticketing_shared.fields import CANONICAL_UUID
from ticketing_shared.testing.api import error_messages
from ticketing_shared.testing.schema_contract import service_schema_contract, signed_in_as
from ticketing_shared.testing.tokens import access_token_mint

PAYMENTS_SERVICE_DIR = Path(__file__).resolve().parents[2]

schema = service_schema_contract(
    schema_path="/api/payments/schema", config_path=PAYMENTS_SERVICE_DIR / "schemathesis.toml"
)
OPERATION = schema.raw_schema["paths"]["/api/payments"]["post"]
EXAMPLE_BODY = OPERATION["requestBody"]["content"]["application/json"]["examples"][
    "APaymentWithATestCard"
]["value"]

BUYER_ID = uuid.UUID("b0e7e400-0000-4000-8000-000000000002")
signed_in_as(schema, user_id=BUYER_ID)

# The buyer's orders to pay (each once: then it is paid), the first the schema example's.
PAYABLE_ORDER_IDS = [
    uuid.UUID(EXAMPLE_BODY["orderId"]),
    *(uuid.UUID(f"0de7e400-0000-4000-8000-0000000000a{n}") for n in range(1, 4)),
]
CANCELLED_ORDER_ID = uuid.UUID("0de7e400-0000-4000-8000-0000000000c1")
PAID_ORDER_ID = uuid.UUID("0de7e400-0000-4000-8000-0000000000c2")
EXPIRED_ORDER_ID = uuid.UUID("0de7e400-0000-4000-8000-0000000000c3")
OTHER_BUYERS_ORDER_ID = uuid.UUID("0de7e400-0000-4000-8000-0000000000c4")
KNOWN_ORDER_IDS = [
    *PAYABLE_ORDER_IDS,
    CANCELLED_ORDER_ID,
    PAID_ORDER_ID,
    EXPIRED_ORDER_ID,
    OTHER_BUYERS_ORDER_ID,
]
TOKEN_SCHEMA = schema.raw_schema["components"]["schemas"]["PaymentInput"]["properties"]["token"]
# The processor's test cards: the example's, charged, and one it declines.
KNOWN_TOKENS = [EXAMPLE_BODY["token"], "tok_chargeDeclined"]

# Every test starts from the known state. Committed: the WSGI app closes the connection after
# each request, as a server does, which would end a test transaction (the events each commit
# relays go to the suite's own broker).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("_known_state")]


@pytest.fixture
def _known_state():
    # Rows, not events: the contract test needs a state to start from. The cases share them
    # (and the payments made), as a client's requests would.
    for order_id in PAYABLE_ORDER_IDS:
        OrderCopyFactory(id=order_id, user_id=BUYER_ID)
    OrderCopyFactory(
        id=CANCELLED_ORDER_ID, user_id=BUYER_ID, status=OrderCopy.Status.CANCELLED, version=1
    )
    OrderCopyFactory(
        id=PAID_ORDER_ID, user_id=BUYER_ID, status=OrderCopy.Status.COMPLETE, version=1
    )
    OrderCopyFactory(
        id=EXPIRED_ORDER_ID, user_id=BUYER_ID, expires_at=timezone.now() - timedelta(minutes=1)
    )
    OrderCopyFactory(id=OTHER_BUYERS_ORDER_ID)


def _pick(value: str, known: list, *, by: str) -> str:
    """One of `known` for most values, chosen by `by` (what was generated, so the seed alone
    still decides what is sent); the rest, and a known one, stay as generated."""
    if value in map(str, known):
        return value
    choices = [None, *known]
    chosen = choices[int(hashlib.sha256(by.encode()).hexdigest(), 16) % len(choices)]
    return value if chosen is None else str(chosen)


def _body_to_known_state(case) -> None:
    """Points an `orderId` that is an id and a token the schema takes (any string it allows)
    at the known state; a known one (the example's) and any other value are left as they are:
    the case is about its form."""
    if not isinstance(case.body, dict):
        return
    order_id, token = case.body.get("orderId"), case.body.get("token")
    # Chosen by both: the generated ids are few, the tokens many.
    generated = f"{order_id!r} {token!r}"
    if isinstance(order_id, str) and CANONICAL_UUID.fullmatch(order_id):
        case.body["orderId"] = _pick(order_id, KNOWN_ORDER_IDS, by=generated)
    if (
        isinstance(token, str)
        and TOKEN_SCHEMA["minLength"] <= len(token) <= TOKEN_SCHEMA["maxLength"]
    ):
        case.body["token"] = _pick(token, KNOWN_TOKENS, by=f"token {generated}")


@schema.parametrize()
def test_every_answer_is_one_the_schema_documents(case):
    _body_to_known_state(case)
    case.call_and_validate()


def _resolved(node: dict) -> dict:
    ref = node.get("$ref", "")
    return schema.raw_schema["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else node


def test_the_schema_documents_every_answer_of_a_payment():
    responses = OPERATION["responses"]
    bodies = {
        code: _resolved(responses[code]["content"]["application/json"]["schema"])
        for code in ("201", "400", "401", "404", "409", "502")
    }
    error_body = schema.raw_schema["components"]["schemas"]["ErrorResponse"]
    assert bodies["201"]["required"] == ["amount", "currency", "id", "orderId"]
    assert all(bodies[code] == error_body for code in ("400", "401", "404", "409", "502"))

    request = _resolved(OPERATION["requestBody"]["content"]["application/json"]["schema"])
    assert OPERATION["requestBody"]["required"] is True
    assert sorted(request["required"]) == ["orderId", "token"]
    assert request["properties"]["orderId"] == {"type": "string", "format": "uuid"}
    assert request["properties"]["token"] == {"type": "string", "minLength": 1, "maxLength": 255}


@pytest.mark.parametrize(
    ("order_id", "token", "status", "error"),
    [
        (PAYABLE_ORDER_IDS[0], "tok_visa", 201, None),
        (PAYABLE_ORDER_IDS[0], "tok_chargeDeclined", 400, ("Your card was declined.", "token")),
        (CANCELLED_ORDER_ID, "tok_visa", 400, ("Cannot pay for a cancelled order", None)),
        (PAID_ORDER_ID, "tok_visa", 400, ("Order has already been paid", None)),
        (EXPIRED_ORDER_ID, "tok_visa", 400, ("Order has expired", None)),
        (OTHER_BUYERS_ORDER_ID, "tok_visa", 401, ("Not authorized", None)),
        (uuid.UUID(int=1), "tok_visa", 404, ("Not Found", None)),
    ],
)
def test_each_state_of_an_order_is_answered_as_documented(order_id, token, status, error):
    # The generated cases reach these now and then; here each is sent for certain, under the
    # same checks (the auth hook signs in generated cases only: this one carries the token).
    case = schema["/api/payments"]["POST"].Case(
        body={"orderId": str(order_id), "token": token}, media_type="application/json"
    )
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {access_token_mint(user_id=BUYER_ID)}"}
    )

    assert response.status_code == status
    assert status == 201 or error_messages(response) == [error]
