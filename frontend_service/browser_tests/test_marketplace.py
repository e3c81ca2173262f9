"""The marketplace in a real browser, against the whole system (real services, workers, beat,
gateway) with a short order window: what the frontend issue's tests ask for, each page visited
checked with axe-core, the main ones kept as screenshots.

The first test finds the site as a new system has it, with no ticket yet: keep it first.
"""

import re
import secrets
import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from browser_tests.site import PHONE, Site, expect_at
from web.tests.system import (
    ORDER_EXPIRY_GRACE_SECONDS,
    ORDER_EXPIRY_SWEEP_SECONDS,
    ORDER_WINDOW_SECONDS,
)

VISA_PAYS = "Visa ending 4242 (payment succeeds)"
VISA_DECLINED = "Visa ending 0002 (card is declined)"
COUNTDOWN = re.compile(r"^\d{1,2}:\d{2} left to pay$")
# Payments tells orders through an event; the pay form waits a few seconds for it, then shows
# the order as being confirmed.
ORDER_SETTLES_SECONDS = 15
# Each public page, cold, in bytes decoded (the brief's weights).
HTML_MAX = 30 * 1024
CSS_MAX = 20 * 1024
JS_MAX = 10 * 1024

# The first test also waits for the system to start (up to two minutes on a busy machine), and
# one waits out an order window.
pytestmark = pytest.mark.timeout(300)


def title() -> str:
    return f"Concert {secrets.token_hex(4)}"


def messages(page: Page):
    return page.locator(".messages")


def reload_until(page: Page, locator: Locator, timeout: float) -> None:
    """The page as a person reloads it, until `locator` shows (an event between two services
    is behind it)."""
    deadline = time.monotonic() + timeout
    while not locator.is_visible():
        assert time.monotonic() < deadline, f"never showed {locator}: {page.inner_text('main')}"
        time.sleep(0.5)
        page.reload()


def reload_until_heading(page: Page, heading: str, timeout: float) -> None:
    reload_until(page, page.get_by_role("heading", name=heading), timeout)


def my_orders(page: Page) -> Locator:
    return page.get_by_role("link", name="My orders", exact=True)


def test_a_new_site_has_no_tickets_and_invites_the_first_seller(site: Site):
    page = site.new_page()

    page.goto("/")

    expect(page).to_have_title("Tickets for sale · Ticketing")
    expect(page.get_by_text("No tickets for sale yet.")).to_be_visible()
    expect(page.get_by_role("link", name="Be the first to sell one")).to_be_visible()
    site.check(page, "landing-empty", screenshot=True)
    page.get_by_label("Search by title").fill("nothing like this")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No tickets match “nothing like this”.")).to_be_visible()
    site.check(page, "search-no-match")
    page.get_by_role("link", name="Sign in").click()
    expect_at(page, "/auth/signin")
    site.check(page, "sign-in", screenshot=True)


