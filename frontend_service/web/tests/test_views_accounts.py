"""Sign up, sign in and sign out: CSRF on each form, sign-out only by a POST, `next` only to
a path on this site, and what the pages are. The states against a real auth service are in
test_views_accounts_live.py."""

import pytest

from web.tests.pages import (
    assert_post_forms_carry_csrf,
    csrf_post,
    hidden_value,
    messages_of,
    page_text,
    title_of,
)
from web.tests.servers import Answer

ACCOUNT_FORMS = ["/auth/signin", "/auth/signup"]


# ------------------------------------------------------------------------------------------
# CSRF
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*ACCOUNT_FORMS, "/auth/signout"])
def test_a_post_without_its_csrf_token_is_refused_with_the_csrf_page(csrf_client, path):
    response = csrf_client.post(
        path, {"email": "someone@example.com", "password": "a-long-password"}
    )
    assert response.status_code == 403
    text = page_text(response)
    assert "Please try again" in text
    assert "reload the page and send the form again" in text
    assert '<header class="site-header">' in text


def test_a_post_with_another_sites_forged_token_is_refused(csrf_client):
    csrf_client.get("/auth/signin")
    response = csrf_client.post(
        "/auth/signin",
        {"email": "a@example.com", "password": "pw", "csrfmiddlewaretoken": "x" * 64},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("path", ACCOUNT_FORMS)
def test_a_post_with_its_csrf_token_goes_through(csrf_client, path):
    """The form's own token passes: the post reaches auth (down here, so a 503)."""
    response = csrf_post(
        csrf_client, path, path, {"email": "a@example.com", "password": "a-long-password"}
    )
    assert response.status_code == 503


@pytest.mark.parametrize("path", ACCOUNT_FORMS)
def test_account_forms_carry_their_csrf_token(client, path):
    assert_post_forms_carry_csrf(client.get(path))


# ------------------------------------------------------------------------------------------
# Sign out: a POST with its token, never a GET
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "head"])
def test_a_get_of_sign_out_never_signs_out(signed_in_client, method):
    response = getattr(signed_in_client, method)("/auth/signout")
    assert response.status_code == 200
    assert "access_token" not in response.cookies
    assert "refresh_token" not in response.cookies
    # Still signed in on the next page.
    assert "You are signed in as" in page_text(signed_in_client.get("/auth/signout"))


def test_the_sign_out_page_asks_with_a_button(signed_in_client):
    response = signed_in_client.get("/auth/signout")
    text = page_text(response)
    assert '<form method="post" action="/auth/signout">' in text
    assert '<button type="submit">Sign out</button>' in text
    assert_post_forms_carry_csrf(response)
    assert "no-store" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex">' in text


def test_sign_out_with_auth_unreachable_still_clears_the_browsers_tokens(csrf_client):
    """The browser forgets its tokens all the same; the refresh token then lapses unused."""
    from web.tests.conftest import sign_in

    sign_in(csrf_client)
    csrf_client.cookies["refresh_token"] = "a-refresh-token"
    response = csrf_post(csrf_client, "/auth/signout", "/auth/signout")
    assert response.status_code == 302
    assert response["Location"] == "/"
    for name in ("access_token", "refresh_token"):
        assert response.cookies[name].value == ""
        assert response.cookies[name]["max-age"] == 0
    assert "no-store" in response["Cache-Control"]
    assert "You are signed out." in messages_of(csrf_client.get("/auth/signin"))


def test_sign_out_gives_a_new_csrf_token(csrf_client):
    """As Django's own logout does: a token planted before is worth nothing after."""
    from web.tests.conftest import sign_in

    sign_in(csrf_client)
    csrf_client.get("/auth/signout")
    before = csrf_client.cookies["csrftoken"].value
    response = csrf_post(csrf_client, "/auth/signout", "/auth/signout")
    assert response.cookies["csrftoken"].value not in ("", before)


def test_sign_out_refuses_other_methods(signed_in_client):
    assert signed_in_client.put("/auth/signout").status_code == 405


# ------------------------------------------------------------------------------------------
# `next`: only a path on this site
# ------------------------------------------------------------------------------------------

OFF_SITE_NEXTS = [
    "//evil.example",
    "//evil.example/tickets",
    "https://evil.example",
    "https://evil.example/",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " //evil.example",
    "evil.example",
    "tickets/new",
    "",
]


@pytest.mark.parametrize("path", ACCOUNT_FORMS)
@pytest.mark.parametrize("target", OFF_SITE_NEXTS)
def test_next_off_this_site_becomes_the_home_page(client, path, target):
    response = client.get(path, {"next": target})
    assert hidden_value(response, "next") == "/"


@pytest.mark.parametrize("path", ACCOUNT_FORMS)
@pytest.mark.parametrize("target", ["/tickets/new", "/orders", "/tickets/mine?x=1", "/"])
def test_next_on_this_site_is_kept(client, path, target):
    assert hidden_value(client.get(path, {"next": target}), "next") == target


def test_the_other_account_form_is_linked_with_next(client):
    text = page_text(client.get("/auth/signin", {"next": "/orders"}))
    assert 'href="/auth/signup?next=/orders"' in text
    text = page_text(client.get("/auth/signup", {"next": "//evil.example"}))
    assert 'href="/auth/signin"' in text


# ------------------------------------------------------------------------------------------
# The pages
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "title", "button"),
    [
        ("/auth/signin", "Sign in · Ticketing", "Sign in"),
        ("/auth/signup", "Sign up · Ticketing", "Create account"),
    ],
)
def test_the_account_forms(client, path, title, button):
    response = client.get(path)
    assert response.status_code == 200
    assert title_of(response) == title
    text = page_text(response)
    assert f'<button type="submit">{button}</button>' in text
    # Labelled inputs, the password never autocompleted as another site's.
    assert '<label for="id_email">' in text
    assert '<label for="id_password">' in text
    assert 'type="password"' in text
    assert "no-store" in response["Cache-Control"]


def test_a_signed_out_header_links_sign_in_back_to_this_page(client):
    text = page_text(client.get("/auth/signout"))
    # An /auth/ page does not send people back to itself.
    assert 'href="/auth/signin">Sign in' in text


@pytest.mark.parametrize("path", ACCOUNT_FORMS)
def test_signed_in_the_account_forms_go_on_to_next(signed_in_client, path):
    response = signed_in_client.get(f"{path}?next=/orders")
    assert response.status_code == 302
    assert response["Location"] == "/orders"


def test_sign_out_refused_by_auth_still_clears_the_browsers_tokens(csrf_client, backend_answering):
    from web.tests.conftest import sign_in

    backend_answering(
        "auth", {"POST /api/users/signout": Answer(400, {"errors": [{"message": "No"}]})}
    )
    sign_in(csrf_client)
    response = csrf_post(csrf_client, "/auth/signout", "/auth/signout")
    assert response.status_code == 302
    for name in ("access_token", "refresh_token"):
        assert response.cookies[name].value == ""
