"""The tickets' pages against the real services: the landing list (search, pages, caching),
selling, editing (the seller's alone), a ticket's page for each visitor, and purchasing."""

import json
import re
from html import escape

import pytest

from web.tests.factories import (
    Browser,
    eventually,
    order_pay,
    order_placed,
    person_signed_up,
    ticket_on_sale,
    unique,
)
from web.tests.pages import (
    assert_post_forms_carry_csrf,
    card_titles,
    error_summary,
    field_error,
    heading,
    input_value,
    messages_of,
    page_text,
    row_statuses,
    title_of,
)
from web.tests.servers import Answer

pytestmark = pytest.mark.usefixtures("live")


# ------------------------------------------------------------------------------------------
# The landing page
# ------------------------------------------------------------------------------------------


def test_the_landing_page_lists_tickets_on_sale_newest_first(seller):
    first = ticket_on_sale(seller, title=unique("Opera "), price="12.5")
    second = ticket_on_sale(seller, title=unique("Ballet "), price="1234")
    response = Browser().get("/")
    assert response.status_code == 200
    text = page_text(response)
    assert title_of(response) == "Tickets for sale · Ticketing"
    assert text.index(f'href="/tickets/{second}"') < text.index(f'href="/tickets/{first}"')
    assert "1,234.00 USD" in text
    assert "12.50 USD" in text
    assert '<link rel="canonical" href="http://testserver/">' in text


def test_search_keeps_the_titles_that_contain_it(seller):
    tag = unique()
    wanted = ticket_on_sale(seller, title=f"Jazz night {tag}")
    ticket_on_sale(seller, title=unique("Rock night "))
    response = Browser().get("/", {"q": tag.upper()})
    assert response.status_code == 200
    assert card_titles(response) == [f"Jazz night {tag}"]
    assert f'href="/tickets/{wanted}"' in page_text(response)
    assert title_of(response) == f"Tickets matching “{tag.upper()}” · Ticketing"
    # A search is no page for search engines' index.
    assert '<meta name="robots" content="noindex, follow">' in page_text(response)
    assert input_value(response, "q") == tag.upper()


def test_a_search_that_finds_nothing_says_so():
    tag = unique("nothing-")
    response = Browser().get("/", {"q": tag})
    assert response.status_code == 200
    assert f"No tickets match “{tag}”." in page_text(response)
    assert '<a href="/">See every ticket for sale</a>' in page_text(response)


