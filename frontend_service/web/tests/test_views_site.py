"""What every site answers besides its pages: robots.txt, health, the error pages. The
sitemap and the public pages' caching against the real tickets service are in
test_views_site_live.py."""

import pytest
from django.test import Client

from web.tests.pages import page_text, title_of


def test_robots_txt_keeps_crawlers_to_the_public_pages(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert page_text(response) == (
        "User-agent: *\n"
        "Disallow: /auth/\n"
        "Disallow: /orders\n"
        "Disallow: /tickets/new\n"
        "Disallow: /tickets/mine\n"
        "Disallow: /admin/\n"
        "Disallow: /api/\n"
        "Sitemap: http://testserver/sitemap.xml\n"
    )
    assert "public" in response["Cache-Control"]
    assert "max-age=3600" in response["Cache-Control"]


def test_robots_txt_names_the_sites_own_address_when_set(client, settings):
    settings.FRONTEND_BASE_URL = "https://tickets.example"
    assert "Sitemap: https://tickets.example/sitemap.xml\n" in page_text(client.get("/robots.txt"))


@pytest.mark.parametrize("path", ["/no-such-page", "/tickets/new/extra", "/auth/nope", "/%E2%82"])
def test_an_unknown_address_is_the_friendly_404_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "text/html; charset=utf-8"
    text = page_text(response)
    assert title_of(response) == "Page not found · Ticketing"
    assert "<h1>Page not found</h1>" in text
    assert '<a href="/">See the tickets for sale</a>' in text
    assert '<header class="site-header">' in text
    assert '<meta name="robots" content="noindex">' in text


def test_the_404_page_keeps_the_signed_in_header(signed_in_client):
    text = page_text(signed_in_client.get("/no-such-page"))
    assert "My orders" in text


@pytest.mark.urls("web.tests.urls_failing")
def test_a_failing_view_is_the_500_page_without_a_traceback(settings):
    assert settings.DEBUG is False
    client = Client(raise_request_exception=False)
    response = client.get("/fails")
    assert response.status_code == 500
    text = page_text(response)
    assert "<h1>Something went wrong</h1>" in text
    assert '<a href="/">Go to the home page</a>' in text
    for leak in ("Traceback", "ViewFailure", "secret detail", "urls_failing"):
        assert leak not in text


def test_healthz_answers_without_any_backend(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_with_a_public_key_whatever_the_backends(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"public_key": "ok"}


def test_readyz_without_a_public_key_is_not_ready(client, settings):
    settings.JWT_PUBLIC_KEY = ""
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"public_key": "missing"}


@pytest.mark.parametrize("path", ["/robots.txt", "/healthz"])
def test_site_files_refuse_writes(client, path):
    assert client.post(path).status_code in (403, 405)


@pytest.mark.parametrize(
    "path", ["/orders/0f0e0d0c-0b0a-4908-8706-050403020100/pay", "/no-such-page"]
)
def test_error_pages_are_never_stored(signed_in_client, path):
    """An error page shows a signed-in header (and a CSRF token): no cache may keep it."""
    response = signed_in_client.get(path)
    assert response.status_code in (404, 405)
    assert "no-store" in response["Cache-Control"]


def test_a_form_address_opened_as_a_link_is_a_page_not_a_bare_405(signed_in_client):
    response = signed_in_client.get("/orders/0f0e0d0c-0b0a-4908-8706-050403020100/pay")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    text = page_text(response)
    assert "<h1>Nothing to see here</h1>" in text
    assert '<header class="site-header">' in text


def test_a_host_the_site_does_not_serve_is_the_400_page(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    text = page_text(response)
    assert "<h1>Sorry, that request could not be read</h1>" in text
    assert "evil.example" not in text
    assert "DisallowedHost" not in text
