"""Signing in to and out of the admin of every service, with the ticketing account.

The form sets the same token cookies as the API, so a staff member who signs in here is
signed in to every service's admin (they all read the cookie).
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import UsernameField
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from ticketing_shared.auth.cookies import auth_cookies_clear, auth_cookies_set
from ticketing_shared.client_address import client_ip
from ticketing_shared.errors.exceptions import ApplicationError, TooManyAttempts
from users.devices import known_device_cookie_set
from users.services import session_end, user_sign_in


class EmailAsTypedField(UsernameField):
    """The email exactly as typed, for `user_sign_in` to judge by the one email rule.

    Django's username field folds the input with NFKC first, which turned look-alikes the
    rule refuses (the long s U+017F, a full-width s or @, the ff ligature U+FB00) into the
    staff member's own address, and signed them in.
    """

    def to_python(self, value):
        return forms.CharField.to_python(self, value)


class AdminSignInForm(AdminAuthenticationForm):
    username = EmailAsTypedField(widget=forms.TextInput(attrs={"autofocus": True}))

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            try:
                self.user_cache, self.tokens = user_sign_in(
                    email=email,
                    password=password,
                    ip=client_ip(self.request),
                    device_token=self.request.COOKIES.get(settings.SIGNIN_DEVICE_COOKIE_NAME),
                    staff_only=True,
                )
            except TooManyAttempts as error:
                raise ValidationError(error.message, code="throttled") from error
            except ApplicationError as error:
                if error.field == "email":  # refused by the email rule, as the API does
                    raise ValidationError({"username": error.message}) from error
                raise self.get_invalid_login_error() from error
        return self.cleaned_data


class AdminSignInView(LoginView):
    form_class = AdminSignInForm
    template_name = "admin/login.html"
    redirect_authenticated_user = False

    def get(self, request, *args, **kwargs):
        if admin.site.has_permission(request):
            return HttpResponseRedirect(self.get_success_url())
        return super().get(request, *args, **kwargs)

    def get_default_redirect_url(self):
        return reverse("admin:index")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            **admin.site.each_context(self.request),
            "title": "Sign in",
            "subtitle": None,
            "app_path": self.request.get_full_path(),
            "username": self.request.user.get_username(),
        }

    def form_valid(self, form):
        response = HttpResponseRedirect(self.get_success_url())
        auth_cookies_set(response, access=form.tokens.access, refresh=form.tokens.refresh)
        known_device_cookie_set(response, email=form.get_user().email)
        return response


@require_POST
def admin_sign_out(request):
    session_end(refresh=request.COOKIES.get(settings.REFRESH_COOKIE_NAME))
    response = HttpResponseRedirect(reverse("admin-sign-in"))
    auth_cookies_clear(response)
    return response
