"""Errors made around the views (Django's debug pages, other renderers, bare 405s) leave
under the API prefix in the error format too."""

import uuid

import pytest
from django.test import Client

from ticketing_shared.testing.tokens import access_token_mint

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


BAD_REQUEST = {"errors": [{"message": "Bad Request"}]}
USERS = "/admin/sample/auth/user/"


@pytest.fixture
def staff_client():
    client = Client()
    client.cookies["access_token"] = access_token_mint(is_staff=True, is_superuser=True)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "email__regex=(",  # PostgreSQL refuses the pattern: DataError
        "email=a%00",  # psycopg2 refuses NUL: ValueError
        "date_joined__year=99999999999",  # the year's bounds overflow: OverflowError
        "date_joined__year=10000",  # past datetime's years: ValueError
    ],
)
def test_an_admin_filter_the_database_cannot_take_is_a_400(staff_client, query, caplog):
    response = staff_client.get(f"{USERS}?{query}")

    assert response.status_code == 400
    assert response.json() == BAD_REQUEST
    assert "bad input refused" in caplog.text


@pytest.mark.django_db
def test_an_admin_action_on_a_key_of_the_wrong_type_is_a_400(staff_client):
    response = staff_client.post(
        USERS, {"action": "delete_selected", "_selected_action": ["not-a-number"]}
    )

    assert response.status_code == 400
    assert response.json() == BAD_REQUEST


@pytest.mark.django_db
def test_a_value_a_model_field_refuses_in_a_django_view_is_a_400(settings):
    # Django's ValidationError: a UUID field given something else (the admin's actions on
    # models keyed by UUID, as auth's users are).
    settings.DEBUG = True

    response = Client().get("/sample-pages/outbox-event?id=not-a-uuid")

    assert response.status_code == 400
    assert response.json() == BAD_REQUEST


@pytest.mark.django_db
def test_a_good_value_passes(staff_client):
    assert Client().get(f"/sample-pages/outbox-event?id={uuid.uuid4()}").json() == {
        "published": False
    }
    assert staff_client.get(f"{USERS}?date_joined__year=2024").status_code == 200


def test_a_value_error_of_our_own_stays_a_500():
    # Only the database layer's refusals are the request's fault; elsewhere it is our bug.
    response = Client(raise_request_exception=False).get("/sample-pages/broken")

    assert response.status_code == 500


@pytest.mark.parametrize(
    "path",
    [
        "/api/nothing-here",  # under the API root, outside the service's prefix
        "/api",
        "/api/foo/../sample/public",  # nginx would route it to this service
        "/x/../api/sample/public",
        "/api/sample/../../x",
    ],
)
def test_debugs_404_under_the_api_root_is_json(settings, path):
    # DEBUG's 404 page is HTML listing every route of the service.
    settings.DEBUG = True

    response = Client().get(path)

    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "Not Found"}]}


def test_a_path_under_the_api_root_once_its_slashes_are_merged_is_too(settings):
    # The test client takes `//api/...` for a host name: the path is given as the server would.
    settings.DEBUG = True

    response = Client().get("/", PATH_INFO="//api//nothing-here")

    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "Not Found"}]}
