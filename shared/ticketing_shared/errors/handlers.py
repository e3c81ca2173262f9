"""Every failure, whatever raised it, leaves in the error format."""

import logging

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ticketing_shared.errors.exceptions import (
    ApplicationError,
    Conflict,
    NotAuthorized,
    NotFound,
    TooManyAttempts,
    UpstreamUnavailable,
)
from ticketing_shared.errors.responses import error_body
from ticketing_shared.parsers import MalformedJSON

logger = logging.getLogger(__name__)

BAD_REQUEST = "Bad Request"
NOT_FOUND = "Not Found"
MALFORMED_JSON = "Malformed JSON"
REQUEST_BODY_TOO_LARGE = "Request body too large"
VALUE_OUT_OF_RANGE = "A value is too long or out of range"
SOMETHING_WENT_WRONG = "Something went wrong"
SERVICE_UNAVAILABLE = "Service unavailable, try again shortly"
# How long a client is asked to wait when a backing service (Redis) does not answer.
UNAVAILABLE_RETRY_AFTER_SECONDS = 5

# The one place where the domain's errors become HTTP statuses; any other ApplicationError
# is a broken rule of the domain: 400.
APPLICATION_ERROR_STATUS = {
    NotAuthorized: status.HTTP_401_UNAUTHORIZED,
    NotFound: status.HTTP_404_NOT_FOUND,
    Conflict: status.HTTP_409_CONFLICT,
    TooManyAttempts: status.HTTP_429_TOO_MANY_REQUESTS,
    UpstreamUnavailable: status.HTTP_502_BAD_GATEWAY,
}


def api_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's exception handler: maps each failure to a status and contract messages.

    Unexpected exceptions are answered here too (500), so that a DRF view never falls
    through to an HTML page; the details only go to the log.
    """
    set_rollback()
    headers = {}
    if isinstance(exc, ApplicationError):
        return _application_error_response(exc)
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            {"errors": _validation_errors(exc.detail)}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, DjangoValidationError):
        # Services raise Django's ValidationError, keyed by field where one is at fault.
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return Response({"errors": _validation_errors(detail)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        # DRF turns these into 403 when no authenticator names a scheme; ours always does.
        return Response(error_body("Not authorized"), status=exc.status_code, headers=headers)
    if isinstance(exc, (Http404, exceptions.NotFound, exceptions.MethodNotAllowed)):
        # An unknown method is an unknown route, as in the original application.
        return Response(error_body(NOT_FOUND), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, exceptions.ParseError):
        # Ours say what is wrong in the contract's words; DRF's may quote the parser's internals.
        message = str(exc.detail) if isinstance(exc, MalformedJSON) else MALFORMED_JSON
        return Response(error_body(message), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return Response(
            error_body("Content-Type must be application/json"),
            status=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        )
    if isinstance(exc, PermissionDenied):
        return Response(error_body("Forbidden"), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, exceptions.Throttled):
        if exc.wait:
            headers["Retry-After"] = str(int(exc.wait))
        return Response(error_body(str(exc.detail)), status=exc.status_code, headers=headers)
    if isinstance(exc, exceptions.APIException):
        return Response(error_body(str(exc.detail)), status=exc.status_code)
    if isinstance(exc, SuspiciousOperation):
        logger.warning("suspicious request refused: %s: %s", type(exc).__name__, exc)
        code, message = suspicious_request_error(exc)
        return Response(error_body(message), status=code)
    if isinstance(exc, DataError):
        # The database refused a value (too long for its column, out of its type's range) that
        # validation let through: the client's input, so a 400, but logged, since a serializer
        # should have named the field. An IntegrityError is not mapped: a duplicate is for the
        # service to name ("Email in use"), and a broken reference or constraint is our bug.
        logger.warning("the database refused a value: %s", exc)
        return Response(error_body(VALUE_OUT_OF_RANGE), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        # The cache (limits, the refresh reuse window) is down: nothing is wrong with the
        # request, and it cannot be served safely without it (a limit must not fail open).
        logger.error("Redis does not answer: %s", exc)
        return Response(
            error_body(SERVICE_UNAVAILABLE),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)},
        )
    logger.exception("unhandled error in %s", type(context.get("view")).__name__)
    return Response(error_body(SOMETHING_WENT_WRONG), status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def suspicious_request_error(exc: SuspiciousOperation) -> tuple[int, str]:
    """The status and message for a request Django refuses to read: 413 for a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE, 400 for the rest (too many fields, a Host not allowed, ...)."""
    if isinstance(exc, RequestDataTooBig):
        return status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, REQUEST_BODY_TOO_LARGE
    return status.HTTP_400_BAD_REQUEST, BAD_REQUEST


def _application_error_response(exc: ApplicationError) -> Response:
    code = next(
        (code for kind, code in APPLICATION_ERROR_STATUS.items() if isinstance(exc, kind)),
        status.HTTP_400_BAD_REQUEST,
    )
    headers = {}
    if isinstance(exc, TooManyAttempts) and exc.retry_after:
        headers["Retry-After"] = str(int(exc.retry_after))
    return Response(error_body(exc.message, exc.field), status=code, headers=headers)


def _validation_errors(detail, field: str | None = None) -> list[dict]:
    """Flattens DRF's nested error detail into one entry per message."""
    if isinstance(detail, dict):
        return [
            error
            for key, value in detail.items()
            for error in _validation_errors(
                value, None if key == "non_field_errors" else _join(field, key)
            )
        ]
    if isinstance(detail, list):
        return [error for item in detail for error in _validation_errors(item, field)]
    return error_body(str(detail), field)["errors"]


def _join(parent: str | None, key) -> str:
    return f"{parent}.{key}" if parent else str(key)
