"""The one client the pages reach the APIs through: what it sends, and how each way a backend
can fail is told to the pages (unavailable, refused), each caused for real on the loopback."""

import json
import time

import pytest
from django.test import RequestFactory

from web import backend
from web.backend import ApiError, BackendRefused, BackendUnavailable, backend_call
from web.records import Order
from web.tests.servers import Answer


@pytest.fixture
def page_request():
    """A browser's request as the middleware leaves it: its id, its address, its token."""
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7")
    request.request_id = "0123456789abcdef0123456789abcdef"
    request.access_token = "the-access-token"
    return request


def _unavailable_reason(page_request, service: str, path: str) -> str:
    """Why a GET of `path` from `service` was unavailable to the page (it must be)."""
    with pytest.raises(BackendUnavailable) as raised:
        backend_call(page_request, service, "GET", path)
    return raised.value.reason


def test_a_refused_connection_is_unavailable(page_request, backends_refuse):
    with pytest.raises(BackendUnavailable) as raised:
        backend_call(page_request, "tickets", "GET", "/api/tickets")
    assert raised.value.service == "tickets"
    assert raised.value.reason == "unreachable"
    assert raised.value.title == "Tickets"


def test_a_backend_that_never_answers_is_unavailable_after_the_timeout(
    page_request, backend_at, silent_server, settings
):
    settings.FRONTEND_BACKEND_TIMEOUT = 0.3
    backend_at("orders", silent_server.url)
    started = time.monotonic()
    assert _unavailable_reason(page_request, "orders", "/api/orders") == "timed out"
    # The read timeout, not a hang: well under the default five seconds.
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_is_unavailable(page_request, backend_answering, status):
    backend_answering(
        "tickets", {"GET /api/tickets": Answer(status, {"errors": [{"message": "x"}]})}
    )
    assert _unavailable_reason(page_request, "tickets", "/api/tickets") == f"answered {status}"


def test_a_2xx_that_is_not_json_is_unavailable(page_request, backend_answering):
    """A proxy's page served with a 200 is no answer of the API's: never a 500 further on."""
    backend_answering("tickets", {"GET /api/tickets": Answer(200, raw=b"<html>Welcome</html>")})
    assert _unavailable_reason(page_request, "tickets", "/api/tickets") == "answered no JSON"


def test_a_redirect_is_not_followed_and_is_unavailable(page_request, backend_answering):
    """A 3xx is no answer of the contract's (a proxy's sign-in page, say): never followed
    with the user's token to wherever it points."""
    server = backend_answering(
        "tickets", {"GET /api/tickets": Answer(302, headers={"Location": "http://evil.example/"})}
    )
    assert _unavailable_reason(page_request, "tickets", "/api/tickets") == "answered 302"
    assert len(server.received) == 1


def test_a_4xx_is_refused_with_the_contracts_messages_and_fields(page_request, backend_answering):
    errors = [
        {"message": "Title is required", "field": "title"},
        {"message": "Price must be greater than 0", "field": "price"},
        {"message": "Something about the whole request"},
    ]
    backend_answering("tickets", {"POST /api/tickets": Answer(400, {"errors": errors})})
    with pytest.raises(BackendRefused) as raised:
        backend_call(page_request, "tickets", "POST", "/api/tickets", json={"title": ""})
    assert raised.value.status == 400
    assert raised.value.errors == [
        ApiError("Title is required", "title"),
        ApiError("Price must be greater than 0", "price"),
        ApiError("Something about the whole request", None),
    ]
    assert raised.value.messages[0] == "Title is required"


@pytest.mark.parametrize(
    "answer",
    [
        Answer(403, raw=b"<html>Forbidden</html>", headers={"Content-Type": "text/html"}),
        Answer(400, {"detail": "not our format"}),
        Answer(400, {"errors": []}),
        Answer(400, {"errors": "a string"}),
    ],
)
def test_a_4xx_outside_the_error_format_is_one_message(page_request, backend_answering, answer):
    backend_answering("tickets", {"GET /api/tickets": answer})
    with pytest.raises(BackendRefused) as raised:
        backend_call(page_request, "tickets", "GET", "/api/tickets")
    assert len(raised.value.errors) == 1
    assert raised.value.errors[0].message  # the status's reason phrase
    assert raised.value.errors[0].field is None


def test_a_call_carries_the_token_request_id_and_browsers_address(page_request, backend_answering):
    server = backend_answering("orders", {"GET /api/orders": Answer(200, [])})
    backend_call(page_request, "orders", "GET", "/api/orders", params={"limit": 5})
    (received,) = server.received
    assert received.path == "/api/orders?limit=5"
    assert received.headers["Authorization"] == "Bearer the-access-token"
    assert received.headers["X-Request-ID"] == page_request.request_id
    assert received.headers["X-Forwarded-For"] == "203.0.113.7"
    assert received.headers["Accept"] == "application/json"


