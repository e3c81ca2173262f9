"""Sign up, sign in and sign out: forms that post to this site, which asks auth and passes its
cookies on to the browser."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from ticketing_shared.auth.cookies import auth_cookies_clear
from web import services
from web.backend import BackendRefused, BackendUnavailable
from web.forms import SignInForm, SignUpForm, form_errors_add
from web.pages import private_page, render_page


def _next_path(request) -> str:
    """Where the person was going: a path on this site only (never another site, nor a
    scheme-relative `//other.example`), else the home page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts=None, require_https=False
    ):
        return target
    return "/"


def _signed_in_response(request, cookies, message: str):
    # A new CSRF token with the new session, as Django's own login() gives: one planted
    # before signing in is worth nothing after.
    rotate_token(request)
    response = redirect(_next_path(request))
    for name, morsel in cookies.items():
        response.cookies[name] = morsel
    messages.success(request, message)
    return response


@dataclass(frozen=True)
class AccountForm:
    """Sign-up or sign-in: one form, one call to auth, then signed in."""

    form_class: type[forms.Form]
    call: Callable
    title: str
    button: str
    description: str
    success: str
    # The other form, for someone on the wrong one.
    other_prompt: str
    other_link: str
    other_url_name: str


SIGN_UP = AccountForm(
    form_class=SignUpForm,
    call=services.user_signup,
    title="Sign up",
    button="Create account",
    description="Create a Ticketing account to buy and sell tickets.",
    success="Welcome to Ticketing: your account is ready.",
    other_prompt="Already have an account?",
    other_link="Sign in",
    other_url_name="signin",
)
SIGN_IN = AccountForm(
    form_class=SignInForm,
    call=services.user_signin,
    title="Sign in",
    button="Sign in",
    description="Sign in to Ticketing to buy and sell tickets.",
    success="You are signed in.",
    other_prompt="New here?",
    other_link="Create an account",
    other_url_name="signup",
)


def _account_view(account: AccountForm):
    @require_http_methods(["GET", "HEAD", "POST"])
    @private_page
    def view(request):
        if request.user.is_authenticated and request.method != "POST":
            # Signed in already: on to where they were going.
            return redirect(_next_path(request))
        form = account.form_class(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                cookies = account.call(
                    request,
                    email=form.cleaned_data["email"].strip(),
                    password=form.cleaned_data["password"],
                )
            except BackendRefused as refused:
                form_errors_add(form, refused)
            else:
                return _signed_in_response(request, cookies, account.success)
        return render_page(
            request,
            "web/auth/account.html",
            {"form": form, "account": account, "next": _next_path(request)},
            status=400 if form.errors else 200,
        )

    return view


signup = _account_view(SIGN_UP)
signin = _account_view(SIGN_IN)


@require_http_methods(["GET", "HEAD", "POST"])
@private_page
def signout(request):
    """A GET asks (a link or a prefetch must never sign anyone out); a POST, with its CSRF
    token, signs out."""
    if request.method != "POST":
        return render_page(request, "web/auth/signout.html")
    rotate_token(request)
    response = redirect("home")
    try:
        cookies = services.user_signout(request)
    except (BackendUnavailable, BackendRefused):
        # The browser forgets its tokens all the same; the refresh token then lapses unused.
        auth_cookies_clear(response)
    else:
        for name, morsel in cookies.items():
            response.cookies[name] = morsel
    messages.success(request, "You are signed out.")
    return response
