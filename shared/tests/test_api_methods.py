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
