"""The site against the real services: the sitemap, a token the APIs refuse though the
frontend accepts it, and one service down while the others answer."""

import re

import pytest

from web.tests.conftest import sign_in
from web.tests.factories import (
    Browser,
    order_placed,
    person_signed_up,
    ticket_on_sale,
)
from web.tests.pages import page_text


def _sitemap_urls(response) -> list[str]:
    return re.findall(r"<loc>([^<]+)</loc>", page_text(response))


def test_the_sitemap_lists_the_home_page_and_every_ticket_on_sale(live, settings):
    settings.FRONTEND_BASE_URL = "https://tickets.example"
    seller = person_signed_up()
    on_sale = ticket_on_sale(seller)
    reserved = ticket_on_sale(seller)
    order_placed(person_signed_up(), reserved)
    response = Browser().get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert page_text(response).startswith('<?xml version="1.0" encoding="UTF-8"?>')
    urls = _sitemap_urls(response)
    assert urls[0] == "https://tickets.example/"
    assert f"https://tickets.example/tickets/{on_sale}" in urls
    assert f"https://tickets.example/tickets/{reserved}" not in urls
    assert len(urls) == len(set(urls))
    assert "public" in response["Cache-Control"]


def test_the_sitemap_keeps_to_its_limit_across_the_apis_pages(live, settings):
    seller = person_signed_up()
    for _ in range(3):
        ticket_on_sale(seller)
    settings.FRONTEND_SITEMAP_MAX_TICKETS = 2
    urls = _sitemap_urls(Browser().get("/sitemap.xml"))
    # The home page and two tickets.
    assert len(urls) == 3


def test_a_token_the_apis_refuse_sends_the_person_to_sign_in(system_apis, client):
    """The frontend verifies with the test key here, the copy's APIs with theirs: a token the
    page accepts and the API refuses, as after a deactivation or a key rotation. The access
    cookie is dropped, and the refresh cookie, which auth refuses, then signs them out."""
    for path in ("/tickets/mine", "/orders"):
        sign_in(client)
        client.cookies["refresh_token"] = "a-refresh-token-auth-never-gave"
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/auth/signin?next=" + path.replace("/", "%2F")
        assert response.cookies["access_token"].value == ""
        signin_page = client.get(response["Location"])
        assert signin_page.status_code == 200
        assert signin_page.cookies["refresh_token"].value == ""
        assert "You are signed in" not in page_text(signin_page)


def test_orders_down_leaves_the_rest_of_the_site_working(live, backend_at, refusing_port):
    seller = person_signed_up()
    ticket_id = ticket_on_sale(seller)
    backend_at("orders", refusing_port.url)
    buyer = person_signed_up()
    response = buyer.get("/orders")
    assert response.status_code == 503
    assert "Orders are unavailable right now, try again in a minute" in page_text(response)
    # A purchase says so too, and the ticket stays on sale.
    response = buyer.submit(f"/tickets/{ticket_id}", action=f"/tickets/{ticket_id}/purchase")
    assert response.status_code == 503
    assert "Orders are unavailable right now" in page_text(response)
    # The tickets' pages, sign-in and selling still work.
    assert buyer.get("/").status_code == 200
    assert buyer.get(f"/tickets/{ticket_id}").status_code == 200
    assert Browser().get("/auth/signin").status_code == 200
    assert ticket_on_sale(seller)


def test_payments_down_keeps_the_order_open(live, backend_at, refusing_port):
    seller = person_signed_up()
    buyer = person_signed_up()
    order_id = order_placed(buyer, ticket_on_sale(seller))
    backend_at("payments", refusing_port.url)
    response = buyer.submit(
        f"/orders/{order_id}", {"token": "tok_visa"}, action=f"/orders/{order_id}/pay"
    )
    assert response.status_code == 503
    assert "Payments are unavailable right now, try again in a minute" in page_text(response)
    assert "Awaiting payment" in page_text(buyer.get(f"/orders/{order_id}"))


@pytest.mark.parametrize("path", ["/", "/sitemap.xml"])
def test_tickets_slow_to_answer_is_a_503(live, settings, backend_at, silent_server, path):
    settings.FRONTEND_BACKEND_TIMEOUT = 0.3
    backend_at("tickets", silent_server.url)
    response = Browser().get(path)
    assert response.status_code == 503
