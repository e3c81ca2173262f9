"""Sign up, sign in, sign out and the server-side refresh against the real auth service (the
whole system running): each form's states, the cookies auth sets relayed to the browser."""

import uuid
from datetime import timedelta

import jwt
import pytest

from ticketing_shared.testing.tokens import access_token_mint
from web.tests.factories import (
    PASSWORD,
    Browser,
    person_signed_up,
    token_claims,
    unique,
)
from web.tests.pages import (
    error_summary,
    field_error,
    hidden_value,
    input_value,
    messages_of,
    page_text,
    title_of,
)

pytestmark = pytest.mark.usefixtures("live")


def _signed_in_as(browser: Browser, email: str) -> bool:
    return f"You are signed in as {email}" in page_text(browser.get("/auth/signout"))


# ------------------------------------------------------------------------------------------
# Sign up
# ------------------------------------------------------------------------------------------


def test_sign_up_signs_the_new_person_in_and_goes_to_next():
    browser = Browser()
    email = f"{unique('new-')}@example.com"
    response = browser.submit(
        "/auth/signup?next=/tickets/new", {"email": email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/tickets/new"
    assert response.cookies["access_token"]["httponly"]
    assert response.cookies["refresh_token"]["httponly"]
    assert token_claims(response.cookies["access_token"].value)["email"] == email
    page = browser.follow(response)
    assert page.status_code == 200
    assert "Welcome to Ticketing: your account is ready." in messages_of(page)
    assert _signed_in_as(browser, email)


@pytest.mark.parametrize(
    ("email", "password", "field", "message"),
    [
        ("not-an-email", PASSWORD, "email", "Email must be valid"),
        ("", PASSWORD, "email", "Email must be valid"),
        (None, "short", "password", "Password must be between 8 and 128 characters"),
        (None, "", "password", "Password must be between 8 and 128 characters"),
        (None, "password", "password", "too common"),
    ],
)
def test_sign_up_shows_auths_errors_beside_their_fields(email, password, field, message):
    browser = Browser()
    typed_email = f"{unique('typed-')}@example.com" if email is None else email
    response = browser.submit("/auth/signup", {"email": typed_email, "password": password})
    assert response.status_code == 400
    assert title_of(response).startswith("Error: ")
    assert message in (field_error(response, f"id_{field}") or "")
    # The same message in the summary at the top, linked to its field.
    assert any(message in entry for entry in error_summary(response))
    assert f'<a href="#id_{field}">' in page_text(response)
    # What the person typed is kept, never the password.
    assert input_value(response, "email") == (typed_email or None)
    assert input_value(response, "password") is None
    if password:
        assert password not in page_text(response).replace("password", "")
    assert "access_token" not in response.cookies


def test_sign_up_with_an_email_in_use_says_so_beside_the_email():
    person = person_signed_up()
    browser = Browser()
    response = browser.submit(
        "/auth/signup", {"email": person.email.upper(), "password": "another-passphrase-7"}
    )
    assert response.status_code == 400
    assert field_error(response, "id_email") == "Email in use"
    assert input_value(response, "email") == person.email.upper()
    assert input_value(response, "password") is None
    assert "another-passphrase-7" not in page_text(response)


# ------------------------------------------------------------------------------------------
# Sign in
# ------------------------------------------------------------------------------------------


def test_sign_in_relays_auths_cookies_and_goes_back_to_next():
    person = person_signed_up()
    browser = Browser()
    response = browser.submit(
        "/auth/signin?next=/orders", {"email": person.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/orders"
    for name in ("access_token", "refresh_token", "signin_device"):
        cookie = response.cookies[name]
        assert cookie.value
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"
        assert cookie["path"] == "/"
    assert token_claims(response.cookies["access_token"].value)["id"] == person.id
    page = browser.follow(response)
    assert page.status_code == 200
    assert "You are signed in." in messages_of(page)
    assert "My orders" in page_text(page)


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_sign_in_never_goes_to_another_site(target):
    person = person_signed_up()
    browser = Browser()
    form = browser.get("/auth/signin", {"next": target})
    assert hidden_value(form, "next") == "/"
    # Also when the form's `next` is rewritten before it is posted.
    response = browser.post(
        "/auth/signin",
        {
            "email": person.email,
            "password": PASSWORD,
            "next": target,
            "csrfmiddlewaretoken": browser.csrf_token("/auth/signin"),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_wrong_credentials_are_said_at_the_top_keeping_the_email():
    person = person_signed_up()
    browser = Browser()
    response = browser.submit(
        "/auth/signin", {"email": person.email, "password": "not-the-passphrase"}
    )
    assert response.status_code == 400
    assert title_of(response) == "Error: Sign in · Ticketing"
    assert error_summary(response) == ["Invalid credentials"]
    # Not beside a field: it is about the pair, and says nothing of which was wrong.
    assert field_error(response, "id_email") is None
    assert field_error(response, "id_password") is None
    assert input_value(response, "email") == person.email
    assert input_value(response, "password") is None
    assert "not-the-passphrase" not in page_text(response)
    assert "access_token" not in response.cookies


def test_an_unknown_email_reads_as_wrong_credentials():
    response = Browser().submit(
        "/auth/signin", {"email": f"{unique('nobody-')}@example.com", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert error_summary(response) == ["Invalid credentials"]


# ------------------------------------------------------------------------------------------
# Sign out
# ------------------------------------------------------------------------------------------


def test_sign_out_ends_the_session_at_auth_and_in_the_browser():
    person = person_signed_up()
    refresh_token = person.browser.cookies["refresh_token"].value
    response = person.submit("/auth/signout")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies["access_token"].value == ""
    assert response.cookies["refresh_token"].value == ""
    home = person.browser.follow(response)
    assert "You are signed out." in messages_of(home)
    # Signed out, but with a message of their own: not a page for a shared cache.
    assert "public" not in home["Cache-Control"]
    assert not _signed_in_as(person.browser, person.email)
    # The refresh token no longer opens anything: a browser that kept it is signed out.
    stale = Browser()
    stale.cookies["refresh_token"] = refresh_token
    response = stale.get("/orders")
    assert response.status_code == 302
    assert response["Location"] == "/auth/signin?next=%2Forders"
    assert response.cookies["refresh_token"].value == ""


# ------------------------------------------------------------------------------------------
# The server-side refresh
# ------------------------------------------------------------------------------------------


def _access_token_of_the_copy(system, person, lifetime: timedelta) -> str:
    """An access token as the copy's auth mints them (signed with its private key)."""
    private_key = (system.state_dir / "keys" / "jwt-private.pem").read_text()
    return access_token_mint(
        user_id=uuid.UUID(person.id),
        email=person.email,
        lifetime=lifetime,
        signing_key=private_key,
    )


@pytest.mark.parametrize("access", ["expired", "missing", "about to expire"])
def test_an_access_cookie_expired_or_about_to_is_renewed_with_the_refresh_cookie(live, access):
    """Also one that would lapse during the page's own API calls (within
    FRONTEND_ACCESS_RENEW_AHEAD_SECONDS)."""
    person = person_signed_up()
    old_refresh = person.browser.cookies["refresh_token"].value
    if access == "expired":
        token = _access_token_of_the_copy(live, person, -timedelta(minutes=1))
        with pytest.raises(jwt.ExpiredSignatureError):
            jwt.decode(token, live.public_key_file.read_text(), algorithms=["RS256"])
        person.browser.cookies["access_token"] = token
    elif access == "about to expire":
        person.browser.cookies["access_token"] = _access_token_of_the_copy(
            live, person, timedelta(seconds=10)
        )
    else:
        del person.browser.cookies["access_token"]
    response = person.get("/orders")
    assert response.status_code == 200
    assert "You have no orders yet." in page_text(response)
    assert "My orders" in page_text(response)
    # New cookies from auth, set on this response; never cached.
    new_access = response.cookies["access_token"].value
    assert token_claims(new_access)["id"] == person.id
    assert response.cookies["refresh_token"].value not in ("", old_refresh)
    assert "no-store" in response["Cache-Control"]
    # The browser goes on with the new ones.
    assert _signed_in_as(person.browser, person.email)


def test_an_access_cookie_with_time_left_is_not_renewed(live):
    person = person_signed_up()
    response = person.get("/orders")
    assert response.status_code == 200
    assert "access_token" not in response.cookies
    assert "refresh_token" not in response.cookies


def test_a_renewal_on_a_public_page_is_never_cached(live):
    person = person_signed_up()
    del person.browser.cookies["access_token"]
    response = person.get("/")
    assert response.status_code == 200
    assert "access_token" in response.cookies
    assert "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


@pytest.mark.parametrize("refresh", ["garbage", "an access token"])
def test_a_refresh_cookie_that_opens_nothing_is_cleared(refresh):
    person = person_signed_up()
    access = person.browser.cookies["access_token"].value
    browser = Browser()
    browser.cookies["refresh_token"] = "garbage" if refresh == "garbage" else access
    response = browser.get("/auth/signin")
    assert response.status_code == 200
    assert response.cookies["refresh_token"].value == ""
    assert response.cookies["access_token"].value == ""
    assert "Sign in" in page_text(response)
