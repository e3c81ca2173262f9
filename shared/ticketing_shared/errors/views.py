"""Django-level handlers (`handler404`, `handler500`, ...) and the catch-all under a prefix."""

import logging

from django.views.decorators.csrf import csrf_exempt

from ticketing_shared.errors.handlers import NOT_FOUND, SOMETHING_WENT_WRONG
from ticketing_shared.errors.responses import error_response

logger = logging.getLogger(__name__)


def bad_request(request, exception=None):
    return error_response(400, "Bad Request")


def permission_denied(request, exception=None):
    return error_response(403, "Forbidden")


def page_not_found(request, exception=None):
    return error_response(404, NOT_FOUND)


def server_error(request):
    return error_response(500, SOMETHING_WENT_WRONG)


@csrf_exempt
def route_not_found(request, *args, **kwargs):
    """Any path and method under a service's prefix that no route takes."""
    return error_response(404, NOT_FOUND)
