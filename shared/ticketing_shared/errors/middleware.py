"""Every error under a service's API prefix leaves in the contract's format, whoever made it.

The views and handlers answer in the format already; this catches what answers around them:
Django's debug pages (`DEBUG` turns an exception raised in a middleware into an HTML page
before any handler of ours sees it), a renderer that is not JSON (the OpenAPI docs page
renders its errors as HTML, the schema view as YAML), and Django's or whitenoise's bare 405s.
"""

from http import HTTPStatus

from django.conf import settings

from ticketing_shared.errors.handlers import (
    BAD_REQUEST,
    NOT_FOUND,
    REQUEST_BODY_TOO_LARGE,
    SOMETHING_WENT_WRONG,
)
from ticketing_shared.errors.responses import error_response

MESSAGES = {
    HTTPStatus.BAD_REQUEST: BAD_REQUEST,
    HTTPStatus.FORBIDDEN: "Forbidden",
    HTTPStatus.NOT_FOUND: NOT_FOUND,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: REQUEST_BODY_TOO_LARGE,
}
# The headers that describe the replaced body, or (Allow) a method the contract calls unknown.
_REPLACED_HEADERS = frozenset({"content-type", "content-length", "content-disposition", "allow"})


class ApiErrorFormatMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.api_path = f"/{settings.TICKETING_API_PREFIX}"

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and self._is_under_api(request.path)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return _in_error_format(response)
        return response

    def _is_under_api(self, path: str) -> bool:
        return path.startswith(self.api_path) or path == self.api_path.rstrip("/")


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
