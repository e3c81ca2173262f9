"""Pages for what went wrong: friendly, in the site's layout, never a traceback."""

from django.http import HttpResponseServerError
from django.template import loader
from django.template.response import TemplateResponse

from web.backend import BackendRefused, BackendUnavailable

# An error page may show a signed-in header and a CSRF token: never kept by a cache.
NOT_STORED = {"Cache-Control": "private, no-store"}


def _error_page(request, template: str, status: int, context=None, headers=None):
    return TemplateResponse(
        request, template, context or {}, status=status, headers={**NOT_STORED, **(headers or {})}
    ).render()


def page_not_found(request, exception=None):
    return _error_page(request, "web/errors/404.html", 404)


def server_error(request):
    # A page of its own, rendered without the request (no layout, no context processors), as
    # Django's own handler does: it must render whatever broke.
    return HttpResponseServerError(
        loader.get_template("web/errors/500.html").render(), headers=NOT_STORED
    )


def bad_request(request, exception=None):
    return _error_page(request, "web/errors/400.html", 400)


def permission_denied(request, exception=None):
    return _error_page(request, "web/errors/403.html", 403)


def csrf_failure(request, reason=""):
    """A form sent without its CSRF token, or from a page too old: ask to try again."""
    return _error_page(request, "web/errors/csrf.html", 403)


def method_not_allowed(request, response):
    """Django's bare 405 as a page, its Allow header kept: a form's address opened as a link."""
    return _error_page(request, "web/errors/405.html", 405, headers={"Allow": response["Allow"]})


# A page a backend's outage made: asked again in a minute, never kept.
UNAVAILABLE_HEADERS = {**NOT_STORED, "Retry-After": "60"}


def backend_unavailable(request, unavailable: BackendUnavailable):
    return _error_page(
        request,
        "web/errors/unavailable.html",
        503,
        {"unavailable": unavailable},
        headers=UNAVAILABLE_HEADERS,
    )


def backend_refused(request, refused: BackendRefused):
    if refused.status == 404:
        return page_not_found(request)
    status = 429 if refused.status == 429 else 400
    return _error_page(request, "web/errors/refused.html", status, {"refused": refused})
