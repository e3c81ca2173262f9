"""The public reads kept a moment for signed-out visitors (web/public_reads.py): what is kept,
for whom, for how long, and what never is. The tickets API is a server on the loopback that
counts what it is asked."""

import time
import uuid

import pytest
from django.test import Client

from web import public_reads, selectors
from web.middleware import ANONYMOUS
from web.tests.conftest import sign_in
from web.tests.factories import ticket_json
from web.tests.pages import page_text
from web.tests.servers import Answer

TICKET = ticket_json("Kept concert")


@pytest.fixture
def tickets_api(backend_answering):
    return backend_answering(
        "tickets",
        {
            "GET /api/tickets": Answer(200, [TICKET]),
            f"GET /api/tickets/{TICKET['id']}": Answer(200, TICKET),
        },
    )


def calls(server, path: str) -> int:
    return sum(1 for received in server.received if received.path.split("?")[0] == path)


def test_signed_out_visitors_share_one_call_for_the_landing(tickets_api):
    first, second = Client(), Client()
    assert "Kept concert" in page_text(first.get("/"))
    assert "Kept concert" in page_text(second.get("/"))
    assert calls(tickets_api, "/api/tickets") == 1


def test_signed_out_visitors_share_one_call_for_a_ticket(tickets_api):
    path = f"/tickets/{TICKET['id']}"
    assert Client().get(path).status_code == 200
    assert Client().get(path).status_code == 200
    assert calls(tickets_api, f"/api/tickets/{TICKET['id']}") == 1


def test_a_signed_in_person_always_reads_the_api(tickets_api):
    """A seller sees their own edit at once, a buyer never a ticket already taken."""
    client = Client()
    sign_in(client)
    client.get("/")
    client.get("/")
    client.get(f"/tickets/{TICKET['id']}")
    client.get(f"/tickets/{TICKET['id']}")
    assert calls(tickets_api, "/api/tickets") == 2
    assert calls(tickets_api, f"/api/tickets/{TICKET['id']}") == 2


def test_each_search_and_cursor_is_kept_apart(tickets_api):
    client = Client()
    for path in ("/", "/?q=jazz", "/?q=rock", "/?q=jazz", "/?cursor=abc", "/"):
        client.get(path)
    asked = [received.path for received in tickets_api.received]
    assert len(asked) == 4
    assert sum("q=jazz" in path for path in asked) == 1
    assert sum("q=rock" in path for path in asked) == 1
    assert sum("cursor=abc" in path for path in asked) == 1


def test_an_answer_is_kept_only_for_its_seconds(tickets_api, settings):
    settings.FRONTEND_PUBLIC_READS_SECONDS = 1
    Client().get("/")
    Client().get("/")
    time.sleep(1.5)
    Client().get("/")
    assert calls(tickets_api, "/api/tickets") == 2


def test_zero_seconds_keeps_nothing_and_reads_nothing_kept(tickets_api, settings):
    Client().get("/")
    settings.FRONTEND_PUBLIC_READS_SECONDS = 0
    Client().get("/")
    Client().get("/")
    assert calls(tickets_api, "/api/tickets") == 3


def test_a_failure_is_not_kept(backend_answering):
    """The next visitor after an outage asks the API again, and sees the tickets."""
    server = backend_answering(
        "tickets", {"GET /api/tickets": Answer(500, {"errors": [{"message": "x"}]})}
    )
    assert Client().get("/").status_code == 503
    server.answers["GET /api/tickets"] = Answer(200, [TICKET])
    response = Client().get("/")
    assert response.status_code == 200
    assert "Kept concert" in page_text(response)


def test_a_refused_read_is_not_kept(backend_answering):
    """A ticket the API has not yet (a 404) is asked for again by the next visitor."""
    server = backend_answering("tickets", {})
    assert Client().get(f"/tickets/{TICKET['id']}").status_code == 404
    server.answers[f"GET /api/tickets/{TICKET['id']}"] = Answer(200, TICKET)
    assert Client().get(f"/tickets/{TICKET['id']}").status_code == 200


def test_made_up_ticket_ids_do_not_push_the_landing_out(tickets_api, settings):
    """A missing ticket is not kept, so a crawl of made-up addresses leaves the bounded cache
    to the pages that exist."""
    settings.CACHES = {
        **settings.CACHES,
        public_reads.CACHE_ALIAS: {
            **settings.CACHES[public_reads.CACHE_ALIAS],
            "OPTIONS": {"MAX_ENTRIES": 3},
        },
    }
    Client().get("/")
    for _ in range(6):
        assert Client().get(f"/tickets/{uuid.uuid4()}").status_code == 404
    Client().get("/")
    assert calls(tickets_api, "/api/tickets") == 1


def test_one_page_is_one_key_however_it_is_asked_for(tickets_api, rf):
    """The landing asks with its cursor, its retry after a refused cursor without it: the
    arguments' defaults are filled in, so both find the same answer."""
    request = rf.get("/")
    request.user = ANONYMOUS
    selectors.ticket_list_available(request, search="", cursor="")
    selectors.ticket_list_available(request, search="")
    selectors.ticket_list_available(request)
    assert calls(tickets_api, "/api/tickets") == 1
