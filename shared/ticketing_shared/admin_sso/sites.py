from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.views.decorators.http import require_POST

from ticketing_shared.auth.cookies import auth_cookies_clear


class TicketingAdminSite(admin.AdminSite):
    """Signs people in and out through the ticketing account instead of a local password."""

    @property
    def site_header(self):
        return f"Ticketing {settings.TICKETING_SERVICE} administration"

    @property
    def site_title(self):
        return f"Ticketing {settings.TICKETING_SERVICE}"

    def login(self, request, extra_context=None):
        next_path = request.GET.get("next") or request.path
        return HttpResponseRedirect(
            f"{settings.TICKETING_SIGNIN_URL}?{urlencode({'next': next_path})}"
        )

    def logout(self, request, extra_context=None):
        return _sign_out(request)


@require_POST
def _sign_out(request):
    response = HttpResponseRedirect(settings.TICKETING_SIGNIN_URL)
    auth_cookies_clear(response)
    return response
