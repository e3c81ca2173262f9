"""Orders' OpenAPI schema is a contract: every answer to what schemathesis sends, under all of
its checks, is one the schema documents.

One check is off, in schemathesis.toml beside manage.py: `unsupported_method` wants 405 for a
method an operation does not document, and the contract answers it with 404 in the error format.
The same file lets creation answer 400 to a ticket an order holds or the buyer's own (also the
second order for one ticket: creation is not idempotent), and cancellation 400 to a completed
order, so this test and a by-hand run against a server agree.

Cases are signed in as one buyer, whose orders and the tickets around them are there before the
first case: a ticket id in the body and an order id in the path are now and then one of them,
so creation reaches a ticket to buy (201), a held one and the buyer's own (400), and reads and
cancellations reach an order in each status (200, 204, 400 completed) and another buyer's (401),
as well as the 404 of an unknown id. Schemathesis still sends cases without the token
(`ignored_auth`'s probes, and negative cases that leave the credential out) and checks that
they are refused.
"""

import re
import uuid
from pathlib import Path

import pytest

from orders.models import Order
from orders.tests.factories import OrderFactory, TicketCopyFactory
from ticketing_shared.testing.schema_contract import service_schema_contract, signed_in_as

ORDERS_SERVICE_DIR = Path(__file__).resolve().parents[2]

schema = service_schema_contract(
    schema_path="/api/orders/schema", config_path=ORDERS_SERVICE_DIR / "schemathesis.toml"
)

BUYER_ID = uuid.UUID("b0e7e400-0000-4000-8000-000000000001")
# The form Django's `<uuid:...>` route takes; any other spelling of an id is a path no route has.
ROUTED_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


signed_in_as(schema, user_id=BUYER_ID)

# Tickets to buy (each once: the first order holds it), the buyer's own, and one another
# buyer's order holds (`_known_state`).
AVAILABLE_TICKET_IDS = [
    uuid.UUID("71c4e700-0000-4000-8000-000000000001"),
    uuid.UUID("71c4e700-0000-4000-8000-000000000002"),
    uuid.UUID("71c4e700-0000-4000-8000-000000000003"),
]
OWN_TICKET_ID = uuid.UUID("71c4e700-0000-4000-8000-000000000004")
HELD_TICKET_ID = uuid.UUID("71c4e700-0000-4000-8000-000000000005")
KNOWN_TICKET_IDS = [*AVAILABLE_TICKET_IDS, OWN_TICKET_ID, HELD_TICKET_ID]

# The buyer's orders in each status but `awaiting:payment` (nothing here tells it from
# `created`), and the order of another buyer that holds HELD_TICKET_ID.
CREATED_ORDER_ID = uuid.UUID("0de7e400-0000-4000-8000-000000000001")
COMPLETE_ORDER_ID = uuid.UUID("0de7e400-0000-4000-8000-000000000002")
CANCELLED_ORDER_ID = uuid.UUID("0de7e400-0000-4000-8000-000000000003")
OTHER_BUYERS_ORDER_ID = uuid.UUID("0de7e400-0000-4000-8000-000000000004")
KNOWN_ORDER_IDS = [CREATED_ORDER_ID, COMPLETE_ORDER_ID, CANCELLED_ORDER_ID, OTHER_BUYERS_ORDER_ID]


@pytest.fixture
def _known_state():
    # Rows, not services: the contract test needs a state to start from, not its events. The
    # cases share them (and what creations and cancellations did to them), as a client's
    # requests would.
    for ticket_id in AVAILABLE_TICKET_IDS:
        TicketCopyFactory(id=ticket_id)
    TicketCopyFactory(id=OWN_TICKET_ID, user_id=BUYER_ID)
    OrderFactory(id=OTHER_BUYERS_ORDER_ID, ticket=TicketCopyFactory(id=HELD_TICKET_ID))
    OrderFactory(id=CREATED_ORDER_ID, user_id=BUYER_ID, status=Order.Status.CREATED)
    OrderFactory(id=COMPLETE_ORDER_ID, user_id=BUYER_ID, status=Order.Status.COMPLETE, version=1)
    OrderFactory(id=CANCELLED_ORDER_ID, user_id=BUYER_ID, status=Order.Status.CANCELLED, version=1)


def _known_or_unchanged(value, known_ids: list[uuid.UUID]):
    """One of `known_ids` for most ids in the route's form; the rest stay the random ids they
    were, which nothing has (404). The generated id decides which, so the seed alone still
    decides what is sent. Anything else is left as it is: the case is about its form."""
    if not isinstance(value, str) or not ROUTED_UUID.match(value):
        return value
    choices = [None, *known_ids]
    chosen = choices[uuid.UUID(value).int % len(choices)]
    return value if chosen is None else str(chosen)


def _ids_to_known_state(case) -> None:
    """Points a ticket id in a JSON body and an order id in the path at the known state."""
    if isinstance(case.body, dict) and "ticketId" in case.body:
        case.body["ticketId"] = _known_or_unchanged(case.body["ticketId"], KNOWN_TICKET_IDS)
    if case.path_parameters and "order_id" in case.path_parameters:
        case.path_parameters["order_id"] = _known_or_unchanged(
            case.path_parameters["order_id"], KNOWN_ORDER_IDS
        )


@schema.parametrize()
# Committed: the WSGI app closes the connection after each request, as a server does, which
# would end a test transaction (the events each commit relays go to the suite's own broker).
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_known_state")
def test_every_answer_is_one_the_schema_documents(case):
    _ids_to_known_state(case)
    case.call_and_validate()


@pytest.mark.django_db
def test_a_cancellation_with_a_body_that_is_not_json_is_a_documented_415(api_client, sign_in):
    # Schemathesis sends such a body only as a probe for server errors, never checking that
    # its 415 is documented: the operation declares no body, yet a client may send one.
    sign_in(api_client, user_id=BUYER_ID)

    response = api_client.delete(f"/api/orders/{CREATED_ORDER_ID}", "x", content_type="text/plain")

    assert response.status_code == 415
    documented = schema.raw_schema["paths"]["/api/orders/{order_id}"]["delete"]["responses"]
    assert str(response.status_code) in documented
