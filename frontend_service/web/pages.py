"""What every page view shares: who may see it, how it may be cached, how it is rendered."""

import functools
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import DisallowedHost
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers


def signin_redirect(request, *, next_path: str | None = None):
    """To sign-in, then back to `next_path`: by default the page asked for, or for a form
    (a POST, whose address answers nothing to a GET) the page it was sent from."""
    target = next_path or (
        request.get_full_path() if request.method in ("GET", "HEAD") else _form_page(request)
    )
    return redirect(f"{reverse('signin')}?{urlencode({'next': target})}")


def _form_page(request) -> str:
    referer = urlsplit(request.headers.get("Referer", ""))
    same_site = referer.netloc == request.get_host() if referer.netloc else False
    return referer.path if same_site and referer.path.startswith("/") else "/"


def signin_required(view):
    """Pages of a signed-in user: others go to sign-in, then come back here."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return signin_redirect(request)
        return view(request, *args, **kwargs)

    return wrapped


def private_page(view):
    """Never stored by a browser's or a proxy's cache: it is one person's."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapped


def public_page(view):
    """The same for everyone signed out: cacheable for a short while (with an ETag from
    ConditionalGetMiddleware). Signed in, the header is the person's own, so it is private."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if "Cache-Control" in response:
            return response
        patch_vary_headers(response, ["Cookie"])
        # Signed in, the header is the person's; with a flash message, the page is.
        shows_messages = bool(request.COOKIES.get(CookieStorage.cookie_name))
        if request.user.is_authenticated or shows_messages or response.status_code != 200:
            patch_cache_control(response, private=True, no_cache=True)
        else:
            patch_cache_control(response, public=True, max_age=settings.FRONTEND_PUBLIC_MAX_AGE)
        return response

    return wrapped


def render_page(request, template: str, context: dict | None = None, *, status: int = 200):
    return TemplateResponse(request, template, context or {}, status=status)


def absolute_url(request, path: str) -> str:
    """`path` on this site, absolute: from FRONTEND_BASE_URL (required in production, so that
    no Host header a client sends ends up in a cached page), else the request's own host; a
    host Django does not allow (its error page is being rendered) gives the path alone."""
    if settings.FRONTEND_BASE_URL:
        return f"{settings.FRONTEND_BASE_URL}{path}"
    try:
        return f"{request.scheme}://{request.get_host()}{path}"
    except DisallowedHost:
        return path
