"""Writes: each one API call made for the signed-in user (or, for sign-in and sign-up, for the
browser), returning what the page goes on with. A refusal is `BackendRefused`, whose messages
and fields the form shows."""

import re
from http.cookies import SimpleCookie

from django.conf import settings

from web.backend import BackendRefused, BackendUnavailable, backend_call
from web.records import Order, Ticket

# The cookies auth sets that the browser must get: the token pair, and the device cookie that
# lets a known device past the sign-in limits of its email.
RELAYED_COOKIES = (
    settings.ACCESS_COOKIE_NAME,
    settings.REFRESH_COOKIE_NAME,
    settings.SIGNIN_DEVICE_COOKIE_NAME,
)


def _relayed_cookies(response) -> SimpleCookie:
    """The cookies auth's answer sets, with the attributes auth gave them."""
    answered = SimpleCookie()
    for header in response.header_values("Set-Cookie"):
        answered.load(header)
    relayed = SimpleCookie()
    for name in RELAYED_COOKIES:
        if name in answered:
            relayed[name] = answered[name]
    return relayed


# What a token or a signed value of auth's can hold; anything else (a byte outside ASCII, a
# `;` that would add a cookie of its own) is no cookie auth gave, and is not passed on.
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9._~+/=:-]{1,4096}")


def _browser_cookies(request, names=RELAYED_COOKIES) -> dict[str, str]:
    return {
        name: request.COOKIES[name]
        for name in names
        if _COOKIE_VALUE.fullmatch(request.COOKIES.get(name, ""))
    }


def user_signup(request, *, email: str, password: str) -> SimpleCookie:
    """A new account, signed in: the cookies to set."""
    return _session_start(request, "/api/users/signup", email=email, password=password)


def user_signin(request, *, email: str, password: str) -> SimpleCookie:
    return _session_start(request, "/api/users/signin", email=email, password=password)


def _session_start(request, path: str, *, email: str, password: str) -> SimpleCookie:
    response = backend_call(
        request,
        "auth",
        "POST",
        path,
        json={"email": email, "password": password},
        cookies=_browser_cookies(request),
        authenticated=False,
    )
    return _relayed_cookies(response)


def user_signout(request) -> SimpleCookie:
    """Ends the refresh token's session at auth: the cookies that clear the browser's."""
    response = backend_call(
        request,
        "auth",
        "POST",
        "/api/users/signout",
        cookies=_browser_cookies(request),
        authenticated=False,
    )
    return _relayed_cookies(response)


def session_refresh(request) -> SimpleCookie | None:
    """New tokens from the browser's refresh cookie; None when it opens nothing (expired,
    signed out, a deactivated user)."""
    refresh_cookie = _browser_cookies(request, names=(settings.REFRESH_COOKIE_NAME,))
    if not refresh_cookie:
        return None
    try:
        response = backend_call(
            request,
            "auth",
            "POST",
            "/api/users/refresh",
            cookies=refresh_cookie,
            authenticated=False,
        )
    except BackendRefused as refused:
        if refused.status == 401:
            return None
        # Anything else (a limit reached) says nothing of the cookie: kept for the next page.
        raise BackendUnavailable("auth", f"refresh answered {refused.status}") from None
    return _relayed_cookies(response)


def ticket_create(request, *, title: str, price: str) -> Ticket:
    response = backend_call(
        request, "tickets", "POST", "/api/tickets", json={"title": title, "price": price}
    )
    return response.record(Ticket.from_api)


def ticket_update(request, *, ticket_id: str, title: str, price: str) -> Ticket:
    response = backend_call(
        request,
        "tickets",
        "PUT",
        f"/api/tickets/{ticket_id}",
        json={"title": title, "price": price},
    )
    return response.record(Ticket.from_api)


def order_create(request, *, ticket_id: str) -> Order:
    response = backend_call(request, "orders", "POST", "/api/orders", json={"ticketId": ticket_id})
    return response.record(Order.from_api)


def order_cancel(request, *, order_id: str) -> None:
    backend_call(request, "orders", "DELETE", f"/api/orders/{order_id}")


def payment_create(request, *, order_id: str, token: str) -> None:
    backend_call(
        request, "payments", "POST", "/api/payments", json={"orderId": order_id, "token": token}
    )
