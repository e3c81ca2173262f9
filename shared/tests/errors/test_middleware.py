"""Errors made around the views (Django's debug pages, other renderers, bare 405s) leave
under the API prefix in the error format too."""

import pytest
from django.test import Client

STATIC_FILE = "/api/sample/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"


@pytest.fixture
def static_files_served(settings):
    # As in local development: whitenoise serves the apps' static files under the API prefix.
    settings.DEBUG = True
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


def test_a_static_file_is_served(static_files_served):
    response = Client().get(STATIC_FILE)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")


@pytest.mark.parametrize("method", ["POST", "DELETE", "OPTIONS"])
def test_another_method_on_a_static_file_is_an_unknown_route(static_files_served, method):
    # whitenoise answers a bare 405 of its own.
    response = Client().generic(method, STATIC_FILE)

    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "Not Found"}]}
    assert "Allow" not in response


def test_the_replacement_keeps_the_security_headers():
    response = Client().generic("TRACE", "/api/sample/docs")

    assert response.json() == {"errors": [{"message": "Not Found"}]}
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Request-ID"]
    assert int(response["Content-Length"]) == len(response.content)


def test_a_debug_page_under_the_api_prefix_becomes_json(settings):
    settings.DEBUG = True

    response = Client().get("/api/sample/public", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "Bad Request"}]}


def test_pages_outside_the_api_prefix_are_left_alone(settings):
    # The admin's own pages are HTML, its errors included.
    settings.DEBUG = True

    response = Client().get("/admin/sample/login", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
