"""Pages for what went wrong: friendly, in the site's layout, never a traceback."""

from django.template.response import TemplateResponse

from web.backend import BackendRefused, BackendUnavailable


def page_not_found(request, exception=None):
    return TemplateResponse(request, "web/errors/404.html", status=404).render()


def server_error(request):
    # No context processors' backend calls here: this page must render whatever broke.
    return TemplateResponse(request, "web/errors/500.html", status=500).render()


def bad_request(request, exception=None):
    return TemplateResponse(request, "web/errors/400.html", status=400).render()


def permission_denied(request, exception=None):
    return TemplateResponse(request, "web/errors/403.html", status=403).render()


def csrf_failure(request, reason=""):
    """A form sent without its CSRF token, or from a page too old: ask to try again."""
    return TemplateResponse(request, "web/errors/csrf.html", status=403).render()


def backend_unavailable(request, unavailable: BackendUnavailable):
    return TemplateResponse(
        request,
        "web/errors/unavailable.html",
        {"unavailable": unavailable},
        status=503,
        headers={"Retry-After": "60", "Cache-Control": "no-store"},
    ).render()


def backend_refused(request, refused: BackendRefused):
    if refused.status == 404:
        return page_not_found(request)
    return TemplateResponse(
        request,
        "web/errors/refused.html",
        {"refused": refused},
        status=400 if refused.status != 429 else 429,
        headers={"Cache-Control": "no-store"},
    ).render()
