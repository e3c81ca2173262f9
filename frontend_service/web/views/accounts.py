"""Sign up, sign in and sign out: forms that post to this site, which asks auth and passes its
cookies on to the browser."""

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


def _account_page(request, *, form_class, call, template: str, success: str):
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                cookies = call(
                    request,
                    email=form.cleaned_data["email"].strip(),
                    password=form.cleaned_data["password"],
                )
            except BackendRefused as refused:
                form_errors_add(form, refused)
            else:
                return _signed_in_response(request, cookies, success)
    else:
        form = form_class()
    status = 400 if form.errors else 200
    return render_page(
        request, template, {"form": form, "next": _next_path(request)}, status=status
    )


@require_http_methods(["GET", "HEAD", "POST"])
@private_page
def signup(request):
    return _account_page(
        request,
        form_class=SignUpForm,
        call=services.user_signup,
        template="web/auth/signup.html",
        success="Welcome to Ticketing: your account is ready.",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@private_page
def signin(request):
    return _account_page(
        request,
        form_class=SignInForm,
        call=services.user_signin,
        template="web/auth/signin.html",
        success="You are signed in.",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@private_page
def signout(request):
    """A GET asks (a link or a prefetch must never sign anyone out); a POST, with its CSRF
    token, signs out."""
    if request.method != "POST":
        return render_page(request, "web/auth/signout.html")
    rotate_token(request)
    response = redirect("/")
    try:
        cookies = services.user_signout(request)
    except BackendUnavailable:
        # The browser forgets its tokens all the same; the refresh token then lapses unused.
        auth_cookies_clear(response)
    else:
        for name, morsel in cookies.items():
            response.cookies[name] = morsel
    messages.success(request, "You are signed out.")
    return response
