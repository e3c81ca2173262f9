"""The tickets' pages without a backend: who may see which, CSRF on their forms, and the
addresses that name no ticket. Their states against the real services are in
test_views_tickets_live.py."""

import uuid

import pytest
from django.urls import reverse

from web.tests.conftest import sign_in
from web.tests.factories import ticket_json
from web.tests.pages import page_text
from web.tests.servers import Answer

TICKET_ID = "5b6f0d8e-5a8f-4d6c-9d7a-1f6a2b3c4d5e"


@pytest.mark.parametrize(
    "path", ["/tickets/new", "/tickets/mine", f"/tickets/{TICKET_ID}/edit", "/tickets/mine?x=1"]
)
def test_a_signed_out_person_is_sent_to_sign_in_and_back(client, path):
    """No backend is asked (they refuse here): the guard answers first."""
    response = client.get(path)
    assert response.status_code == 302
    next_path = path.replace("/", "%2F").replace("?", "%3F").replace("=", "%3D")
    assert response["Location"] == f"/auth/signin?next={next_path}"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/tickets/new", f"/tickets/{TICKET_ID}/edit"])
def test_a_signed_out_post_of_a_ticket_form_is_sent_to_sign_in(client, path):
    response = client.post(path, {"title": "Concert", "price": "10"})
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/signin?next=")


def test_a_signed_out_purchase_is_sent_to_sign_in_then_back_to_the_ticket(client):
    response = client.post(f"/tickets/{TICKET_ID}/purchase")
    assert response.status_code == 302
    assert response["Location"] == f"/auth/signin?next=%2Ftickets%2F{TICKET_ID}"


def test_a_purchase_by_get_is_not_allowed(signed_in_client):
    assert signed_in_client.get(f"/tickets/{TICKET_ID}/purchase").status_code == 405


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/tickets/new", {"title": "Concert", "price": "10"}),
        (f"/tickets/{TICKET_ID}/edit", {"title": "Concert", "price": "10"}),
        (f"/tickets/{TICKET_ID}/purchase", {}),
    ],
)
def test_a_ticket_form_posted_without_its_csrf_token_is_refused(csrf_client, path, data):
    sign_in(csrf_client)
    response = csrf_client.post(path, data)
    assert response.status_code == 403
    assert "Please try again" in page_text(response)


def test_the_sell_form_carries_its_csrf_token_and_labels(signed_in_client):
    response = signed_in_client.get("/tickets/new")
    assert response.status_code == 200
    text = page_text(response)
    assert 'name="csrfmiddlewaretoken"' in text
    assert '<label for="id_title">Title</label>' in text
    assert '<label for="id_price">Price (USD)</label>' in text
    assert '<button type="submit">Sell ticket</button>' in text
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    [
        "/tickets/not-a-uuid",
        "/tickets/123",
        f"/tickets/{TICKET_ID}x",
        f"/tickets/{TICKET_ID}/nope",
        "/tickets/",
        "/tickets",
    ],
)
def test_an_address_that_names_no_ticket_is_the_404_page(client, path):
    """Told apart by the address alone: no backend is asked (they refuse here)."""
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in page_text(response)


def test_a_ticket_id_in_upper_case_is_still_a_ticket_address(client):
    # The uuid converter is lower case only: an upper-case id is no page of ours.
    assert client.get(f"/tickets/{str(uuid.uuid4()).upper()}").status_code == 404


def test_each_card_on_the_landing_links_to_its_tickets_page(client, backend_answering):
    """The cards write their links as paths (web/tickets/list.html): held to the route."""
    tickets = [ticket_json(f"Concert {number}") for number in range(3)]
    backend_answering("tickets", {"GET /api/tickets": Answer(200, tickets)})
    text = page_text(client.get("/"))
    for ticket in tickets:
        link = reverse("ticket-detail", args=[ticket["id"]])
        assert f'<a href="{link}"><bdi>{ticket["title"]}</bdi></a>' in text


@pytest.mark.parametrize(
    "answer", [Answer(200, raw=b"null"), Answer(200, {"id": "x"}), Answer(200, [{"id": "x"}])]
)
def test_a_misshapen_list_makes_the_landing_unavailable_not_an_error(
    client, backend_answering, answer
):
    backend_answering("tickets", {"GET /api/tickets": answer})
    response = client.get("/")
    assert response.status_code == 503
    assert "Tickets are unavailable right now" in page_text(response)


@pytest.mark.parametrize("answer", [Answer(200, []), Answer(200, {"id": TICKET_ID})])
def test_a_misshapen_ticket_is_the_unavailable_page(client, backend_answering, answer):
    backend_answering("tickets", {f"GET /api/tickets/{TICKET_ID}": answer})
    response = client.get(f"/tickets/{TICKET_ID}")
    assert response.status_code == 503
    assert "Tickets are unavailable right now" in page_text(response)


def test_a_cursor_longer_than_any_the_list_gives_shows_the_first_page(client, backend_answering):
    """Sent on, it would make the API's request line too long: a 400 no search caused."""
    server = backend_answering("tickets", {"GET /api/tickets": Answer(200, [ticket_json("Gig")])})
    response = client.get("/", {"cursor": "/" * 3000})
    assert response.status_code == 200
    assert "Gig" in page_text(response)
    (received,) = server.received
    assert "cursor" not in received.path
