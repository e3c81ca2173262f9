from django.conf import settings

from web.pages import absolute_url


def site(request):
    """What the layout shows on every page: the site's name, the canonical address of this
    page (without its query, but for the landing list's search and page), the currency."""
    return {
        "site_name": settings.FRONTEND_SITE_NAME,
        "canonical_url": absolute_url(request, request.path),
        "currency": settings.FRONTEND_CURRENCY,
        "admin_url": "/admin/users/",
    }
