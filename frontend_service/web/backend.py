"""The one HTTP client the pages reach the other services' APIs through.

One pooled client per process, urllib3's `PoolManager`: keep-alive connections to each service,
a connect and a read timeout on every call, no cookie kept, no redirect followed, no retry
(about two thirds of the CPU a call that httpx, which it replaced, took: bench/README.md). A call
carries the signed-in user's access token, the request id (so a page's log lines and the APIs'
share it) and the browser's address (so auth counts sign-in attempts per person, not per
frontend process).

What can go wrong, as the pages need to tell it:
- `BackendUnavailable`: the service could not be reached, timed out or failed (5xx). The page
  says that part of the site is unavailable (503), and the rest keeps working.
- `BackendRefused`: a 4xx in the contract's error format; its messages and fields go to the form.
A 2xx is a `BackendAnswer`: its status, headers and JSON.
"""

import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as CallTimedOut

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


# One `<url>; rel="name"` of a Link header (RFC 8288), as the tickets API writes its pages'.
_LINK = re.compile(r'<([^>]*)>\s*;[^,]*?\brel="?([^",;]+)"?')


# What reading an answer of another shape than the contract's raises (a field missing, `null`
# or a list for an object, a price or a time that is none).
SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, ArithmeticError)


@dataclass(frozen=True)
class BackendAnswer:
    """A backend's 2xx answer to `method path`."""

    service: str
    method: str
    path: str
    status: int
    headers: urllib3.HTTPHeaderDict
    # The JSON body, parsed once; None when the body is empty.
    data: object

    def record(self, build):
        """The JSON object as a record, `build(object)`. An answer of another shape than the
        contract's is the backend's failure, as a 5xx is: the page says it is unavailable."""
        try:
            return build(self.data)
        except SHAPE_ERRORS as exc:
            raise self._misshapen(exc) from exc

    def records(self, build):
        """The JSON list as records, `build(item)` for each."""
        try:
            return [build(item) for item in self.data]
        except SHAPE_ERRORS as exc:
            raise self._misshapen(exc) from exc

    def _misshapen(self, exc) -> "BackendUnavailable":
        return _unavailable(self.service, self.method, self.path, "answered another shape", exc)

    def header_values(self, name: str) -> list[str]:
        """Every value of a header that may come more than once (`Set-Cookie`)."""
        return self.headers.getlist(name)

    @property
    def links(self) -> dict[str, str]:
        """The `Link` header's addresses by relation (`{"next": url}`)."""
        return {rel: url for url, rel in _LINK.findall(self.headers.get("Link", ""))}


_client: urllib3.PoolManager | None = None
_client_pid: int | None = None
_client_lock = threading.Lock()


def backend_client() -> urllib3.PoolManager:
    """This process's client, made at first use: a gunicorn worker forked from a parent that
    had one must not share the parent's sockets."""
    global _client, _client_pid
    if _client is None or _client_pid != os.getpid():
        with _client_lock:
            if _client is None or _client_pid != os.getpid():
                # A pool of kept-alive connections per backend. Not blocking: a thread finding
                # every connection busy opens one more, used once. No retries: no call is sent
                # twice, and a redirect comes back as it is, never followed. urllib3 keeps no
                # cookie an answer sets, so no person's tokens go out with another's calls.
                _client = urllib3.PoolManager(
                    maxsize=settings.FRONTEND_BACKEND_POOL_SIZE, block=False, retries=False
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
) -> BackendAnswer:
    """The service's answer to one API call made for `request`: a 2xx answer, or
    BackendRefused for a 4xx, or BackendUnavailable for anything else.

    A read waits FRONTEND_BACKEND_TIMEOUT for its answer, and its timeouts count towards
    pausing the backend. A write waits FRONTEND_BACKEND_WRITE_TIMEOUT: it may do slow work on
    purpose (a password hashed, a card charged), and giving up on it early would tell the
    person it failed when it did not; nor does a slow write pause the reads of everyone."""
    is_read = method in ("GET", "HEAD")
    url = f"{settings.FRONTEND_BACKEND_URLS[service]}{path}"
    if params:
        url = f"{url}?{urlencode(params)}"
    headers = {"Accept": "application/json"}
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
        # Only the cookies this call is about, in this call's headers alone.
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    if slow_backends.is_paused(service):
        raise BackendUnavailable(service, "paused after timeouts")
    read_timeout = (
        settings.FRONTEND_BACKEND_TIMEOUT if is_read else settings.FRONTEND_BACKEND_WRITE_TIMEOUT
    )
    try:
        response = backend_client().request(
            method,
            url,
            json=json,
            headers=headers,
            timeout=urllib3.Timeout(
                connect=settings.FRONTEND_BACKEND_CONNECT_TIMEOUT, read=read_timeout
            ),
        )
    except NewConnectionError as exc:
        # Refused or unresolved at once (urllib3 counts it a kind of connect timeout): it held
        # no thread, so it pauses nothing.
        raise _unavailable(service, method, path, "unreachable", exc) from exc
    except CallTimedOut as exc:
        if is_read:
            slow_backends.timed_out(service)
        raise _unavailable(service, method, path, "timed out", exc) from exc
    except HTTPError as exc:
        raise _unavailable(service, method, path, "unreachable", exc) from exc
    slow_backends.answered(service)
    if 400 <= response.status < 500:
        raise BackendRefused(response.status, _errors(response))
    if not 200 <= response.status < 300:
        # A 5xx, or a redirect no API of the contract answers (a proxy's), never followed.
        raise _unavailable(service, method, path, f"answered {response.status}", None)
    try:
        data = _json_loads(response.data)
    except ValueError:
        # Not the API's answer (a proxy's page served with a 200): as good as none.
        raise _unavailable(service, method, path, "answered no JSON", None) from None
    return BackendAnswer(
        service=service,
        method=method,
        path=path,
        status=response.status,
        headers=response.headers,
        data=data,
    )


def _json_loads(body: bytes):
    return json.loads(body) if body else None


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


def _errors(response: urllib3.BaseHTTPResponse) -> list[ApiError]:
    """The error format's entries; an answer not in it (a proxy's page) is one message."""
    try:
        entries = _json_loads(response.data)["errors"]
        errors = [
            ApiError(
                message=str(entry["message"]),
                field=entry.get("field") if isinstance(entry.get("field"), str) else None,
            )
            for entry in entries
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        errors = []
    return errors or [ApiError(message=response.reason or "Request refused")]
