from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from ticketing_shared.registry import service_get
from web.pages import absolute_url


def site(request):
    """What the layout shows on every page: the site's name, the canonical address of this
    page (without its query), sign-in coming back here, the currency, the admin."""
    return {
        "site_name": settings.FRONTEND_SITE_NAME,
        "canonical_url": absolute_url(request, request.path),
        "signin_url": _signin_url(request),
        "currency": settings.FRONTEND_CURRENCY,
        # Staff sign in to every service's admin through auth's.
        "admin_url": service_get("auth").admin_prefix,
    }


def _signin_url(request) -> str:
    """Sign-in, then back to this page: not from the home page (where it goes anyway) nor
    from the account forms themselves."""
    signin = reverse("signin")
    if request.path == reverse("home") or request.path.startswith("/auth/"):
        return signin
    return f"{signin}?{urlencode({'next': request.get_full_path()})}"