def test_pages_of_the_list_follow_the_apis_cursor(seller, settings):
    settings.FRONTEND_PAGE_SIZE = 2
    tag = unique()
    titles = [f"{tag} {n}" for n in range(3)]
    for title in titles:
        ticket_on_sale(seller, title=title)
    browser = Browser()
    first = browser.get("/", {"q": tag})
    assert card_titles(first) == [titles[2], titles[1]]
    next_link = re.search(r'<a rel="next" href="([^"]+)">Next page</a>', page_text(first))
    assert next_link, "no next page"
    assert "First page" not in page_text(first)
    second = browser.get(next_link.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    assert card_titles(second) == [titles[0]]
    assert 'rel="next"' not in page_text(second)
    assert f'<a href="/?q={tag}">First page</a>' in page_text(second)
    assert '<meta name="robots" content="noindex, follow">' in page_text(second)


def test_a_cursor_edited_by_hand_shows_the_first_page(seller):
    tag = unique()
    ticket_on_sale(seller, title=f"{tag} only")
    response = Browser().get("/", {"q": tag, "cursor": "not-a-cursor-of-the-api"})
    assert response.status_code == 200
    assert card_titles(response) == [f"{tag} only"]


def test_the_landing_page_without_tickets_invites_people_to_sell(client, backend_answering):
    # The copy's list holds every other test's tickets, so an empty marketplace cannot be had
    # for real without a copy of its own: tickets' answer to an empty list, from a server
    # answering what the contract says it answers then.
    backend_answering("tickets", {"GET /api/tickets": Answer(200, [])})
    response = client.get("/")
    assert response.status_code == 200
    text = page_text(response)
    assert "No tickets for sale yet." in text
    assert '<a class="button" href="/tickets/new">Be the first to sell one</a>' in text
    assert "Next page" not in text


def test_the_landing_page_is_cacheable_when_signed_out():
    browser = Browser()
    response = browser.get("/")
    cache_control = response["Cache-Control"]
    assert "public" in cache_control
    assert "max-age=30" in cache_control
    assert "Cookie" in response["Vary"]
    etag = response["ETag"]
    again = browser.get("/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""


def test_the_landing_page_signed_in_is_private(seller):
    assert "messages" not in seller.browser.cookies, "a flash message would make it private"
    response = seller.get("/")
    assert response.status_code == 200
    assert "public" not in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


# ------------------------------------------------------------------------------------------
# Selling
# ------------------------------------------------------------------------------------------


def test_selling_a_ticket_goes_to_its_page_with_a_message(seller):
    title = unique("Cup final ")
    response = seller.submit("/tickets/new", {"title": title, "price": "40"})
    assert response.status_code == 302
    page = seller.browser.follow(response)
    assert page.status_code == 200
    assert f"Your ticket “{title}” is on sale." in messages_of(page)
    assert heading(page) == title
    assert "40.00 USD" in page_text(page)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"title": "", "price": "10"}, {"title": "Title is required"}),
        ({"title": "A title", "price": "0"}, {"price": "Price must be greater than 0"}),
        (
            {"title": "", "price": "-3"},
            {"title": "Title is required", "price": "Price must be greater than 0"},
        ),
    ],
)
def test_selling_shows_the_apis_errors_beside_their_fields(seller, data, errors):
    response = seller.submit("/tickets/new", data)
    assert response.status_code == 400
    assert title_of(response) == "Error: Sell a ticket · Ticketing"
    for field in ("title", "price"):
        assert field_error(response, f"id_{field}") == errors.get(field)
    assert sorted(error_summary(response)) == sorted(errors.values())
    # What was typed is kept.
    assert input_value(response, "price") == data["price"]
    assert (input_value(response, "title") or "") == data["title"]


def test_a_price_that_is_not_a_number_is_refused_beside_the_price(seller):
    response = seller.submit("/tickets/new", {"title": "A title", "price": "ten"})
    assert response.status_code == 400
    assert field_error(response, "id_price")


# ------------------------------------------------------------------------------------------
# Editing: the seller's alone, while the ticket is on sale
# ------------------------------------------------------------------------------------------


def test_the_seller_edits_their_ticket(seller):
    ticket_id = ticket_on_sale(seller, title=unique("Before "), price="10")
    form = seller.get(f"/tickets/{ticket_id}/edit")
    assert form.status_code == 200
    assert input_value(form, "price") == "10.00"
    assert "no-store" in form["Cache-Control"]
    title = unique("After ")
    response = seller.submit(f"/tickets/{ticket_id}/edit", {"title": title, "price": "11.5"})
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket_id}"
    page = seller.browser.follow(response)
    assert "Your changes are saved." in messages_of(page)
    assert heading(page) == title
    assert "11.50 USD" in page_text(page)


def test_an_edit_with_errors_keeps_what_was_typed(seller):
    ticket_id = ticket_on_sale(seller)
    response = seller.submit(f"/tickets/{ticket_id}/edit", {"title": "", "price": "7"})
    assert response.status_code == 400
    assert field_error(response, "id_title") == "Title is required"
    assert input_value(response, "price") == "7"


def test_another_person_cannot_edit_a_ticket_they_do_not_sell(seller, buyer):
    ticket_id = ticket_on_sale(seller, title=unique("Mine "))
    assert buyer.get(f"/tickets/{ticket_id}/edit").status_code == 404
    # Nor by posting the form: the ticket is unchanged.
    response = buyer.post(f"/tickets/{ticket_id}/edit", {"title": "Taken over", "price": "1"})
    assert response.status_code == 404
    assert "Taken over" not in page_text(seller.get(f"/tickets/{ticket_id}"))


