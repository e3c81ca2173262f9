"""The orders' pages against the real services: an open order with its time to pay, paying
(a card that pays, one that is declined), cancelling, another person's order, my orders."""

import re

import pytest

from web.tests.factories import (
    Person,
    eventually,
    order_pay,
    order_placed,
    person_signed_up,
    ticket_on_sale,
    unique,
)
from web.tests.pages import (
    assert_post_forms_carry_csrf,
    error_summary,
    field_error,
    heading,
    messages_of,
    page_text,
    row_statuses,
    title_of,
)

pytestmark = pytest.mark.usefixtures("live")


@pytest.fixture
def order(seller, buyer) -> str:
    """An open order of the buyer's for a ticket of 19.99."""
    return order_placed(buyer, ticket_on_sale(seller, title=unique("Gig "), price="19.99"))


def _status(person: Person, order_id: str) -> str:
    text = page_text(person.get(f"/orders/{order_id}"))
    return re.search(r'<span class="visually-hidden">Status: </span>([^<]+)<', text).group(1)


def test_an_open_order_shows_the_time_to_pay_and_the_pay_form(buyer, order):
    response = buyer.get(f"/orders/{order}")
    assert response.status_code == 200
    assert heading(response) == "Your order"
    text = page_text(response)
    assert re.search(r"Pay before \d\d:\d\d \(UTC\)", text)
    # The countdown starts from the server's clock: about the whole window left.
    seconds_left = int(re.search(r'data-seconds-left="(\d+)"', text)[1])
    assert 0 < seconds_left <= 30
    assert "19.99 USD" in text
    assert "Awaiting payment" in text
    # The test processor's cards, the one that pays chosen.
    assert re.search(r'value="tok_visa"[^>]*\bchecked\b', text)
    assert 'value="tok_chargeDeclined"' in text
    assert "Pay 19.99 USD</button>" in text
    assert f'action="/orders/{order}/cancel"' in text
    assert_post_forms_carry_csrf(response)
    assert "no-store" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex">' in text
    assert '<script src="/static/web/countdown.js" defer></script>' in text
    assert "stripe" not in response["Content-Security-Policy"]


def test_paying_with_a_card_that_pays_shows_paid(buyer, order):
    response = order_pay(buyer, order, "tok_visa")
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order}"
    page = buyer.browser.follow(response)
    # The pay view waited for the order to complete before answering.
    assert "Paid: the ticket is yours." in messages_of(page)
    text = page_text(page)
    assert "<h2>Paid</h2>" in text
    assert "The ticket is yours. Enjoy the event!" in text
    assert "/pay" not in text
    assert "Cancel order" not in text


def test_a_declined_card_says_why_beside_the_form(buyer, order):
    response = order_pay(buyer, order, "tok_chargeDeclined")
    assert response.status_code == 400
    assert title_of(response).startswith("Error: ")
    assert error_summary(response) == ["Your card was declined."]
    assert field_error(response, "id_token") == "Your card was declined."
    # The order is still open: the form is there to try another card, the one chosen kept.
    text = page_text(response)
    assert "Pay 19.99 USD</button>" in text
    assert re.search(r'value="tok_chargeDeclined"[^>]*\bchecked\b', text)
    assert_post_forms_carry_csrf(response)
    assert _status(buyer, order) == "Awaiting payment"
    # Another card then pays.
    assert order_pay(buyer, order, "tok_visa").status_code == 302
    assert "<h2>Paid</h2>" in page_text(buyer.get(f"/orders/{order}"))


def test_a_card_that_is_none_of_the_test_cards_is_refused_by_the_form(buyer, order):
    response = buyer.submit(
        f"/orders/{order}", {"token": "tok_other"}, action=f"/orders/{order}/pay"
    )
    assert response.status_code == 400
    assert field_error(response, "id_token")
    assert _status(buyer, order) == "Awaiting payment"


def test_cancelling_says_the_order_is_cancelled_and_offers_the_ticket_again(buyer, order):
    response = buyer.submit(f"/orders/{order}", action=f"/orders/{order}/cancel")
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order}"
    page = buyer.browser.follow(response)
    assert "Order cancelled: the ticket is back on sale." in messages_of(page)
    assert "<h2>Order cancelled</h2>" in page_text(page)

    def offered_again():
        text = page_text(buyer.get(f"/orders/{order}"))
        return "buy it again" in text

    assert eventually(offered_again), "the ticket was not offered again"
    assert "/pay" not in page_text(page)


