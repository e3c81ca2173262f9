import io
import json
import logging
import sys

from ticketing_shared.logging import (
    LogContextFilter,
    SuspiciousRequestFilter,
    event_var,
    request_id_var,
)


def test_every_response_names_its_request(api_client):
    response = api_client.get("/healthz")

    assert len(response["X-Request-ID"]) == 32


def test_the_gateway_request_id_is_kept(api_client):
    response = api_client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")

    assert response["X-Request-ID"] == "abc-123"


def test_a_request_id_that_could_forge_log_lines_is_replaced(api_client):
    response = api_client.get("/healthz", HTTP_X_REQUEST_ID='x" \n{"level": "ERROR"}')

    assert response["X-Request-ID"] != 'x" \n{"level": "ERROR"}'


def test_each_request_is_logged_once_with_its_id(api_client, caplog):
    with caplog.at_level(logging.INFO, logger="ticketing.request"):
        api_client.get("/api/sample/public", HTTP_X_REQUEST_ID="req-1")

    (record,) = [r for r in caplog.records if r.name == "ticketing.request"]
    assert (record.method, record.path, record.status) == ("GET", "/api/sample/public", 200)
    assert record.duration_ms >= 0


def test_log_lines_are_json_with_service_and_request_id():
    handler = logging.getLogger().handlers[0]
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "hello %s", ("there",), None)
    token = request_id_var.set("req-42")
    try:
        LogContextFilter(service="sample").filter(record)
    finally:
        request_id_var.reset(token)

    line = json.loads(handler.format(record))

    assert line["message"] == "hello there"
    assert line["level"] == "WARNING"
    assert line["service"] == "sample"
    assert line["request_id"] == "req-42"


def test_log_lines_name_the_event_being_handled():
    handler = logging.getLogger().handlers[0]
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "event applied", (), None)
    token = event_var.set(("3f1c", "order:created"))
    try:
        LogContextFilter(service="tickets").filter(record)
    finally:
        event_var.reset(token)

    line = json.loads(handler.format(record))

    assert (line["event_id"], line["subject"]) == ("3f1c", "order:created")


def test_a_suspicious_request_is_a_warning_without_its_traceback(api_client):
    handler = logging.getLogger().handlers[0]
    stream = io.StringIO()
    original, handler.stream = handler.stream, stream
    try:
        response = api_client.get("/api/sample/public", HTTP_HOST="evil.example")
    finally:
        handler.stream = original

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    refused = [line for line in lines if line["logger"] == "django.security.DisallowedHost"]
    assert response.status_code == 400
    assert [line["level"] for line in refused] == ["WARNING"]
    assert "exc_info" not in refused[0]


def test_other_errors_keep_their_level_and_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "ticketing.x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )

    SuspiciousRequestFilter().filter(record)

    assert (record.levelname, record.exc_info[0]) == ("ERROR", ValueError)
