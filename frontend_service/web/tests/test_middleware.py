"""Who is signed in (the access cookie, verified with the public key), what a page does when a
backend is down, slow, failing or no longer takes the user's token, and the headers every
page carries. The failures are real: a port that refuses, a server that never answers, one
that answers 500 or 401."""

import base64
import json
import time
from datetime import timedelta

import pytest
from django.test import Client

from ticketing_shared.keys import generate_key_pair
from ticketing_shared.testing.tokens import access_token_mint
from web.tests.conftest import sign_in
from web.tests.factories import token_claims
from web.tests.pages import heading, page_text
from web.tests.servers import Answer

UNAVAILABLE_TICKETS = "Tickets are unavailable right now, try again in a minute"
TRACEBACK_WORDS = (
    "Traceback",
    "BackendUnavailable",
    "NewConnectionError",
    "ReadTimeoutError",
    "urllib3",
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _tampered_to_staff() -> str:
    """A real token whose payload was rewritten (made staff) under its original signature."""
    token = access_token_mint()
    header, _, signature = token.split(".")
    claims = {**token_claims(token), "is_staff": True}
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


REFUSED_ACCESS_TOKENS = {
    "signed with another key": lambda: access_token_mint(signing_key=generate_key_pair()[0]),
    "expired": lambda: access_token_mint(lifetime=-timedelta(seconds=5)),
    "garbage": lambda: "not-a-token",
    "three garbage parts": lambda: "a.b.c",
    "tampered": _tampered_to_staff,
    "a refresh token": lambda: access_token_mint(token_type="refresh"),
}


def _assert_no_traceback(response) -> None:
    text = page_text(response)
    for word in TRACEBACK_WORDS:
        assert word not in text


# ------------------------------------------------------------------------------------------
# The current user
# ------------------------------------------------------------------------------------------


def test_a_valid_access_cookie_signs_the_user_in(signed_in_client):
    response = signed_in_client.get("/auth/signout")
    text = page_text(response)
    assert f"You are signed in as {signed_in_client.user.email}" in text
    for link in ("Sell tickets", "My tickets", "My orders"):
        assert link in text
    assert 'href="/auth/signup"' not in text
    assert "Admin" not in text


def test_staff_see_the_admin_link():
    client = Client()
    sign_in(client, is_staff=True)
    assert 'href="/admin/users/">Admin</a>' in page_text(client.get("/auth/signout"))


def test_no_cookie_is_signed_out(client):
    text = page_text(client.get("/auth/signout"))
    assert "You are not signed in" in text
    assert 'href="/auth/signup"' in text
    assert "My orders" not in text


@pytest.mark.parametrize("make_token", REFUSED_ACCESS_TOKENS.values(), ids=REFUSED_ACCESS_TOKENS)
def test_a_refused_access_cookie_is_signed_out(client, make_token):
    client.cookies["access_token"] = make_token()
    response = client.get("/auth/signout")
    assert response.status_code == 200
    text = page_text(response)
    assert "You are not signed in" in text
    assert "Admin" not in text


def test_an_expired_access_cookie_with_auth_unreachable_goes_on_signed_out_keeping_cookies(
    client,
):
    """Auth down while the access token is renewed: the page still renders, signed out, and
    the cookies are left for the next request rather than cleared."""
    client.cookies["access_token"] = access_token_mint(lifetime=-timedelta(seconds=5))
    client.cookies["refresh_token"] = "a-refresh-token-auth-cannot-check-now"
    response = client.get("/auth/signout")
    assert response.status_code == 200
    assert "You are not signed in" in page_text(response)
    assert "access_token" not in response.cookies
    assert "refresh_token" not in response.cookies


# ------------------------------------------------------------------------------------------
# A backend that fails: the page says which part is unavailable (503), the rest works
# ------------------------------------------------------------------------------------------


def _assert_tickets_unavailable_page(response) -> None:
    assert response.status_code == 503
    text = page_text(response)
    assert UNAVAILABLE_TICKETS in text
    # In the site's layout: its header and sign-in links are there.
    assert '<header class="site-header">' in text
    assert 'href="/auth/signin' in text
    assert response["Retry-After"] == "60"
    assert "no-store" in response["Cache-Control"]
    _assert_no_traceback(response)


def test_tickets_refusing_connections_make_a_503_page_and_the_rest_works(client):
    response = client.get("/")
    _assert_tickets_unavailable_page(response)
    # The landing page as ever, its message where the tickets would be.
    assert heading(response) == "Tickets for sale"
    assert 'name="q"' in page_text(response)
    # Pages that need no backend still work.
    assert client.get("/auth/signin").status_code == 200
    assert client.get("/auth/signup").status_code == 200
    assert client.get("/robots.txt").status_code == 200


def test_a_503_page_is_logged_once_as_the_backends_warning_not_as_an_error(client, caplog):
    _assert_tickets_unavailable_page(client.get("/"))
    unavailable = [r for r in caplog.records if r.getMessage() == "backend unavailable"]
    assert [(r.levelname, r.backend) for r in unavailable] == [("WARNING", "tickets")]
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_tickets_that_never_answer_make_a_503_page_after_the_timeout(
    client, settings, backend_at, silent_server
):
    settings.FRONTEND_BACKEND_TIMEOUT = 0.3
    backend_at("tickets", silent_server.url)
    started = time.monotonic()
    response = client.get("/")
    assert time.monotonic() - started < 3
    _assert_tickets_unavailable_page(response)


def test_tickets_answering_500_make_a_503_page(client, backend_answering):
    server = backend_answering(
        "tickets", {"GET /api/tickets": Answer(500, raw=b"<h1>Server Error (500)</h1>")}
    )
    _assert_tickets_unavailable_page(client.get("/"))
    assert server.received, "the page asked the server"


def test_a_ticket_page_with_tickets_down_is_a_503(client):
    response = client.get("/tickets/5b6f0d8e-5a8f-4d6c-9d7a-1f6a2b3c4d5e")
    _assert_tickets_unavailable_page(response)


def test_a_signed_in_page_with_its_backend_down_keeps_the_users_header(signed_in_client):
    response = signed_in_client.get("/orders")
    assert response.status_code == 503
    text = page_text(response)
    assert "Orders are unavailable right now, try again in a minute" in text
    assert "My orders" in text
    assert "Sign out" in text
    _assert_no_traceback(response)


def test_a_form_posted_while_its_backend_is_down_is_a_503(signed_in_client):
    response = signed_in_client.post("/tickets/new", {"title": "Concert", "price": "10"})
    assert response.status_code == 503
    assert UNAVAILABLE_TICKETS in page_text(response)


def test_sign_in_with_auth_down_is_a_503_that_says_so(client):
    response = client.post("/auth/signin", {"email": "a@example.com", "password": "secret-pw"})
    assert response.status_code == 503
    assert "Accounts are unavailable right now, try again in a minute" in page_text(response)
    _assert_no_traceback(response)


# ------------------------------------------------------------------------------------------
# A backend that no longer takes the user's token
# ------------------------------------------------------------------------------------------


def test_a_backend_refusing_the_users_token_sends_them_to_sign_in_dropping_the_access_cookie(
    signed_in_client, backend_answering
):
    """The token the frontend verified, refused by the API (the user deactivated, the clocks
    apart): back to sign-in, then to this page. The access cookie is dropped; the refresh
    cookie decides at the next request whether they are still signed in."""
    server = backend_answering(
        "tickets",
        {
            "GET /api/tickets/mine": Answer(
                401, {"errors": [{"message": "Not authorized"}]}, {"WWW-Authenticate": "Bearer"}
            )
        },
    )
    signed_in_client.cookies["refresh_token"] = "a-refresh-token"
    response = signed_in_client.get("/tickets/mine")
    assert response.status_code == 302
    assert response["Location"] == "/auth/signin?next=%2Ftickets%2Fmine"
    assert response.cookies["access_token"].value == ""
    assert response.cookies["access_token"]["max-age"] == 0
    assert "refresh_token" not in response.cookies
    # The call carried the user's token.
    assert server.received[0].headers["Authorization"].startswith("Bearer ")


# ------------------------------------------------------------------------------------------
# Headers every page carries
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/auth/signin", "/robots.txt", "/no-such-page", "/"])
def test_every_page_has_a_content_security_policy_of_this_origin_only(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in policy.split(";") if part.strip()
    )
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert "stripe" not in policy


def test_pages_may_not_be_framed(client):
    assert client.get("/auth/signin")["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "value", ["caf\u00e9", "a;access_token=planted", 'quoted"value', "x" * 5000]
)
def test_a_refresh_cookie_auth_never_gave_is_not_passed_on(client, backend_answering, value):
    """A value no token of auth's can hold (a byte outside ASCII, a `;` that would add a
    cookie of its own) is never sent to auth: the browser is signed out, its cookies cleared."""
    server = backend_answering("auth", {"POST /api/users/refresh": Answer(200, {})})
    client.cookies["refresh_token"] = value
    response = client.get("/auth/signin")
    assert response.status_code == 200
    assert server.received == []
    assert response.cookies["refresh_token"].value == ""


def test_a_refresh_auth_cannot_answer_now_keeps_the_cookies(client, backend_answering):
    """A limit reached (429) says nothing of the refresh cookie: the next page tries again."""
    backend_answering(
        "auth", {"POST /api/users/refresh": Answer(429, {"errors": [{"message": "Slow down"}]})}
    )
    client.cookies["refresh_token"] = "a.refresh.token"
    response = client.get("/auth/signin")
    assert response.status_code == 200
    assert "refresh_token" not in response.cookies