def test_a_public_call_carries_no_token(page_request, backend_answering):
    server = backend_answering("tickets", {"GET /api/tickets": Answer(200, [])})
    backend_call(page_request, "tickets", "GET", "/api/tickets", authenticated=False)
    assert "Authorization" not in server.received[0].headers


def test_cookies_go_with_their_call_only(page_request, backend_answering):
    """The client is shared by every user of the process: a cookie one call sends, or one an
    answer sets (auth's new tokens, its device cookie), must never ride along on the next
    call, another person's (a sign-out without cookies would end the last person's session)."""
    server = backend_answering(
        "auth",
        {
            "POST /api/users/refresh": Answer(
                200, {}, headers={"Set-Cookie": "refresh_token=new; Path=/; HttpOnly"}
            ),
            "GET /api/users/currentuser": Answer(200, {"currentUser": None}),
        },
    )
    backend_call(
        page_request,
        "auth",
        "POST",
        "/api/users/refresh",
        cookies={"refresh_token": "theirs"},
        authenticated=False,
    )
    backend_call(page_request, "auth", "GET", "/api/users/currentuser", authenticated=False)
    first, second = server.received
    assert first.headers["Cookie"] == "refresh_token=theirs"
    assert "Cookie" not in second.headers


def test_a_json_body_is_sent_as_json(page_request, backend_answering):
    server = backend_answering("orders", {"POST /api/orders": Answer(201, {})})
    backend_call(page_request, "orders", "POST", "/api/orders", json={"ticketId": "t-1"})
    (received,) = server.received
    assert received.headers["Content-Type"] == "application/json"
    assert json.loads(received.body) == {"ticketId": "t-1"}


def test_one_client_per_process_reused_across_calls(page_request, backend_answering):
    backend_answering("tickets", {"GET /api/tickets": Answer(200, [])})
    backend_call(page_request, "tickets", "GET", "/api/tickets")
    first = backend.backend_client()
    backend_call(page_request, "tickets", "GET", "/api/tickets")
    assert backend.backend_client() is first


def test_a_forked_process_makes_its_own_client(monkeypatch):
    """A gunicorn worker forked from a parent that had a client must not share its sockets."""
    parent = backend.backend_client()
    monkeypatch.setattr(backend.os, "getpid", lambda: -1)
    child = backend.backend_client()
    assert child is not parent
    parent.clear()


# ------------------------------------------------------------------------------------------
# A backend that keeps timing out is paused: pages say so at once instead of waiting
# ------------------------------------------------------------------------------------------


@pytest.fixture
def quick_pause(settings):
    settings.FRONTEND_BACKEND_TIMEOUT = 0.2
    settings.FRONTEND_BACKEND_TIMEOUTS_BEFORE_PAUSE = 2
    settings.FRONTEND_BACKEND_PAUSE_SECONDS = 0.5


def _time_out(page_request, service: str, times: int) -> None:
    for _ in range(times):
        _unavailable_reason(page_request, service, "/api/orders")


def test_timeouts_in_a_row_pause_the_backend_then_it_is_asked_again(
    page_request, backend_at, silent_server, backend_answering, quick_pause
):
    backend_at("orders", silent_server.url)
    _time_out(page_request, "orders", 2)
    server = backend_answering("orders", {"GET /api/orders": Answer(200, [])})
    started = time.monotonic()
    assert _unavailable_reason(page_request, "orders", "/api/orders") == "paused after timeouts"
    assert time.monotonic() - started < 0.1
    assert server.received == []
    # After the pause, the backend is asked again, and its answer closes the circuit.
    time.sleep(0.6)
    assert backend_call(page_request, "orders", "GET", "/api/orders").data == []
    backend_at("orders", silent_server.url)
    _time_out(page_request, "orders", 1)
    backend_at("orders", server.url)
    assert backend_call(page_request, "orders", "GET", "/api/orders").data == []


def test_an_answer_between_timeouts_starts_the_count_again(
    page_request, backend_at, silent_server, answering_server, quick_pause
):
    server = answering_server({"GET /api/orders": Answer(200, [])})
    for _ in range(3):
        backend_at("orders", silent_server.url)
        _time_out(page_request, "orders", 1)
        backend_at("orders", server.url)
        backend_call(page_request, "orders", "GET", "/api/orders")
    assert len(server.received) == 3


