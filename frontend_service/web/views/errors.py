"""Pages for what went wrong: friendly, in the site's layout, never a traceback."""

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
    # A page of its own (no layout, no context processors): it must render whatever broke.
    return _error_page(request, "web/errors/500.html", 500)


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


def backend_unavailable(request, unavailable: BackendUnavailable):
    response = _error_page(
        request,
        "web/errors/unavailable.html",
        503,
        {"unavailable": unavailable},
        headers={"Retry-After": "60"},
    )
    # Logged once, as the backend's warning (web/backend.py), not again by django.request as
    # an ERROR of this page: the flag is how Django's own log_response skips a response.
    response._has_been_logged = True
    return response


def backend_refused(request, refused: BackendRefused):
    if refused.status == 404:
        return page_not_found(request)
    status = 429 if refused.status == 429 else 400
    return _error_page(request, "web/errors/refused.html", status, {"refused": refused})
