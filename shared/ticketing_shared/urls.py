"""The routes every service has around its own API."""

import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from ticketing_shared import health
from ticketing_shared.errors.views import route_not_found

handler400 = "ticketing_shared.errors.views.bad_request"
handler403 = "ticketing_shared.errors.views.permission_denied"
handler404 = "ticketing_shared.errors.views.page_not_found"
handler500 = "ticketing_shared.errors.views.server_error"


class SchemaView(SpectacularAPIView):
    """The schema of an unversioned API. drf-spectacular reads a `?version=` query as the API's
    version and echoes it into the schema and into a response header, where a line break or a
    NUL is a 500; here it names nothing."""

    def _get_version_parameter(self, request):
        return None


def service_urlpatterns(api_urls: str) -> list:
    """Health probes, the API under its prefix with its OpenAPI docs, the admin, and a
    catch-all that answers anything else under the API prefix with the 404 error format.

    The bare prefix (`/api/users`) is one of those: routed here, it is no longer a path that
    Django's APPEND_SLASH redirects (an HTML 301, and a 500 for a POST in DEBUG). A service
    whose collection lives there (`/api/tickets`) routes it in its own urls before these.
    The bare admin prefix (`/admin/users`) keeps its redirect to the slash, routed here for
    every method: APPEND_SLASH would raise for a POST, PUT, PATCH or DELETE in DEBUG.
    """
    api = settings.TICKETING_API_PREFIX
    admin_prefix = settings.TICKETING_ADMIN_PREFIX
    return [
        path("healthz", health.healthz, name="healthz"),
        path("readyz", health.readyz, name="readyz"),
        path(f"{api}schema", SchemaView.as_view(), name="openapi-schema"),
        path(f"{api}docs", SpectacularSwaggerView.as_view(url_name="openapi-schema"), name="docs"),
        path(api, include(api_urls)),
        path(admin_prefix, admin.site.urls),
        path(
            admin_prefix.rstrip("/"),
            RedirectView.as_view(url=f"/{admin_prefix}", permanent=True, query_string=True),
        ),
        re_path(rf"^{re.escape(api)}", route_not_found),
        re_path(rf"^{re.escape(api.rstrip('/'))}$", route_not_found),
    ]
