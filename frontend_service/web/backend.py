"""The one HTTP client the pages reach the other services' APIs through.

One pooled `httpx.Client` per process (keep-alive connections to each service, a connect and a
read timeout on every call). A call carries the signed-in user's access token, the request id
(so a page's log lines and the APIs' share it) and the browser's address (so auth counts sign-in
attempts per person, not per frontend process).

What can go wrong, as the pages need to tell it:
- `BackendUnavailable`: the service could not be reached, timed out or failed (5xx). The page
  says that part of the site is unavailable (503), and the rest keeps working.
- `BackendRefused`: a 4xx in the contract's error format; its messages and fields go to the form.
"""

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx
from django.conf import settings

from ticketing_shared.client_address import client_ip
from ticketing_shared.logging import REQUEST_ID_HEADER

logger = logging.getLogger(__name__)

# What each backend is called where a page says it is unavailable.
SERVICE_TITLES = {
    "auth": "Accounts",
    "tickets": "Tickets",
    "orders": "Orders",
    "payments": "Payments",
}


class BackendUnavailable(Exception):
    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason

    @property
    def title(self) -> str:
        return SERVICE_TITLES.get(self.service, self.service.title())


@dataclass(frozen=True)
class ApiError:
    message: str
    field: str | None = None


@dataclass
class BackendRefused(Exception):
    """A 4xx answer: what the API said was wrong, in the contract's error format."""

    status: int
    errors: list[ApiError] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status}: " + "; ".join(error.message for error in self.errors)

    @property
    def messages(self) -> list[str]:
        return [error.message for error in self.errors]


_client: httpx.Client | None = None
_client_pid: int | None = None
_client_lock = threading.Lock()


def backend_client() -> httpx.Client:
    """This process's client, made at first use: a gunicorn worker forked from a parent that
    had one must not share the parent's sockets."""
    global _client, _client_pid
    if _client is None or _client_pid != os.getpid():
        with _client_lock:
            if _client is None or _client_pid != os.getpid():
                _client = httpx.Client(
                    timeout=httpx.Timeout(
                        settings.FRONTEND_BACKEND_TIMEOUT,
                        connect=settings.FRONTEND_BACKEND_CONNECT_TIMEOUT,
                    ),
                    limits=httpx.Limits(
                        max_connections=settings.FRONTEND_BACKEND_POOL_SIZE,
                        max_keepalive_connections=settings.FRONTEND_BACKEND_POOL_SIZE,
                    ),
                    headers={"Accept": "application/json"},
                    follow_redirects=False,
                    # Keeps no cookie an answer sets: the client serves every user of the
                    # process, and one person's (auth's tokens, its device cookie) would go
                    # out with the next person's calls that carry none of their own.
                    cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
                )
                _client_pid = os.getpid()
    return _client


class SlowBackends:
    """Backends this process stops calling for a while after timeouts in a row (a circuit
    breaker): a page that needs a backend that has stopped answering says so at once, rather
    than holding one of the process's few threads for the whole timeout, so one slow service
    cannot take every thread, and with them the pages that never call it and the probes.
    After the pause, calls go through again; the first answer closes the circuit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._timeouts: dict[str, int] = {}
        self._paused_until: dict[str, float] = {}

    def is_paused(self, service: str) -> bool:
        return self._paused_until.get(service, 0.0) > time.monotonic()

    def timed_out(self, service: str) -> None:
        with self._lock:
            count = self._timeouts.get(service, 0) + 1
            self._timeouts[service] = count
            if count >= settings.FRONTEND_BACKEND_TIMEOUTS_BEFORE_PAUSE:
                pause = settings.FRONTEND_BACKEND_PAUSE_SECONDS
                self._paused_until[service] = time.monotonic() + pause
                logger.warning(
                    "backend paused",
                    extra={"backend": service, "timeouts": count, "pause_seconds": pause},
                )

    def answered(self, service: str) -> None:
        if self._timeouts.get(service):
            with self._lock:
                self._timeouts[service] = 0
                self._paused_until.pop(service, None)


slow_backends = SlowBackends()


def backend_call(
    request,
    service: str,
    method: str,
    path: str,
    *,
    json=None,
    params=None,
    cookies: dict[str, str] | None = None,
    authenticated: bool = True,
) -> httpx.Response:
    """The service's answer to one API call made for `request`: a 2xx response, or
    BackendRefused for a 4xx, or BackendUnavailable for anything else.

    A read waits FRONTEND_BACKEND_TIMEOUT for its answer, and its timeouts count towards
    pausing the backend. A write waits FRONTEND_BACKEND_WRITE_TIMEOUT: it may do slow work on
    purpose (a password hashed, a card charged), and giving up on it early would tell the
    person it failed when it did not; nor does a slow write pause the reads of everyone."""
    is_read = method in ("GET", "HEAD")
    base_url = settings.FRONTEND_BACKEND_URLS[service]
    headers = {}
    request_id = getattr(request, "request_id", None)
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    address = client_ip(request)
    if address:
        headers["X-Forwarded-For"] = address
    access_token = getattr(request, "access_token", None)
    if authenticated and access_token:
        headers["Authorization"] = f"Bearer {access_token}"
    if cookies:
        # Only the cookies this call is about: httpx would keep them in the shared client.
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    if slow_backends.is_paused(service):
        raise BackendUnavailable(service, "paused after timeouts")
    read_timeout = (
        settings.FRONTEND_BACKEND_TIMEOUT if is_read else settings.FRONTEND_BACKEND_WRITE_TIMEOUT
    )
    try:
        response = backend_client().request(
            method,
            f"{base_url}{path}",
            json=json,
            params=params,
            headers=headers,
            timeout=httpx.Timeout(read_timeout, connect=settings.FRONTEND_BACKEND_CONNECT_TIMEOUT),
        )
    except httpx.TimeoutException as exc:
        if is_read:
            slow_backends.timed_out(service)
        raise _unavailable(service, method, path, "timed out", exc) from exc
    except httpx.HTTPError as exc:
        raise _unavailable(service, method, path, "unreachable", exc) from exc
    slow_backends.answered(service)
    if 400 <= response.status_code < 500:
        raise BackendRefused(response.status_code, _errors(response))
    if not 200 <= response.status_code < 300:
        # A 5xx, or a redirect no API of the contract answers (a proxy's), never followed.
        raise _unavailable(service, method, path, f"answered {response.status_code}", None)
    if response.content:
        try:
            response.json()
        except ValueError:
            # Not the API's answer (a proxy's page served with a 200): as good as none.
            raise _unavailable(service, method, path, "answered no JSON", None) from None
    return response


def _unavailable(service, method, path, reason, exc) -> BackendUnavailable:
    logger.warning(
        "backend unavailable",
        extra={
            "backend": service,
            "method": method,
            "backend_path": path,
            "reason": reason,
            "error": f"{type(exc).__name__}: {exc}" if exc else None,
        },
    )
    return BackendUnavailable(service, reason)


def _errors(response: httpx.Response) -> list[ApiError]:
    """The error format's entries; an answer not in it (a proxy's page) is one message."""
    try:
        entries = response.json()["errors"]
        errors = [
            ApiError(
                message=str(entry["message"]),
                field=entry.get("field") if isinstance(entry.get("field"), str) else None,
            )
            for entry in entries
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        errors = []
    return errors or [ApiError(message=response.reason_phrase or "Request refused")]
