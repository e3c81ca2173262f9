"""Django-level handlers (`handler404`, `handler500`, ...) and the catch-all under a prefix."""

from django.core.exceptions import SuspiciousOperation
from django.views.decorators.csrf import csrf_exempt

from ticketing_shared.errors.handlers import (
    BAD_REQUEST,
    NOT_FOUND,
    SOMETHING_WENT_WRONG,
    suspicious_request_error,
)
from ticketing_shared.errors.responses import error_response


def bad_request(request, exception=None):
    # Django answers every SuspiciousOperation here (it has logged it already), the body over
    # DATA_UPLOAD_MAX_MEMORY_SIZE among them: that one is a 413.
    if isinstance(exception, SuspiciousOperation):
        return error_response(*suspicious_request_error(exception))
    return error_response(400, BAD_REQUEST)


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
