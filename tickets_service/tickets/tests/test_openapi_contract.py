"""Tickets' OpenAPI schema is a contract: every answer to what schemathesis sends, under all of
its checks, is one the schema documents.

One check is off, in schemathesis.toml beside manage.py: `unsupported_method` wants 405 for a
method an operation does not document, and the contract answers it with 404 in the error format.
The same file lets the list answer 400 to a cursor made up by hand, and creation and edits 400
to schema-valid input the contract refuses (a price with more than two decimals, a ticket an
order holds), so this test and a by-hand run against a server agree.

Cases are signed in as one seller, whose tickets are there before the first case: a ticket id
in the path is now and then one of them, so edits and reads reach a real ticket (200, and 400
and 401 for one an order holds or another seller owns) as well as the 404 of an unknown id.
Schemathesis still sends cases without the token (`ignored_auth`'s probes, and negative cases
that leave the credential out) and checks that they are refused.
"""

import re
import uuid
from pathlib import Path

import pytest

from ticketing_shared.testing.schema_contract import service_schema_contract, signed_in_as
from tickets.tests.factories import TicketFactory

TICKETS_SERVICE_DIR = Path(__file__).resolve().parents[2]

schema = service_schema_contract(
    schema_path="/api/tickets/schema", config_path=TICKETS_SERVICE_DIR / "schemathesis.toml"
)

SELLER_ID = uuid.UUID("5e11e400-0000-4000-8000-000000000001")
# The form Django's `<uuid:...>` route takes; any other spelling of an id is a path no route has.
ROUTED_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


signed_in_as(schema, user_id=SELLER_ID)

# The seller's tickets in each status, and another seller's (`_known_tickets`).
AVAILABLE_ID = uuid.UUID("71c4e700-0000-4000-8000-000000000001")
RESERVED_ID = uuid.UUID("71c4e700-0000-4000-8000-000000000002")
SOLD_ID = uuid.UUID("71c4e700-0000-4000-8000-000000000003")
OTHER_SELLERS_ID = uuid.UUID("71c4e700-0000-4000-8000-000000000004")
KNOWN_TICKET_IDS = [AVAILABLE_ID, RESERVED_ID, SOLD_ID, OTHER_SELLERS_ID]


@pytest.fixture
def _known_tickets():
    # Rows, not services: the contract test needs a state to start from, not its events. The
    # cases share them (and what edits did to them), as a client's requests would.
    TicketFactory(id=AVAILABLE_ID, user_id=SELLER_ID)
    TicketFactory(id=RESERVED_ID, user_id=SELLER_ID, reserved=True)
    TicketFactory(id=SOLD_ID, user_id=SELLER_ID, sold=True)
    TicketFactory(id=OTHER_SELLERS_ID)


def _path_to_known_ticket(case) -> None:
    """Points a valid ticket id in the path at a known ticket for most values; the rest stay
    the random ids they were, which no ticket has (404). The generated id decides which, so
    the seed alone still decides what is sent."""
    ticket_id = (case.path_parameters or {}).get("ticket_id")
    if not isinstance(ticket_id, str) or not ROUTED_UUID.match(ticket_id):
        # Not an id the route takes: the case is about the path itself, left as it is.
        return
    choices = [None, *KNOWN_TICKET_IDS]
    chosen = choices[uuid.UUID(ticket_id).int % len(choices)]
    if chosen is not None:
        case.path_parameters["ticket_id"] = str(chosen)


@schema.parametrize()
# Committed: the WSGI app closes the connection after each request, as a server does, which
# would end a test transaction (the events each commit relays go to the suite's own broker).
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_known_tickets")
def test_every_answer_is_one_the_schema_documents(case):
    _path_to_known_ticket(case)
    case.call_and_validate()
