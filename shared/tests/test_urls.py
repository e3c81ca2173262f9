"""Every answer under the API prefix is the contract's JSON, whatever the path or method."""

import pytest
from django.test import Client

NOT_FOUND = {"errors": [{"message": "Not Found"}]}
ODD_METHODS = ["OPTIONS", "TRACE", "PROPFIND", "CONNECT", "PATCH"]


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "HEAD", *ODD_METHODS])
def test_the_bare_prefix_is_not_found_not_redirected(method):
    # Django's APPEND_SLASH answered an HTML 301 to `/api/sample/` (a 500 for a POST in DEBUG).
    response = Client().generic(method, "/api/sample")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    if method != "HEAD":
        assert response.json() == NOT_FOUND


def test_the_bare_prefix_in_debug(settings):
    settings.DEBUG = True

    response = Client().post("/api/sample", "{}", content_type="application/json")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_the_admin_keeps_its_redirect_to_the_slash():
    response = Client().get("/admin/sample")

    assert (response.status_code, response["Location"]) == (301, "/admin/sample/")


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_the_bare_admin_prefix_redirects_every_method_in_debug(settings, method):
    # APPEND_SLASH raised a RuntimeError (an HTML 500 in DEBUG) for a POST, PUT or PATCH.
    settings.DEBUG = True

    response = Client().generic(method, "/admin/sample?next=x", "{}")

    assert (response.status_code, response["Location"]) == (301, "/admin/sample/?next=x")


@pytest.mark.parametrize("method", ODD_METHODS)
@pytest.mark.parametrize(
    "path",
    ["/api/sample/echo", "/api/sample/public", "/api/sample/schema", "/api/sample/docs"],
)
def test_an_unknown_method_is_an_unknown_route(method, path):
    # OPTIONS used to answer 200 with the view's docstring (DRF's metadata).
    response = Client().generic(method, path)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("path", ["/api/sample/schema", "/api/sample/docs"])
def test_the_openapi_views_refuse_bodies_in_the_error_format(path):
    response = Client().post(path, "{}", content_type="application/json")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_the_openapi_views_answer_get():
    assert Client().get("/api/sample/schema").status_code == 200
    assert Client().get("/api/sample/docs").status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/sample/%00", "/api/sample/public%00", "/api/sample/%ff%fe", "/api/sample/a%2fb"]
)
def test_odd_bytes_in_the_path_are_not_found(path):
    response = Client().get(path)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_an_overlong_path_is_not_found():
    response = Client().get("/api/sample/" + "a" * 8000)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("version", ["\n", "\r", "\x00", "\u2028", "zz"])
def test_a_version_query_names_nothing_in_the_schema(version):
    # drf-spectacular would echo it into the schema and into Content-Disposition (a 500).
    response = Client().get("/api/sample/schema", {"version": version})

    assert response.status_code == 200
    assert version not in response["Content-Disposition"]
    assert f"({version})" not in response.content.decode()
