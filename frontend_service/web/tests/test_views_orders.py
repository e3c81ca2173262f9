"""The orders' pages without a backend: who may see them, and CSRF on paying and cancelling.
Their states against the real services are in test_views_orders_live.py."""

import pytest
from django.test import Client

from web.tests.conftest import sign_in
from web.tests.pages import page_text

ORDER_ID = "0f0e0d0c-0b0a-4908-8706-050403020100"


@pytest.mark.parametrize("path", ["/orders", f"/orders/{ORDER_ID}"])
def test_a_signed_out_person_is_sent_to_sign_in_and_back(client, path):
    """No backend is asked (they refuse here): the guard answers first."""
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/auth/signin?next=" + path.replace("/", "%2F")
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("action", ["pay", "cancel"])
def test_a_signed_out_post_is_sent_to_sign_in(client, action):
    response = client.post(f"/orders/{ORDER_ID}/{action}", {"token": "tok_visa"})
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/signin?next=")


@pytest.mark.parametrize("action", ["pay", "cancel"])
def test_an_order_form_posted_without_its_csrf_token_is_refused(action):
    client = Client(enforce_csrf_checks=True)
    sign_in(client)
    response = client.post(f"/orders/{ORDER_ID}/{action}", {"token": "tok_visa"})
    assert response.status_code == 403
    assert "Please try again" in page_text(response)


@pytest.mark.parametrize("action", ["pay", "cancel"])
def test_paying_or_cancelling_by_get_is_not_allowed(signed_in_client, action):
    assert signed_in_client.get(f"/orders/{ORDER_ID}/{action}").status_code == 405


@pytest.mark.parametrize("path", ["/orders/42", "/orders/not-an-id", f"/orders/{ORDER_ID}/x"])
def test_an_address_that_names_no_order_is_the_404_page(signed_in_client, path):
    response = signed_in_client.get(path)
    assert response.status_code == 404
    assert "Page not found" in page_text(response)