def test_a_seller_signs_up_sells_a_ticket_and_signs_out(site: Site):
    page = site.new_page()
    site.sign_up(page, check=True)
    expect(messages(page)).to_contain_text("your account is ready")
    for link in ("Sell tickets", "My tickets", "My orders"):
        expect(page.get_by_role("link", name=link, exact=True)).to_be_visible()
    page.get_by_role("link", name="My tickets").click()
    expect(page.get_by_text("You are not selling any tickets yet.")).to_be_visible()
    site.check(page, "my-tickets-empty")
    page.get_by_role("link", name="Sell tickets").click()
    page.get_by_role("button", name="Sell ticket").click()  # nothing filled in
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".error-summary")).to_be_visible()
    site.check(page, "sell-form-errors", screenshot=True)
    name = title()

    ticket_id = site.sell(page, name, "12.00", check=True)

    expect(messages(page)).to_contain_text(f"Your ticket “{name}” is on sale.")
    expect(page.get_by_text("12.00")).to_be_visible()
    expect(page.get_by_text("This is your ticket.")).to_be_visible()
    expect(page.get_by_role("button", name="Purchase")).to_have_count(0)
    site.check(page, "ticket-own", screenshot=True)
    page.get_by_role("link", name="My tickets").click()
    expect(page.get_by_role("row", name=re.compile(rf"{name}.*Available"))).to_be_visible()
    site.check(page, "my-tickets", screenshot=True)
    assert site.listed_titles(page, name) == [name]
    page.goto("/")
    site.check(page, "landing", screenshot=True)

    site.sign_out(page)

    expect(page.get_by_role("link", name="Sign up")).to_be_visible()
    expect(page.get_by_role("link", name="Sell tickets")).to_have_count(0)
    # Signed out, the ticket offers to sign in, and signing in comes back to it.
    page.goto(f"/tickets/{ticket_id}")
    site.check(page, "ticket-signed-out")
    page.get_by_role("link", name="Sign in to purchase").click()
    expect_at(page, f"/auth/signin?next=/tickets/{ticket_id}")
    page.get_by_label("Email").fill("nobody-here@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    site.check(page, "sign-in-errors", screenshot=True)


def test_signing_in_goes_back_where_the_person_was_going(site: Site):
    page = site.new_page()
    email = site.sign_up(page)
    site.sign_out(page)

    page.goto("/tickets/new")
    expect_at(page, "/auth/signin?next=/tickets/new")
    site.sign_in(page, email)

    expect_at(page, "/tickets/new")
    expect(messages(page)).to_contain_text("You are signed in.")


def test_a_buyer_watches_the_countdown_pays_and_the_ticket_leaves_the_list(site: Site):
    name = title()
    ticket_id = site.seller_with_ticket(name)
    page = site.new_page()
    site.sign_up(page)
    page.goto("/orders")
    expect(page.get_by_text("You have no orders yet.")).to_be_visible()
    site.check(page, "my-orders-empty")
    page.goto(f"/tickets/{ticket_id}")
    site.check(page, "ticket", screenshot=True)

    order_id = site.purchase(page, ticket_id)

    expect(messages(page)).to_contain_text("The ticket is yours for")
    countdown = page.locator("[data-countdown]")
    expect(countdown).to_have_text(COUNTDOWN)
    shown = countdown.inner_text()
    expect(countdown).not_to_have_text(shown, timeout=3_000)  # it ticks
    expect(countdown).to_have_text(COUNTDOWN)
    site.check(page, "order", screenshot=True)
    assert site.listed_titles(page, name) == []  # held for the buyer
    page.goto(f"/orders/{order_id}")

    site.pay(page, VISA_PAYS)

    reload_until_heading(page, "Paid", ORDER_SETTLES_SECONDS)
    expect(messages(page)).to_contain_text(re.compile("Paid: the ticket is yours|being confirmed"))
    expect(page.get_by_role("button", name=re.compile("^Pay "))).to_have_count(0)
    site.check(page, "order-paid", screenshot=True)
    my_orders(page).click()
    expect(page.get_by_role("row", name=re.compile(rf"{name}.*Paid"))).to_be_visible()
    site.check(page, "my-orders", screenshot=True)
    assert site.listed_titles(page, name) == []
    page.goto(f"/tickets/{ticket_id}")
    expect(page.get_by_text("This ticket has been sold.")).to_be_visible()
    site.check(page, "ticket-sold")


def test_a_declined_card_says_so_and_another_card_then_pays(site: Site):
    ticket_id = site.seller_with_ticket(title())
    page = site.new_page()
    site.sign_up(page)
    site.purchase(page, ticket_id)

    site.pay(page, VISA_DECLINED)

    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".error-summary")).to_contain_text(re.compile("declined", re.I))
    expect(page.get_by_role("heading", name="Paid")).to_have_count(0)
    site.check(page, "order-card-declined", screenshot=True)

    site.pay(page, VISA_PAYS)

    reload_until_heading(page, "Paid", ORDER_SETTLES_SECONDS)


def test_an_unpaid_order_expires_and_the_ticket_is_on_sale_again(site: Site):
    name = title()
    ticket_id = site.seller_with_ticket(name)
    page = site.new_page()
    site.sign_up(page)
    order_id = site.purchase(page, ticket_id)
    assert site.listed_titles(page, name) == []
    page.goto(f"/orders/{order_id}")
    expect(page.locator("[data-countdown]")).to_have_text(COUNTDOWN)

    # At zero, the countdown says so and hides the forms, before the page is even reloaded.
    expect(page.locator("[data-countdown]")).to_contain_text(
        "This order has expired.", timeout=(ORDER_WINDOW_SECONDS + 5) * 1000
    )
    expect(page.get_by_role("button", name=re.compile("^Pay "))).to_be_hidden()

    reload_until_heading(
        page, "Order expired", ORDER_EXPIRY_GRACE_SECONDS + 5 * ORDER_EXPIRY_SWEEP_SECONDS + 10
    )
    # Offered again once tickets has heard of the expiry (orders' event).
    reload_until(page, page.get_by_role("link", name="buy it again"), ORDER_SETTLES_SECONDS)
    site.check(page, "order-expired", screenshot=True)
    assert site.listed_titles(page, name) == [name]