def test_a_paused_backend_leaves_the_others_alone(
    page_request, backend_at, silent_server, backend_answering, quick_pause
):
    backend_at("orders", silent_server.url)
    _time_out(page_request, "orders", 2)
    backend_answering("tickets", {"GET /api/orders": Answer(200, [])})
    backend_call(page_request, "tickets", "GET", "/api/orders")


def test_refused_connections_do_not_pause(page_request, backend_answering, quick_pause):
    """Refused at once, they hold no thread: the backend is asked again as soon as it is up."""
    _time_out(page_request, "orders", 3)
    backend_answering("orders", {"GET /api/orders": Answer(200, [])})
    assert backend_call(page_request, "orders", "GET", "/api/orders").data == []


def test_a_write_waits_longer_than_a_read_and_its_timeouts_pause_nothing(
    page_request, backend_at, silent_server, backend_answering, quick_pause, settings
):
    """A password hashed or a card charged may take a while on purpose: a write waits its own
    timeout, and a slow one does not pause everyone's reads."""
    settings.FRONTEND_BACKEND_WRITE_TIMEOUT = 0.6
    backend_at("payments", silent_server.url)
    for _ in range(3):
        started = time.monotonic()
        with pytest.raises(BackendUnavailable):
            backend_call(page_request, "payments", "POST", "/api/payments", json={})
        assert 0.5 < time.monotonic() - started < 2
    server = backend_answering("payments", {"GET /api/payments": Answer(200, [])})
    backend_call(page_request, "payments", "GET", "/api/payments")
    assert len(server.received) == 1


def test_an_answer_gives_its_json_links_and_every_value_of_a_header(
    page_request, backend_answering
):
    next_url = "http://tickets/api/tickets?cursor=YWJj%3D&limit=24"
    backend_answering(
        "tickets",
        {
            "GET /api/tickets": Answer(
                200,
                [{"id": "t-1"}],
                headers={"Link": f'<{next_url}>; rel="next"', "Set-Cookie": "a=1; Path=/"},
            )
        },
    )
    answer = backend_call(page_request, "tickets", "GET", "/api/tickets", params={"limit": 24})
    assert answer.data == [{"id": "t-1"}]
    assert answer.links == {"next": next_url}
    assert answer.header_values("Set-Cookie") == ["a=1; Path=/"]


# ------------------------------------------------------------------------------------------
# An answer of another shape than the contract's is the backend's failure, as a 5xx is
# ------------------------------------------------------------------------------------------

ORDER = {
    "id": "o-1",
    "userId": "u-1",
    "status": "created",
    "expiresAt": "2026-11-30T12:00:00Z",
    "ticket": {"id": "t-1", "title": "Concert", "price": 20},
}


ONE, LIST = "record", "records"


@pytest.mark.parametrize(
    ("read", "answer"),
    [
        (ONE, Answer(200, raw=b"")),
        (ONE, Answer(200, raw=b"null")),
        (ONE, Answer(200, [])),
        (ONE, Answer(200, {**ORDER, "expiresAt": "soon"})),
        (ONE, Answer(200, {**ORDER, "expiresAt": "2026-11-30T12:00:00"})),  # no offset
        (ONE, Answer(200, {**ORDER, "ticket": {"id": "t-1", "title": "A", "price": "free"}})),
        (ONE, Answer(200, {key: value for key, value in ORDER.items() if key != "status"})),
        (LIST, Answer(200, raw=b"")),
        (LIST, Answer(200, raw=b"null")),
        (LIST, Answer(200, ORDER)),  # an object where a list is due
        (LIST, Answer(200, [ORDER, 1])),
        (LIST, Answer(200, [{"id": "o-2"}])),
    ],
)
def test_a_misshapen_answer_is_unavailable(page_request, backend_answering, read, answer):
    backend_answering("orders", {"GET /api/orders": answer})
    response = backend_call(page_request, "orders", "GET", "/api/orders")
    with pytest.raises(BackendUnavailable) as raised:
        getattr(response, read)(Order.from_api)
    assert raised.value.reason == "answered another shape"


def test_a_well_shaped_answer_gives_its_records(page_request, backend_answering):
    backend_answering(
        "orders",
        {"GET /api/orders": Answer(200, [ORDER]), "GET /api/orders/o-1": Answer(200, ORDER)},
    )
    (listed,) = backend_call(page_request, "orders", "GET", "/api/orders").records(Order.from_api)
    one = backend_call(page_request, "orders", "GET", "/api/orders/o-1").record(Order.from_api)
    assert listed == one
    assert one.ticket.title == "Concert"
