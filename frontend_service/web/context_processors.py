from django.conf import settings

from ticketing_shared.registry import service_get
from web.pages import absolute_url


def site(request):
    """What the layout shows on every page: the site's name, the canonical address of this
    page (without its query, but for the landing list's search and page), the currency."""
    return {
        "site_name": settings.FRONTEND_SITE_NAME,
        "canonical_url": absolute_url(request, request.path),
        "currency": settings.FRONTEND_CURRENCY,
        # Staff sign in to every service's admin through auth's.
        "admin_url": service_get("auth").admin_prefix,
    }
