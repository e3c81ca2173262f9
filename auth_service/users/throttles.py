"""Limits on sign-in failures and sign-up attempts, counted in Redis so every process shares them.

Fixed windows: the first count starts one, and it ends its window's length later. A request
over a limit is refused before any password is hashed, whether the account exists or not, so
a limit reveals nothing about accounts.

Sign-in failures are counted three ways, so that guessing is slowed without handing an
attacker a lock on someone else's account:
- per email and client address, the low limit: a person who mistypes, or one guesser;
- per email across all addresses, a much higher ceiling: guessing spread over many addresses;
- per client address across all emails: one address trying many accounts (spraying).
The account's owner, signing in from another address, is refused only once the ceiling is
reached. A successful sign-in forgives only its own email-and-address count: the address's
count stands, or one valid account would let its holder spray passwords at every other.

A client address is counted as one IPv4 address, or one IPv6 /64 network
(`ticketing_shared.client_address.address_for_limits`).
"""

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings
from django.core.cache import caches

from ticketing_shared.client_address import address_for_limits


@dataclass(frozen=True)
class ThrottleState:
    blocked: bool
    retry_after: int = 0


@dataclass(frozen=True)
class _Counter:
    name: str
    limit: int
    window: int


def signin_throttle_state(*, email: str, ip: str) -> ThrottleState:
    return _state(_signin_counters(email=email, ip=ip))


def signin_failure_record(*, email: str, ip: str) -> None:
    _count(_signin_counters(email=email, ip=ip))


def signin_success_record(*, email: str, ip: str) -> None:
    _redis().delete(_key(_signin_email_ip_counter(email=email, ip=ip)))


def signup_attempt_record(*, ip: str) -> ThrottleState:
    """Counts a sign-up attempt from `ip`; blocked once the address is over its limit."""
    counter = _Counter(
        name=f"throttle:signup:ip:{address_for_limits(ip)}",
        limit=settings.SIGNUP_MAX_ATTEMPTS_PER_IP,
        window=settings.SIGNUP_WINDOW_SECONDS,
    )
    [(count, ttl)] = _count([counter])
    if count > counter.limit:
        return ThrottleState(blocked=True, retry_after=_retry_after(ttl, counter))
    return ThrottleState(blocked=False)


def _signin_counters(*, email: str, ip: str) -> list[_Counter]:
    window = settings.SIGNIN_FAILURE_WINDOW_SECONDS
    return [
        _signin_email_ip_counter(email=email, ip=ip),
        _Counter(
            name=f"throttle:signin:email:{_digest(email)}",
            limit=settings.SIGNIN_MAX_FAILURES_PER_EMAIL,
            window=window,
        ),
        _Counter(
            name=f"throttle:signin:ip:{address_for_limits(ip)}",
            limit=settings.SIGNIN_MAX_FAILURES_PER_IP,
            window=window,
        ),
    ]


def _signin_email_ip_counter(*, email: str, ip: str) -> _Counter:
    return _Counter(
        name=f"throttle:signin:email-ip:{_digest(email)}:{address_for_limits(ip)}",
        limit=settings.SIGNIN_MAX_FAILURES_PER_EMAIL_AND_IP,
        window=settings.SIGNIN_FAILURE_WINDOW_SECONDS,
    )


def _digest(email: str) -> str:
    # Callers pass the normalized email; the hash keeps addresses out of Redis.
    return hashlib.sha256(email.encode()).hexdigest()


def _state(counters: list[_Counter]) -> ThrottleState:
    pipeline = _redis().pipeline(transaction=False)
    for counter in counters:
        pipeline.get(_key(counter))
        pipeline.ttl(_key(counter))
    replies = pipeline.execute()
    waits = [
        _retry_after(ttl, counter)
        for counter, count, ttl in zip(counters, replies[::2], replies[1::2], strict=True)
        if int(count or 0) >= counter.limit
    ]
    if waits:
        return ThrottleState(blocked=True, retry_after=max(waits))
    return ThrottleState(blocked=False)


def _count(counters: list[_Counter]) -> list[tuple[int, int]]:
    """Adds one to each counter, starting its window if none runs; (count, seconds left)."""
    # One MULTI: the window starts with the first count and is never extended by later ones,
    # and no process loses a count.
    pipeline = _redis().pipeline(transaction=True)
    for counter in counters:
        pipeline.set(_key(counter), 0, ex=counter.window, nx=True)
        pipeline.incr(_key(counter))
        pipeline.ttl(_key(counter))
    replies = pipeline.execute()
    return [(int(count), int(ttl)) for count, ttl in zip(replies[1::3], replies[2::3], strict=True)]


def _retry_after(ttl: int, counter: _Counter) -> int:
    # Redis answers -1 or -2 for a key without a timeout or already gone.
    return ttl if ttl > 0 else counter.window


def _key(counter: _Counter) -> str:
    # The cache's own key prefix, so a test's or a second runner's counters stay apart.
    return caches["default"].make_key(counter.name)


def _redis() -> redis.Redis:
    # Django's cache API has neither an increment that starts a window atomically nor a
    # key's remaining time, which Retry-After reports: the counters talk to the cache's
    # Redis server directly.
    location = settings.CACHES["default"]["LOCATION"]
    servers = location if isinstance(location, list | tuple) else re.split("[;,]", location)
    return _redis_for(servers[0])  # the server Django's cache writes to


@lru_cache(maxsize=8)
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)
