"""Limits on sign-in attempts and sign-up attempts, counted in Redis so every process shares them.

Fixed windows: the first count starts one, and it ends its window's length later. A request
over a limit is refused before any password is hashed, whether the account exists or not, so
a limit reveals nothing about accounts.

Sign-in attempts are counted three ways, so that guessing is slowed without handing an
attacker a lock on someone else's account:
- per email and client address, the low limit: a person who mistypes, or one guesser;
- per email across all addresses, a much higher ceiling: guessing spread over many addresses;
- per client address across all emails: one address trying many accounts (spraying).
The account's owner, signing in from another address, is refused only once the ceiling is
reached, and not even then from a known device (users/devices.py), whose attempts are
counted per device token instead of per email.

An attempt is counted before its password is checked, and refused if that count is over a
limit: checked first and counted after, every attempt in flight at once passed the check
(twelve parallel guesses against a limit of three were twelve guesses). What the counts hold
is thus the failures plus the attempts in flight. An attempt refused takes its counts back
(it tried nothing, and must not stretch the lock it met); a successful one takes back what it
added and forgives the failures of its own email from its own address, but never the
address's count, or one valid account would let its holder spray passwords at every other.

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


@dataclass(frozen=True)
class SigninAttempt:
    """A sign-in attempt counted against the limits; `blocked` when it may not go on."""

    blocked: bool
    retry_after: int = 0
    # On success: the counts forgiven, and those this attempt only takes its own count back from.
    forgiven: tuple[_Counter, ...] = ()
    taken_back: tuple[_Counter, ...] = ()


def signin_attempt_count(*, email: str, ip: str, known_device: str | None = None) -> SigninAttempt:
    """Counts an attempt to sign in to `email` from `ip` against every sign-in limit, in one
    MULTI, before its password is checked; refused (its counts taken back) when any count is
    then over its limit. An attempt that goes on and fails leaves its counts as they are.

    `known_device` is a device token the caller found valid for `email` (users/devices.py):
    such an attempt is counted per token instead of per email, so the email's ceiling, which
    anyone can fill, does not refuse the account's owner.
    """
    window = settings.SIGNIN_FAILURE_WINDOW_SECONDS
    email_ip = _Counter(
        name=f"throttle:signin:email-ip:{_digest(email)}:{address_for_limits(ip)}",
        limit=settings.SIGNIN_MAX_FAILURES_PER_EMAIL_AND_IP,
        window=window,
    )
    address = _Counter(
        name=f"throttle:signin:ip:{address_for_limits(ip)}",
        limit=settings.SIGNIN_MAX_FAILURES_PER_IP,
        window=window,
    )
    if known_device:
        # Forgiven on success with the email-and-address count: its own failures.
        own = (
            email_ip,
            _Counter(
                name=f"throttle:signin:device:{_digest(known_device)}",
                limit=settings.SIGNIN_MAX_FAILURES_PER_DEVICE,
                window=window,
            ),
        )
        shared = (address,)
    else:
        own = (email_ip,)
        shared = (
            _Counter(
                name=f"throttle:signin:email:{_digest(email)}",
                limit=settings.SIGNIN_MAX_FAILURES_PER_EMAIL,
                window=window,
            ),
            address,
        )
    counters = (*own, *shared)
    counts = _count(list(counters))
    waits = [
        _retry_after(ttl, counter)
        for counter, (count, ttl) in zip(counters, counts, strict=True)
        if count > counter.limit
    ]
    if waits:
        _take_back(taken_back=counters)
        return SigninAttempt(blocked=True, retry_after=max(waits))
    return SigninAttempt(blocked=False, forgiven=own, taken_back=shared)


def signin_attempt_succeeded(attempt: SigninAttempt) -> None:
    """The attempt's password was right: it forgives the failures of its email from its
    address (and of its device token), and takes back only its own count from the others."""
    _take_back(forgiven=attempt.forgiven, taken_back=attempt.taken_back)


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


def _digest(value: str) -> str:
    # Callers pass the normalized email (or a device token); the hash keeps both out of Redis.
    return hashlib.sha256(value.encode()).hexdigest()


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


# Deletes the first ARGV[1] keys; takes one off each other key still above zero (a window
# that ended since, and the count with it, is owed nothing). A script, so that no other
# process sees the keys half done and no count goes below zero.
_TAKE_BACK = """
local forgiven = tonumber(ARGV[1])
for index, key in ipairs(KEYS) do
  if index <= forgiven then
    redis.call('DEL', key)
  elseif tonumber(redis.call('GET', key) or '0') > 0 then
    redis.call('DECR', key)
  end
end
"""


def _take_back(
    *, forgiven: tuple[_Counter, ...] = (), taken_back: tuple[_Counter, ...] = ()
) -> None:
    keys = [_key(counter) for counter in (*forgiven, *taken_back)]
    _redis().eval(_TAKE_BACK, len(keys), *keys, len(forgiven))


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
