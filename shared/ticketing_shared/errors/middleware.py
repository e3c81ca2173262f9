"""Errors that views outside DRF's handler leave behind.

`ApiErrorFormatMiddleware`: every error under a service's API prefix leaves in the contract's
format, whoever made it. The views and handlers answer in the format already; this catches
what answers around them: Django's debug pages (`DEBUG` turns an exception raised in a
middleware into an HTML page before any handler of ours sees it), a renderer that is not JSON
(the OpenAPI docs page renders its errors as HTML, the schema view as YAML), and Django's or
whitenoise's bare 405s.

`BadInputMiddleware`: a Django view's exception that says the request's input is bad is a
400, not a 500.
"""

import logging
import posixpath
import re
from http import HTTPStatus

from django.core.exceptions import ValidationError
from django.db import DataError
from django.urls import get_resolver, get_urlconf

from ticketing_shared.errors.handlers import (
    BAD_REQUEST,
    NOT_FOUND,
    REQUEST_BODY_TOO_LARGE,
    SOMETHING_WENT_WRONG,
)
from ticketing_shared.errors.responses import error_response
from ticketing_shared.registry import API_ROOT

logger = logging.getLogger(__name__)

MESSAGES = {
    HTTPStatus.BAD_REQUEST: BAD_REQUEST,
    HTTPStatus.FORBIDDEN: "Forbidden",
    HTTPStatus.NOT_FOUND: NOT_FOUND,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: REQUEST_BODY_TOO_LARGE,
}
# The headers that describe the replaced body, or (Allow) a method the contract calls unknown.
_REPLACED_HEADERS = frozenset({"content-type", "content-length", "content-disposition", "allow"})


class ApiErrorFormatMiddleware:
    """Error answers for any path under the API root (`/api/`), not only the service's own
    prefix: reached directly, the service answers `/api/foo` itself, and with `DEBUG` that is
    Django's HTML 404 listing every route. A path counts in its normalized form too
    (`/api/users/../x`, `//api/x`, `/x/../api/y`), as nginx would route it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and _is_under_api(request.path)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return _in_error_format(response)
        return response


def _is_under_api(path: str) -> bool:
    return any(
        form.startswith(API_ROOT) or form == API_ROOT.rstrip("/")
        for form in (path, _normalized(path))
    )


def _normalized(path: str) -> str:
    # Empty segments merged first, as nginx does (normpath alone would keep a leading `//`).
    return posixpath.normpath(re.sub("/{2,}", "/", path))


def _in_error_format(response):
    status = response.status_code
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        # An unknown method is an unknown route (contract §2).
        status = HTTPStatus.NOT_FOUND
    replacement = error_response(status, _message(status))
    # The security headers (HSTS, nosniff, frame options, ...) were set on the original.
    for header, value in response.items():
        if header.lower() not in _REPLACED_HEADERS:
            replacement[header] = value
    replacement.cookies = response.cookies
    # CommonMiddleware, inside this one, measured the body this one replaced.
    replacement["Content-Length"] = str(len(replacement.content))
    return replacement


def _message(status: int) -> str:
    if status >= 500:
        return SOMETHING_WENT_WRONG
    if status in MESSAGES:
        return MESSAGES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # a status no standard names
        return BAD_REQUEST


class BadInputMiddleware:
    """Answers with the project's handler400 when a view outside DRF fails on the request's
    input (DRF's views have `errors.handlers` for that).

    The admin takes any lookup on a model's own fields from the query string, and builds or
    sends some of them only when the list is counted, past its own checks: `?email__regex=(`
    (PostgreSQL refuses the pattern: DataError), `?email=a%00` (psycopg2 refuses NUL:
    ValueError), `?date_joined__year=99999999999` (OverflowError making the year's bounds), an
    action on `_selected_action=not-a-uuid` (ValidationError for a UUID key, ValueError for a
    number). A ValueError or OverflowError counts only when Django's database layer raised it
    preparing or sending a value of a query: raised anywhere else, it is a bug of ours and
    stays a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not _is_bad_input(exception):
            return None
        logger.warning("bad input refused: %s: %s", type(exception).__name__, exception)
        bad_request = get_resolver(get_urlconf()).resolve_error_handler(400)
        return bad_request(request, exception=exception)


def _is_bad_input(exception: Exception) -> bool:
    if isinstance(exception, (DataError, ValidationError)):
        return True
    return isinstance(exception, (ValueError, OverflowError)) and _raised_in_django_db(exception)


def _raised_in_django_db(exception: Exception) -> bool:
    # The innermost Python frame: psycopg2 and datetime raise from C, called from there.
    frame = exception.__traceback__
    if frame is None:
        return False
    while frame.tb_next is not None:
        frame = frame.tb_next
    module = frame.tb_frame.f_globals.get("__name__", "")
    return module == "django.db" or module.startswith("django.db.")
