import logging
import socket

import pytest
from django.db import DataError, IntegrityError, connection, transaction

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


def test_a_body_over_the_upload_limit_is_a_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = '{"title": "' + "x" * 200 + '", "price": "10"}'

    response = api_client.post("/api/sample/echo", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"errors": [{"message": "Request body too large"}]}


@pytest.mark.parametrize("debug", [False, True], ids=["production", "DEBUG"])
def test_a_host_that_is_not_allowed_is_a_400(api_client, settings, debug):
    settings.DEBUG = debug

    response = api_client.get("/api/sample/public", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "Bad Request"}]}


def refused_by_the_database(statement: str, params=()):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    except Exception as exc:
        return exc
    raise AssertionError(f"the database accepted {statement}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("statement", "params"),
    [
        ("CREATE TEMPORARY TABLE word (w varchar(3)); INSERT INTO word VALUES (%s)", ["long"]),
        ("SELECT %s::smallint", [70000]),
    ],
    ids=["too long", "out of range"],
)
def test_a_value_the_database_refuses_is_the_clients_400(caplog, statement, params):
    # What a serializer missed (a string longer than its column, a number out of its type's
    # range) reaches the database, which refuses it: the client's input, not our failure.
    error = refused_by_the_database(statement, params)
    assert isinstance(error, DataError)

    with caplog.at_level(logging.WARNING, logger="ticketing_shared.errors.handlers"):
        response = api_exception_handler(error, {})

    assert response.status_code == 400
    assert response.data == {"errors": [{"message": "A value is too long or out of range"}]}
    assert [record.levelname for record in caplog.records] == ["WARNING"]


@pytest.mark.django_db
def test_a_broken_constraint_is_ours_to_fix():
    # A duplicate is for the service to name ("Email in use"); anything else is a bug.
    error = refused_by_the_database(
        "CREATE TEMPORARY TABLE pair (id int PRIMARY KEY); INSERT INTO pair VALUES (1), (1)"
    )
    assert isinstance(error, IntegrityError)

    response = api_exception_handler(error, {})

    assert response.status_code == 500
    assert response.data == {"errors": [{"message": "Something went wrong"}]}


def test_a_cache_that_does_not_answer_is_a_503_to_retry(api_client, settings, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        }
    }

    response = api_client.post("/api/sample/visits")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"errors": [{"message": "Service unavailable, try again shortly"}]}
    assert "Redis does not answer" in caplog.text


def test_the_cache_counts_when_it_answers(api_client):
    assert api_client.post("/api/sample/visits").json() == {"visits": 1}
