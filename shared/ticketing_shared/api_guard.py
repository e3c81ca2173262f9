"""Cross-site protection for the cookie-authenticated JSON APIs (contract §3).

The APIs take no CSRF token, so a browser must not be able to send them anything a form on
another site could: unsafe methods take a body only as JSON, and a request whose `Origin`
names another site is refused.
"""

from django.conf import settings

from ticketing_shared.errors import error_response

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ApiRequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.api_path = f"/{settings.TICKETING_API_PREFIX}"
        # The bare prefix is an API path too: a service's collection may live there
        # (`POST /api/tickets`), so it needs the same protection as what is under it.
        self.api_root = self.api_path.rstrip("/")

    def __call__(self, request):
        if request.path.startswith(self.api_path) or request.path == self.api_root:
            refusal = _cross_site_refusal(request) or _content_type_refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)


def _cross_site_refusal(request):
    origin = request.headers.get("Origin")
    if origin is None or _is_same_site(origin, request):
        return None
    return error_response(403, "Cross-site requests are not allowed")


def _is_same_site(origin: str, request) -> bool:
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    # Scheme, host and port, as Django's CSRF check compares them: a page served over http
    # is another origin than the same host over https. `request.scheme` is the client's, as
    # the proxy in front says (SECURE_PROXY_SSL_HEADER).
    return origin == f"{request.scheme}://{request.get_host()}"


def _content_type_refusal(request):
    if request.method not in UNSAFE_METHODS or not _has_body(request):
        return None
    if request.content_type == "application/json":
        return None
    return error_response(415, "Content-Type must be application/json")


def _has_body(request) -> bool:
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        return True
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > 0
    except ValueError:
        return True
