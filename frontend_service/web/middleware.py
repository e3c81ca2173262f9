"""Who is signed in, and the answers every page gives alike."""

import time

from django.conf import settings

from ticketing_shared.auth.authentication import token_user_from_raw
from ticketing_shared.auth.cookies import access_cookie_clear, auth_cookies_clear
from web.backend import BackendRefused, BackendUnavailable
from web.pages import signin_redirect
from web.services import session_refresh
from web.views import errors


class Anonymous:
    """Nobody signed in (Django's AnonymousUser lives in an app the frontend does not install)."""

    id = None
    email = ""
    is_authenticated = False
    is_staff = False


ANONYMOUS = Anonymous()


class CurrentUserMiddleware:
    """`request.user` from the access cookie, verified locally with the public key, and
    `request.access_token`, which the backend calls carry.

    An access cookie that is missing, expired or about to expire (within
    FRONTEND_ACCESS_RENEW_AHEAD_SECONDS: it must outlast the request's own API calls) beside a
    refresh cookie is renewed at auth before the view runs (one call), and the new cookies go
    out with the response. A refresh cookie that opens nothing is cleared. When auth cannot be
    reached, the request goes on with the access token it has (or signed out), and the cookies
    are left for the next one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        access_token = request.COOKIES.get(settings.ACCESS_COOKIE_NAME)
        user = token_user_from_raw(access_token)
        renewed = None
        refused = False
        if _needs_renewal(user) and request.COOKIES.get(settings.REFRESH_COOKIE_NAME):
            try:
                renewed = session_refresh(request)
            except BackendUnavailable:
                renewed = None
            else:
                refused = renewed is None
            if renewed and settings.ACCESS_COOKIE_NAME in renewed:
                access_token = renewed[settings.ACCESS_COOKIE_NAME].value
                user = token_user_from_raw(access_token)
            elif refused:
                user = None
        request.user = user or ANONYMOUS
        request.access_token = access_token if user is not None else None
        if user is not None:
            request.authenticated_user_id = user.id
        response = self.get_response(request)
        # A view that set the cookies itself (sign-in, sign-out) has the last word.
        if renewed:
            for name, morsel in renewed.items():
                if name not in response.cookies:
                    response.cookies[name] = morsel
        elif refused and settings.REFRESH_COOKIE_NAME not in response.cookies:
            auth_cookies_clear(response)
        if renewed or refused:
            response.headers["Cache-Control"] = "private, no-store"
        return response


def _needs_renewal(user) -> bool:
    if user is None:
        return True
    expires_at = user.token.get("exp")
    if not isinstance(expires_at, int | float):
        return False
    return expires_at - time.time() < settings.FRONTEND_ACCESS_RENEW_AHEAD_SECONDS


class ContentSecurityPolicyMiddleware:
    """Scripts, styles and everything else from this origin only; a page that embeds Stripe
    Elements adds Stripe's origins (`request.csp_allows_stripe`)."""

    # What Stripe.js needs (Stripe's CSP guide): its script and frames, its API.
    STRIPE_SCRIPT = "https://js.stripe.com"
    STRIPE_FRAMES = "https://js.stripe.com https://hooks.stripe.com"
    STRIPE_CONNECT = "https://api.stripe.com"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        stripe = getattr(request, "csp_allows_stripe", False)
        script_src = "'self'" + (f" {self.STRIPE_SCRIPT}" if stripe else "")
        frame_src = self.STRIPE_FRAMES if stripe else "'none'"
        connect_src = "'self'" + (f" {self.STRIPE_CONNECT}" if stripe else "")
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src {script_src}; style-src 'self'; "
            f"img-src 'self' data:; connect-src {connect_src}; frame-src {frame_src}; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        return response


class ErrorPagesMiddleware:
    """Pages for what went wrong below the views. A backend that cannot answer makes a 503
    page saying which part of the site is unavailable (the header and the rest of the site
    still work); a backend that no longer takes the user's token (deactivated, signed out
    elsewhere) sends them to sign in; Django's bare 405 becomes a page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            return errors.method_not_allowed(request, response)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, BackendUnavailable):
            return errors.backend_unavailable(request, exception)
        if isinstance(exception, BackendRefused):
            if exception.status == 401:
                # The API no longer takes this access token (the user was deactivated, or the
                # clocks disagree): it is dropped, and the refresh cookie decides at the next
                # request whether the user is still signed in.
                response = signin_redirect(request)
                access_cookie_clear(response)
                return response
            # A refusal no view expected: the API's own words, never a 500.
            return errors.backend_refused(request, exception)
        return None