def test_a_paid_order_cannot_be_cancelled(buyer, order):
    order_page = buyer.get(f"/orders/{order}")
    assert order_pay(buyer, order).status_code == 302
    # The cancel button of the page as it was before paying.
    assert f'action="/orders/{order}/cancel"' in page_text(order_page)
    response = buyer.post(f"/orders/{order}/cancel")
    assert response.status_code == 302
    assert "Cannot cancel a completed order" in messages_of(buyer.browser.follow(response))
    assert _status(buyer, order) == "Paid"


def test_another_persons_order_is_not_found(order):
    stranger = person_signed_up()
    assert stranger.get(f"/orders/{order}").status_code == 404
    for action, data in (("pay", {"token": "tok_visa"}), ("cancel", {})):
        response = stranger.post(f"/orders/{order}/{action}", data)
        assert response.status_code == 404, action
        assert "Page not found" in page_text(response)


def test_another_persons_order_is_neither_paid_nor_cancelled_by_them(buyer, order):
    stranger = person_signed_up()
    for action, data in (("pay", {"token": "tok_visa"}), ("cancel", {})):
        stranger.post(f"/orders/{order}/{action}", data)
    assert _status(buyer, order) == "Awaiting payment"


def test_an_unknown_order_is_not_found(buyer):
    assert buyer.get("/orders/00000000-0000-4000-8000-000000000000").status_code == 404


def test_my_orders_lists_the_buyers_orders_with_their_status(seller):
    buyer = person_signed_up()
    empty = buyer.get("/orders")
    assert empty.status_code == 200
    assert "You have no orders yet." in page_text(empty)
    open_order = order_placed(buyer, ticket_on_sale(seller))
    paid = order_placed(buyer, ticket_on_sale(seller))
    cancelled = order_placed(buyer, ticket_on_sale(seller))
    assert order_pay(buyer, paid).status_code == 302
    buyer.submit(f"/orders/{cancelled}", action=f"/orders/{cancelled}/cancel")
    response = buyer.get("/orders")
    assert title_of(response) == "My orders · Ticketing"
    assert row_statuses(response, "orders") == {
        open_order: "Awaiting payment",
        paid: "Paid",
        cancelled: "Cancelled",
    }
    assert "no-store" in response["Cache-Control"]


def test_the_pay_page_with_a_stripe_key_allows_stripe_alone(buyer, order, settings):
    settings.FRONTEND_STRIPE_PUBLISHABLE_KEY = "pk_test_frontend"
    response = buyer.get(f"/orders/{order}")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' https://js.stripe.com" in policy
    assert "https://api.stripe.com" in policy
    assert 'data-stripe-key="pk_test_frontend"' in page_text(response)
    # Other pages keep the site's own origin only.
    assert "stripe" not in buyer.get("/orders")["Content-Security-Policy"]


def test_paying_twice_lands_on_the_paid_order(buyer, order):
    """The same form sent twice (a double click): the second lands on the paid order."""
    order_page = buyer.get(f"/orders/{order}")
    assert order_pay(buyer, order).status_code == 302
    assert f'action="/orders/{order}/pay"' in page_text(order_page)
    response = buyer.post(f"/orders/{order}/pay", {"token": "tok_visa"})
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order}"
    page = buyer.browser.follow(response)
    assert "Paid: the ticket is yours." in messages_of(page)
    assert "<h2>Paid</h2>" in page_text(page)


def test_a_cancelled_order_with_tickets_down_still_shows_without_the_offer(
    buyer, order, backend_at, refusing_port
):
    """The offer to buy the ticket again is the only thing tickets gives this page: with
    tickets down, the order is shown without it rather than the whole page unavailable."""
    buyer.submit(f"/orders/{order}", action=f"/orders/{order}/cancel")
    backend_at("tickets", refusing_port.url)
    response = buyer.get(f"/orders/{order}")
    assert response.status_code == 200
    assert "<h2>Order cancelled</h2>" in page_text(response)
    assert "buy it again" not in page_text(response)
