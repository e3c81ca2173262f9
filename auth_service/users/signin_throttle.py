"""Counts failed sign-ins per email and per client address in the shared cache (Redis).

Fixed windows: the first failure starts one, and it ends `SIGNIN_FAILURE_WINDOW_SECONDS` later.
A sign-in to an email or from an address over its limit is refused before the password is
even checked, whether the account exists or not, so the limit reveals nothing about accounts.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class ThrottleState:
    blocked: bool
    retry_after: int = 0


def client_ip(request) -> str:
    """The caller's address, trusting as many `X-Forwarded-For` hops as there are proxies."""
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part
    ]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def signin_throttle_state(*, email: str, ip: str) -> ThrottleState:
    for key, limit in _counters(email=email, ip=ip):
        if (cache.get(key) or 0) >= limit:
            # The window's exact end is not tracked; its length is a safe upper bound.
            return ThrottleState(blocked=True, retry_after=settings.SIGNIN_FAILURE_WINDOW_SECONDS)
    return ThrottleState(blocked=False)


def signin_failure_record(*, email: str, ip: str) -> None:
    window = settings.SIGNIN_FAILURE_WINDOW_SECONDS
    for key, _limit in _counters(email=email, ip=ip):
        # `add` only starts a window; `incr` is atomic in Redis, so processes never lose counts.
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # the window ended between the two calls
            cache.add(key, 1, timeout=window)


def signin_failures_clear(*, email: str) -> None:
    cache.delete(_email_key(email))


def _counters(*, email: str, ip: str) -> list[tuple[str, int]]:
    return [
        (_email_key(email), settings.SIGNIN_MAX_FAILURES_PER_EMAIL),
        (f"signin-failures:ip:{ip}", settings.SIGNIN_MAX_FAILURES_PER_IP),
    ]


def _email_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"signin-failures:email:{digest}"
