import pytest

ECHO = {"title": "concert", "price": "10"}


@pytest.mark.parametrize(
    "accept",
    [
        "application/xml",
        "text/html",
        "text/plain",
        "image/png",
        "application/json; version=x, text/html;q=0.5",
        "nonsense",
    ],
)
def test_the_api_answers_json_whatever_accept_says(api_client, accept):
    response = api_client.get("/api/sample/public", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"signedIn": False}


def test_errors_too(api_client):
    response = api_client.post("/api/sample/echo", {}, format="json", HTTP_ACCEPT="text/html")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"]


@pytest.mark.parametrize("query", ["format=xml", "format=api", "format=json"])
def test_a_format_parameter_is_a_preference_too(api_client, query):
    response = api_client.get(f"/api/sample/public?{query}")

    assert response.status_code == 200
    assert response.json() == {"signedIn": False}


@pytest.mark.parametrize(
    ("query", "accept", "content_type"),
    [
        ("", "application/json", "application/json"),
        ("", "application/xml", "application/vnd.oai.openapi"),
        ("?format=json", "", "application/vnd.oai.openapi+json"),
    ],
)
def test_the_schema_still_comes_in_what_is_asked_for(api_client, query, accept, content_type):
    response = api_client.get(f"/api/sample/schema{query}", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type), response["Content-Type"]