def test_a_cancelled_order_puts_the_ticket_back_on_sale(site: Site):
    name = title()
    ticket_id = site.seller_with_ticket(name)
    page = site.new_page()
    site.sign_up(page)
    site.purchase(page, ticket_id)

    page.get_by_role("button", name="Cancel order").click()

    expect(page.get_by_role("heading", name="Order cancelled")).to_be_visible()
    expect(messages(page)).to_contain_text("Order cancelled: the ticket is back on sale.")
    reload_until(page, page.get_by_role("link", name="buy it again"), ORDER_SETTLES_SECONDS)
    site.check(page, "order-cancelled", screenshot=True)
    my_orders(page).click()
    expect(page.get_by_role("row", name=re.compile(rf"{name}.*Cancelled"))).to_be_visible()
    assert site.listed_titles(page, name) == [name]


def test_the_whole_purchase_works_without_javascript(site: Site):
    name = title()
    ticket_id = site.seller_with_ticket(name)
    page = site.new_page(javascript=False)
    site.sign_up(page)

    site.purchase(page, ticket_id)

    # No countdown: the time to pay by, in UTC, about one order window from now.
    countdown = page.locator("[data-countdown]")
    expect(countdown).to_have_text(re.compile(r"^\s*Pay before \d{2}:\d{2} \(UTC\)\s*$"))
    shown = countdown.inner_text().split()[2]
    expected = datetime.now(UTC) + timedelta(seconds=ORDER_WINDOW_SECONDS)
    around = {(expected + timedelta(minutes=m)).strftime("%H:%M") for m in (-1, 0, 1)}
    assert shown in around
    time.sleep(1.2)
    expect(countdown).to_have_text(re.compile(r"^\s*Pay before "))  # nothing ticks it
    site.screenshot(page, "order-without-javascript")
    site.pay(page, VISA_PAYS)
    reload_until_heading(page, "Paid", ORDER_SETTLES_SECONDS)
    assert site.listed_titles(page, name) == []
    site.sign_out(page)


def assert_fits_the_phone(page: Page, name: str) -> None:
    """No horizontal scroll; the header's links and buttons on screen and big enough to tap."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width} px wide on a {PHONE['width']} px phone"
    for control in page.locator("header a, header button").all():
        box = control.bounding_box()
        assert box is not None, f"{name}: {control.inner_text()} is not shown"
        assert box["x"] >= 0, (name, box)
        assert box["x"] + box["width"] <= PHONE["width"], (name, box)
        assert box["height"] >= 44, f"{name}: {control.inner_text()} is {box['height']} px high"


def test_a_phone_sized_screen_needs_no_sideways_scrolling(site: Site):
    ticket_id = site.seller_with_ticket(f"A rather long concert title {secrets.token_hex(8)}")
    page = site.new_page(phone=True)
    page.goto("/")
    assert_fits_the_phone(page, "phone-landing")
    site.screenshot(page, "phone-landing")
    site.sign_up(page)
    assert_fits_the_phone(page, "phone-landing-signed-in")

    site.purchase(page, ticket_id)

    assert_fits_the_phone(page, "phone-order")
    site.check(page, "phone-order", screenshot=True)
    # The header works with a finger: to the sell form, and its form fits too.
    page.get_by_role("link", name="Sell tickets").tap()
    expect_at(page, "/tickets/new")
    assert_fits_the_phone(page, "phone-sell-form")
    my_orders(page).tap()
    expect_at(page, "/orders")
    assert_fits_the_phone(page, "phone-my-orders")
    site.check(page, "phone-my-orders", screenshot=True)


def test_dark_mode_pages_keep_their_contrast(site: Site):
    ticket_id = site.seller_with_ticket(title())
    page = site.new_page(dark=True)
    page.goto("/")
    site.check(page, "landing-dark", screenshot=True)
    page.goto(f"/tickets/{ticket_id}")
    site.check(page, "ticket-dark")
    site.sign_up(page)
    site.purchase(page, ticket_id)
    site.check(page, "order-dark", screenshot=True)


@pytest.mark.parametrize("path", ["/tickets/00000000-0000-4000-8000-000000000000", "/no-such-page"])
def test_a_missing_page_is_a_friendly_404(site: Site, path):
    page = site.new_page()

    response = page.goto(path)

    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("link", name="See the tickets for sale")).to_be_visible()
    site.check(page, "not-found", screenshot=path == "/no-such-page")


def test_public_pages_are_light_and_load_nothing_from_elsewhere(site: Site):
    ticket_id = site.seller_with_ticket(title())
    paths = ["/", f"/tickets/{ticket_id}", "/auth/signin", "/auth/signup", "/?q=concert"]

    weights = [site.weigh(path) for path in paths]

    for weight in weights:
        assert weight.status == 200, weight
        elsewhere = [url for url in weight.urls if not url.startswith(f"{site.base_url}/")]
        assert not elsewhere, f"{weight.path} asked another origin: {elsewhere}"
        assert weight.decoded.get("document", 0) < HTML_MAX, weight
        assert weight.decoded.get("stylesheet", 0) < CSS_MAX, weight
        assert weight.decoded.get("script", 0) < JS_MAX, weight
