import logging

import pytest

from ticketing_shared.errors.exceptions import (
    ApplicationError,
    NotAuthorized,
    NotFound,
    TooManyAttempts,
)
from ticketing_shared.errors.handlers import api_exception_handler


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/sample/nothing-here"),
        ("post", "/api/sample/"),
        ("delete", "/api/sample/echo"),
        ("put", "/api/sample/public"),
        ("get", "/api/sample/public/"),
    ],
)
def test_unknown_routes_and_methods_under_the_prefix(api_client, method, path):
    response = getattr(api_client, method)(path)

    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "Not Found"}]}


def test_unknown_path_outside_the_prefix(api_client):
    response = api_client.get("/somewhere/else")

    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "Not Found"}]}


def test_validation_errors_name_their_field(api_client):
    response = api_client.post("/api/sample/echo", {"price": "abc"}, format="json")

    assert response.status_code == 400
    assert sorted(response.json()["errors"], key=lambda e: e["field"]) == [
        {"message": "A valid number is required.", "field": "price"},
        {"message": "Title is required", "field": "title"},
    ]


def test_a_state_rule(api_client):
    response = api_client.post(
        "/api/sample/echo", {"title": "reserved", "price": "1"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "Cannot edit a reserved ticket"}]}


def test_malformed_json(api_client):
    response = api_client.post("/api/sample/echo", "{oops", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "Malformed JSON"}]}


def test_an_unexpected_failure_hides_its_details(api_client, caplog):
    with caplog.at_level(logging.ERROR):
        response = api_client.get("/api/sample/broken")

    assert response.status_code == 500
    assert response.json() == {"errors": [{"message": "Something went wrong"}]}
    assert "hunter2" not in response.content.decode()
    assert any("hunter2" in str(record.exc_info[1]) for record in caplog.records if record.exc_info)


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (
            ApplicationError("Ticket is already reserved"),
            400,
            {"errors": [{"message": "Ticket is already reserved"}]},
        ),
        (
            ApplicationError("Email in use", field="email"),
            400,
            {"errors": [{"message": "Email in use", "field": "email"}]},
        ),
        (NotAuthorized(), 401, {"errors": [{"message": "Not authorized"}]}),
        (NotFound(), 404, {"errors": [{"message": "Not Found"}]}),
    ],
)
def test_domain_errors_map_to_the_contracts_statuses(error, status, body):
    response = api_exception_handler(error, {})

    assert (response.status_code, response.data) == (status, body)


def test_too_many_attempts_says_when_to_retry():
    response = api_exception_handler(TooManyAttempts("Slow down", retry_after=42), {})

    assert response.status_code == 429
    assert response["Retry-After"] == "42"
    assert response.data == {"errors": [{"message": "Slow down"}]}