def test_a_reserved_ticket_cannot_be_edited(seller, buyer):
    """Said before anything is typed, once tickets knows of the order; and a form sent all the
    same changes nothing."""
    ticket_id = ticket_on_sale(seller)
    order_placed(buyer, ticket_id)
    eventually(lambda: "Reserved" in page_text(Browser().get(f"/tickets/{ticket_id}")))
    response = seller.get(f"/tickets/{ticket_id}/edit")
    assert response.status_code == 200
    assert heading(response) == "This ticket cannot be edited"
    assert "<form" not in page_text(response).split('<main id="main"')[1].split("</main>")[0]
    response = seller.post(f"/tickets/{ticket_id}/edit", {"title": "New title", "price": "5"})
    assert heading(response) == "This ticket cannot be edited"
    # Read signed in: a signed-out read may be the page kept since the check above.
    assert "New title" not in page_text(seller.get(f"/tickets/{ticket_id}"))


def test_an_unknown_ticket_has_no_edit_page(seller):
    assert seller.get("/tickets/00000000-0000-4000-8000-000000000000/edit").status_code == 404


# ------------------------------------------------------------------------------------------
# A ticket's page
# ------------------------------------------------------------------------------------------


def _structured_data(response) -> dict:
    match = re.search(
        r'<script type="application/ld\+json">(.*?)</script>', page_text(response), re.S
    )
    assert match, "no JSON-LD"
    return json.loads(match.group(1))


def test_a_ticket_page_for_search_engines(seller):
    title = unique("Final <b>& co</b> ")
    ticket_id = ticket_on_sale(seller, title=title, price="19.9")
    response = Browser().get(f"/tickets/{ticket_id}")
    assert response.status_code == 200
    text = page_text(response)
    url = f"http://testserver/tickets/{ticket_id}"
    assert f'<link rel="canonical" href="{url}">' in text
    assert f'<meta property="og:url" content="{url}">' in text
    assert '<meta property="og:type" content="product">' in text
    assert f'<meta property="og:title" content="{escape(title)} · Ticketing">' in text
    assert "<b>" not in text.split("<main")[0]  # the title escaped in the head
    assert '<meta property="product:price:amount" content="19.90">' in text
    assert '<meta property="product:price:currency" content="USD">' in text
    assert _structured_data(response) == {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": title,
        "url": url,
        "offers": {
            "@type": "Offer",
            "url": url,
            "price": "19.90",
            "priceCurrency": "USD",
            "availability": "https://schema.org/InStock",
        },
    }


def test_signed_out_visitors_are_asked_to_sign_in_to_purchase(seller):
    ticket_id = ticket_on_sale(seller)
    response = Browser().get(f"/tickets/{ticket_id}")
    text = page_text(response)
    assert f'href="/auth/signin?next=%2Ftickets%2F{ticket_id}">Sign in to purchase</a>' in text
    assert "Purchase</button>" not in text
    assert "public" in response["Cache-Control"]
    assert response.has_header("ETag")


def test_other_people_see_purchase(seller, buyer):
    ticket_id = ticket_on_sale(seller)
    assert "messages" not in buyer.browser.cookies, "a flash message would make it private"
    response = buyer.get(f"/tickets/{ticket_id}")
    text = page_text(response)
    assert f'<form method="post" action="/tickets/{ticket_id}/purchase">' in text
    assert '<button type="submit">Purchase</button>' in text
    assert "/edit" not in text
    assert_post_forms_carry_csrf(response)
    assert "public" not in response["Cache-Control"]


