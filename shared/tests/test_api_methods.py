import pytest

NOT_FOUND = {"errors": [{"message": "Not Found"}]}


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/sample/public", "GET, HEAD"),
        ("/api/sample/docs", "GET, HEAD"),
        ("/api/sample/schema", "GET, HEAD"),
    ],
)
def test_an_answer_never_offers_options(api_client, path, allowed):
    # OPTIONS answers 404 (contract §2): offering it would send clients to a route that is not.
    response = api_client.get(path)

    assert response.status_code == 200
    assert response["Allow"] == allowed


def test_a_post_answer_names_post_only(api_client):
    response = api_client.post(
        "/api/sample/echo", {"title": "concert", "price": "1"}, format="json"
    )

    assert response.status_code == 201
    assert response["Allow"] == "POST"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("options", "/api/sample/public"),
        ("delete", "/api/sample/public"),
        ("get", "/api/sample/echo"),
        ("options", "/api/sample/echo"),
        ("get", "/api/sample/nothing-here"),
    ],
)
def test_an_unknown_method_is_an_unknown_route_that_names_no_methods(api_client, method, path):
    response = getattr(api_client, method)(path)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert "Allow" not in response


# --- an unknown method is a 404 before the view asks who is calling ---------------------------


@pytest.mark.parametrize("method", ["delete", "options", "patch", "put", "post"])
def test_an_unknown_method_is_a_404_even_where_signing_in_is_required(api_client, method):
    # DRF authenticates before it looks for the handler: signed out, this was a 401, as if the
    # route took the method from someone signed in.
    response = getattr(api_client, method)("/api/sample/whoami")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert "Allow" not in response


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["delete", "options", "patch"])
def test_an_unknown_method_is_the_same_404_signed_in(signed_in_client, method):
    response = getattr(signed_in_client, method)("/api/sample/whoami")

    assert response.status_code == 404
    assert response.content == b'{"errors":[{"message":"Not Found"}]}'


@pytest.mark.parametrize("method", ["get", "head"])
def test_a_known_method_still_asks_for_a_signed_in_user(api_client, method):
    # HEAD is answered wherever GET is (Django's View.setup maps it).
    response = getattr(api_client, method)("/api/sample/whoami")

    assert response.status_code == 401


def test_the_cross_site_check_still_comes_first(api_client):
    # The cross-site and Content-Type checks come first, for every method (api_guard.py).
    response = api_client.delete("/api/sample/whoami", HTTP_ORIGIN="https://evil.example")

    assert response.status_code == 403


def test_a_method_the_view_switches_off_is_unknown(api_client):
    # ArchiveApi has a `post`, but its http_method_names leave POST out.
    response = api_client.post("/api/sample/archive", {}, format="json")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_a_method_a_route_switches_on_is_known(api_client):
    # The same class routed with http_method_names given to as_view(), POST included.
    response = api_client.post("/api/sample/archive-writable", {}, format="json")

    assert response.status_code == 401


def test_a_viewsets_methods_are_the_actions_its_route_maps(api_client, signed_in_client):
    assert api_client.get("/api/sample/notes").status_code == 401
    assert api_client.head("/api/sample/notes").status_code == 401
    assert api_client.delete("/api/sample/notes").json() == NOT_FOUND
    assert signed_in_client.get("/api/sample/notes").json() == {"notes": []}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["delete", "options", "put"])
def test_a_django_class_based_view_under_the_api_is_covered_too(client, sign_in, method):
    # LoginRequiredMixin sends a signed-out caller to sign in before Django looks for the
    # handler; and Django's own View answers OPTIONS (200) for a signed-in one.
    signed_out = getattr(client, method)("/api/sample/staff-page")
    sign_in(client, is_staff=True)
    signed_in = getattr(client, method)("/api/sample/staff-page")

    assert (signed_out.status_code, signed_out.json()) == (404, NOT_FOUND)
    assert (signed_in.status_code, signed_in.json()) == (404, NOT_FOUND)


@pytest.mark.django_db
def test_a_django_class_based_views_known_method_reaches_it(client, sign_in):
    assert client.get("/api/sample/staff-page").status_code == 302
    sign_in(client, is_staff=True)
    assert client.get("/api/sample/staff-page").json() == {"page": "staff"}


@pytest.mark.parametrize("method", ["get", "delete", "options", "patch"])
def test_a_function_view_answers_every_method_itself(api_client, method):
    response = getattr(api_client, method)("/api/sample/method-echo")

    assert response.status_code == 200
    assert response.json() == {"method": method.upper()}


def test_outside_the_api_a_class_based_view_keeps_djangos_answer(client):
    response = client.delete("/sample-pages/plain")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
