"""The browser's token cookies: HttpOnly, SameSite=Lax, Secure outside local development."""

from django.conf import settings


def auth_cookies_set(response, *, access: str, refresh: str | None = None) -> None:
    """Sets the access cookie, and the refresh cookie when there is a new refresh token."""
    jwt_settings = settings.SIMPLE_JWT
    _set(response, settings.ACCESS_COOKIE_NAME, access, jwt_settings["ACCESS_TOKEN_LIFETIME"])
    if refresh is not None:
        _set(
            response, settings.REFRESH_COOKIE_NAME, refresh, jwt_settings["REFRESH_TOKEN_LIFETIME"]
        )


def auth_cookies_clear(response) -> None:
    for name in (settings.ACCESS_COOKIE_NAME, settings.REFRESH_COOKIE_NAME):
        _clear(response, name)


def access_cookie_clear(response) -> None:
    """Drops the access token alone: the refresh cookie decides whether the browser is still
    signed in."""
    _clear(response, settings.ACCESS_COOKIE_NAME)


def _clear(response, name: str) -> None:
    # An expiring cookie with the very attributes it was set with: clients (curl's jar, for
    # one) keep an HttpOnly cookie that a plain deletion, without HttpOnly, tries to replace.
    _set(response, name, "", max_age=0, expires="Thu, 01 Jan 1970 00:00:00 GMT")


def _set(response, name: str, value: str, lifetime=None, **expiry) -> None:
    response.set_cookie(
        name,
        value,
        **(expiry or {"max_age": int(lifetime.total_seconds())}),
        path="/",
        secure=settings.AUTH_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