def test_the_seller_sees_edit_and_no_purchase(seller):
    ticket_id = ticket_on_sale(seller)
    text = page_text(seller.get(f"/tickets/{ticket_id}"))
    assert "This is your ticket." in text
    assert f'<a href="/tickets/{ticket_id}/edit">Edit</a>' in text
    assert "Purchase</button>" not in text


def test_a_reserved_ticket_says_so_and_is_out_of_stock(seller, buyer):
    ticket_id = ticket_on_sale(seller)
    order_placed(buyer, ticket_id)

    def reserved_page():
        page = Browser().get(f"/tickets/{ticket_id}")
        return page if "Reserved" in page_text(page) else None

    response = eventually(reserved_page)
    assert response, "the ticket never read reserved"
    text = page_text(response)
    assert "Someone is buying this ticket right now." in text
    assert "Sign in to purchase" not in text
    offer = _structured_data(response)["offers"]
    assert offer["availability"] == "https://schema.org/OutOfStock"


def test_an_unknown_ticket_is_the_404_page():
    response = Browser().get("/tickets/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert "Page not found" in page_text(response)


# ------------------------------------------------------------------------------------------
# Purchasing
# ------------------------------------------------------------------------------------------


def test_purchasing_goes_to_the_order_page(seller, buyer):
    ticket_id = ticket_on_sale(seller)
    response = buyer.submit(f"/tickets/{ticket_id}", action=f"/tickets/{ticket_id}/purchase")
    assert response.status_code == 302
    assert response["Location"].startswith("/orders/")
    page = buyer.browser.follow(response)
    assert page.status_code == 200
    (message,) = messages_of(page)
    assert message.startswith("The ticket is yours for ")
    assert message.endswith(": pay to keep it.")


def test_a_seller_cannot_buy_their_own_ticket(seller):
    ticket_id = ticket_on_sale(seller)
    # No Purchase button on their own ticket's page: the form is posted all the same.
    assert "/purchase" not in page_text(seller.get(f"/tickets/{ticket_id}"))
    response = seller.post(f"/tickets/{ticket_id}/purchase")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket_id}"
    assert "You cannot buy your own ticket" in messages_of(seller.browser.follow(response))


def test_a_reserved_ticket_cannot_be_bought_again(seller, buyer):
    ticket_id = ticket_on_sale(seller)
    page_before = buyer.get(f"/tickets/{ticket_id}")
    order_placed(person_signed_up(), ticket_id)
    # The page was open before someone else bought it: its button is posted now.
    assert f'action="/tickets/{ticket_id}/purchase"' in page_text(page_before)
    response = buyer.post(f"/tickets/{ticket_id}/purchase")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket_id}"
    assert "Ticket is already reserved" in messages_of(buyer.browser.follow(response))


def test_purchasing_an_unknown_ticket_is_not_found(buyer):
    response = buyer.post("/tickets/00000000-0000-4000-8000-000000000000/purchase")
    assert response.status_code == 404


# ------------------------------------------------------------------------------------------
# My tickets
# ------------------------------------------------------------------------------------------


def test_my_tickets_lists_the_sellers_tickets_with_their_status():
    seller = person_signed_up()
    empty = seller.get("/tickets/mine")
    assert "You are not selling any tickets yet." in page_text(empty)
    on_sale = ticket_on_sale(seller, title=unique("On sale "))
    reserved = ticket_on_sale(seller, title=unique("Reserved "))
    sold = ticket_on_sale(seller, title=unique("Sold "))
    buyer = person_signed_up()
    order_placed(buyer, reserved)
    paid = order_placed(buyer, sold)
    assert order_pay(buyer, paid).status_code == 302

    wanted = {on_sale: "Available", reserved: "Reserved", sold: "Sold"}

    def statuses():
        return row_statuses(seller.get("/tickets/mine"), "tickets") == wanted

    assert eventually(statuses), page_text(seller.get("/tickets/mine"))
    response = seller.get("/tickets/mine")
    assert "no-store" in response["Cache-Control"]
    assert title_of(response) == "My tickets · Ticketing"
