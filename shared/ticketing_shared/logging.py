"""Structured logs: a request id on every line logged while a request is served.

The gateway sends `X-Request-ID`; a request without one (a probe, a direct call) gets a fresh id.
The id is echoed in the response so a person reporting a problem can quote it.
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# The event being published or handled, so both sides of a delivery log its id and subject.
event_var: ContextVar[tuple[str, str] | None] = ContextVar("event", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

request_logger = logging.getLogger("ticketing.request")


class LogContextFilter(logging.Filter):
    """Adds the service name and the current request id to every record."""

    def __init__(self, service: str = "", name: str = "") -> None:
        super().__init__(name)
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        event = event_var.get()
        if event is not None and not hasattr(record, "event_id"):
            record.event_id, record.subject = event
        return True


class SuspiciousRequestFilter(logging.Filter):
    """A request Django refuses as suspicious (a Host not allowed, an admin lookup not
    allowed: its `django.security.*` loggers) is the client's doing, already answered 400: a
    WARNING with its message, not an ERROR with a traceback that anyone could fill the logs
    with, nor an alert."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.security.") and record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


def _incoming_request_id(request) -> str:
    supplied = request.headers.get(REQUEST_ID_HEADER, "")
    # A client-chosen id is only trusted when it cannot forge log lines.
    return supplied if _ACCEPTABLE_REQUEST_ID.match(supplied) else uuid.uuid4().hex


class RequestLogMiddleware:
    """Binds the request id for the request's duration and logs one line per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = _incoming_request_id(request)
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            request_logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "user_id": _user_id(request),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


def _user_id(request) -> str | None:
    # Set by the authentication that ran, if any: reading `request.user` here would make
    # logging trigger authentication work of its own.
    user_id = getattr(request, "authenticated_user_id", None)
    return str(user_id) if user_id is not None else None
