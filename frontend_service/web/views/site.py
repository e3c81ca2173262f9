"""What search engines and probes read: robots.txt, the sitemap, health."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from ticketing_shared.health import probe
from web import selectors
from web.pages import absolute_url

# Crawlers keep to the public pages: forms and a person's own pages are no search result.
PRIVATE_PATHS = ("/auth/", "/orders", "/tickets/new", "/tickets/mine", "/admin/", "/api/")


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in PRIVATE_PATHS)]
    lines.append(f"Sitemap: {absolute_url(request, '/sitemap.xml')}")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=3600)
    return response


@require_safe
def sitemap_xml(request):
    """The home page and every ticket on sale (up to FRONTEND_SITEMAP_MAX_TICKETS), a page of
    the API's list at a time."""
    urls = [absolute_url(request, "/")]
    cursor = ""
    limit = 200
    while len(urls) <= settings.FRONTEND_SITEMAP_MAX_TICKETS:
        page = selectors.ticket_list_available(request, cursor=cursor, limit=limit)
        urls.extend(absolute_url(request, f"/tickets/{ticket.id}") for ticket in page.tickets)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    urls = urls[: settings.FRONTEND_SITEMAP_MAX_TICKETS + 1]
    body = render_to_string("web/sitemap.xml", {"urls": urls})
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    patch_cache_control(response, public=True, max_age=settings.FRONTEND_PUBLIC_MAX_AGE)
    return response


@probe
def readyz(request):
    """Ready when it can verify tokens: it keeps no database, and a backend that is down is
    a page's message, not a reason to take the frontend out of service."""
    ready = bool(settings.JWT_PUBLIC_KEY)
    return JsonResponse(
        {
            "status": "ok" if ready else "unavailable",
            "checks": {"public_key": "ok" if ready else "missing"},
        },
        status=200 if ready else 503,
    )
