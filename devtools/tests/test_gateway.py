import contextlib
import http.client
import json
import re
import socket
import subprocess
import sys
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import free_port, wait_for_port

from ticketing_devtools import gateway
from ticketing_shared.registry import SERVICES_BY_NAME


class EchoHandler(BaseHTTPRequestHandler):
    """Answers with what it received, and who it is, as JSON."""

    def do_GET(self):
        body = json.dumps(
            {
                "upstream": self.server.name,
                "path": self.path,
                "headers": {name.lower(): value for name, value in self.headers.items()},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def upstreams():
    servers = {}
    for name in ("auth", "tickets"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
        server.name = name
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        servers[name] = server
    yield {name: server.server_address[1] for name, server in servers.items()}
    for server in servers.values():
        server.shutdown()
        server.server_close()


def start_nginx(services, port, prefix_dir):
    conf = gateway.write_config(services, port=port, prefix_dir=prefix_dir)
    gateway.check_config(conf, prefix_dir)
    return subprocess.Popen(
        gateway.nginx_argv(conf, prefix_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@contextlib.contextmanager
def running_gateway(services, prefix_dir):
    """A real nginx routing `services`, on a free port it yields, stopped afterwards."""
    port = free_port()
    nginx = start_nginx(services, port, prefix_dir)
    try:
        wait_for_port(port, timeout=10, alive=lambda: nginx.poll() is None)
        yield port
    finally:
        nginx.terminate()
        try:
            nginx.wait(timeout=10)
        except subprocess.TimeoutExpired:
            nginx.kill()
            nginx.wait()


@pytest.fixture(scope="module")
def gateway_port(tmp_path_factory, upstreams):
    services = [replace(SERVICES_BY_NAME[name], port=p) for name, p in upstreams.items()]
    with running_gateway(services, tmp_path_factory.mktemp("gateway")) as port:
        yield port


def get(port, path, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "upstream"),
    [
        ("/api/users/signup", "auth"),
        ("/api/users/currentuser?x=1", "auth"),
        ("/admin/users", "auth"),
        ("/admin/users/", "auth"),
        ("/admin/users/x", "auth"),
        ("/api/tickets", "tickets"),
        ("/api/tickets/1", "tickets"),
        ("/admin/tickets/ticket/", "tickets"),
    ],
)
def test_routes_by_prefix_without_rewriting(gateway_port, path, upstream):
    status, _, body = get(gateway_port, path)

    assert status == 200
    echoed = json.loads(body)
    assert echoed["upstream"] == upstream
    assert echoed["path"] == path


@pytest.mark.parametrize("path", ["/nope", "/", "/admin/usersx", "/api/orders/1", "/x.html"])
def test_unrouted_paths_get_a_json_404_without_a_frontend(gateway_port, path):
    status, headers, body = get(gateway_port, path)

    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"errors": [{"message": "Not Found"}]}


def test_forwarding_headers_reach_the_service(gateway_port):
    _, _, body = get(gateway_port, "/api/users/currentuser", {"Host": "ticketing.test"})
    headers = json.loads(body)["headers"]

    assert len(headers["x-request-id"]) == 32
    assert headers["host"] == "ticketing.test"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"


def test_each_request_gets_its_own_id(gateway_port):
    ids = {
        json.loads(get(gateway_port, "/api/users/x")[2])["headers"]["x-request-id"]
        for _ in range(3)
    }
    assert len(ids) == 3


def test_a_service_that_is_down_gets_a_json_502(tmp_path):
    down = replace(SERVICES_BY_NAME["auth"], port=free_port())
    gateway_port = free_port()
    nginx = start_nginx([down], gateway_port, tmp_path)
    try:
        wait_for_port(gateway_port, timeout=10, alive=lambda: nginx.poll() is None)
        status, headers, body = get(gateway_port, "/api/users/signup")
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)

    assert status == 502
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"errors": [{"message": "Service unavailable"}]}


def raw_request(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (http.client would refuse or fix some of them); the answer's
    status, headers (lowercase names) and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        # Until the whole answer is in, not until nginx closes: after refusing a body it may
        # linger for seconds, waiting for the body to come.
        while b"\r\n\r\n" not in received or len(received) < answer_length(received):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def answer_length(received: bytes) -> int:
    head, _, _ = received.partition(b"\r\n\r\n")
    length = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
    return len(head) + 4 + int(length[1]) if length else sys.maxsize


def request_line(target: str, *, method: str = "GET", version: str = "HTTP/1.1") -> bytes:
    return f"{method} {target} {version}\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()


def assert_json_error(answer, status: int, message: str) -> None:
    got_status, headers, body = answer
    assert got_status == status, body
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"errors": [{"message": message}]}
    assert headers["server"] == "nginx"


LONG = "a" * 10_000
REFUSED_BY_NGINX = {
    # An unknown method is an unknown route (contract §2), also when nginx refuses it itself.
    "trace": (request_line("/api/users/x", method="TRACE"), 404, "Not Found"),
    "nul in the path": (request_line("/api/users/%00"), 400, "Bad request"),
    "dot-dot above the root": (request_line("/api/../../etc/passwd"), 400, "Bad request"),
    "10 kB path": (request_line(f"/api/users/{LONG}"), 414, "Request URI too long"),
    "10 kB header": (
        f"GET /api/users/x HTTP/1.1\r\nHost: localhost\r\nX-Big: {LONG}\r\n\r\n".encode(),
        400,
        "Request header too large",
    ),
    "host with a slash": (
        b"GET /api/users/x HTTP/1.1\r\nHost: a/b\r\nConnection: close\r\n\r\n",
        400,
        "Bad request",
    ),
    "unknown transfer coding": (
        b"POST /api/users/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n"
        b"Connection: close\r\n\r\n",
        501,
        "Not implemented",
    ),
    "http/2.0 request line": (
        request_line("/api/users/x", version="HTTP/2.0"),
        505,
        "HTTP version not supported",
    ),
    "body over 1 MB": (
        b"POST /api/users/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000000\r\n"
        b"Connection: close\r\n\r\n",
        413,
        "Request body too large",
    ),
    "an error page asked for directly": (
        request_line("/_gateway/errors/400"),
        404,
        "Not Found",
    ),
}


@pytest.mark.parametrize("case", REFUSED_BY_NGINX, ids=str)
def test_whatever_nginx_refuses_itself_is_json_in_the_contracts_format(gateway_port, case):
    request, status, message = REFUSED_BY_NGINX[case]

    assert_json_error(raw_request(gateway_port, request), status, message)


UNNORMALIZED_PATHS = [
    "/api/foo/../users/currentuser",
    "/api/users/./currentuser",
    "/api/users/x/..",
    "/api/users/x/.?next=/",
    "/api/foo/%2e%2e/users/currentuser",
    "/api/foo/%2E./users/currentuser",
    "/api/users/%2e/currentuser",
    "/api/foo/..%2fusers/currentuser",
    "/api/foo%2f..%2Fusers/currentuser",
    "//api/users/currentuser",
    "/api/users//currentuser",
    "/api/users/%2fcurrentuser",
    "/admin/tickets/../users/",
    "/x/../api/users/currentuser",
]


@pytest.mark.parametrize("path", UNNORMALIZED_PATHS)
def test_a_path_with_dot_or_empty_segments_is_refused_before_routing(gateway_port, path):
    # nginx would route the normalized path but pass the raw one, which the service does not
    # normalize: Django's debug 404 listing the routes, or runserver serving `//api/...`.
    assert_json_error(raw_request(gateway_port, request_line(path)), 400, "Bad request")


@pytest.mark.parametrize(
    "path",
    [
        "/api/users/currentuser?next=/a/../b//c",
        "/api/users/.well-known",
        "/api/users/x..y/...",
        "/api/users/%2e%2e%2e",
        "/api/users/x.",
    ],
)
def test_dots_that_are_no_segment_of_their_own_pass(gateway_port, path):
    status, _, body = raw_request(gateway_port, request_line(path))

    assert status == 200
    assert json.loads(body)["path"] == path


@pytest.mark.parametrize("path", ["/api/foo", "/api/orders/1", "/api", "/admin", "/admin/x/"])
def test_api_and_admin_paths_no_service_claims_are_a_json_404(gateway_port, path):
    assert_json_error(raw_request(gateway_port, request_line(path)), 404, "Not Found")


def test_no_version_in_the_server_header(gateway_port):
    _, headers, _ = get(gateway_port, "/api/users/x")

    assert headers["Server"] == "nginx"


@pytest.fixture(scope="module")
def gateway_with_frontend_port(tmp_path_factory, upstreams):
    """auth and a frontend (the tickets stub standing in for it) behind one gateway."""
    services = [
        replace(SERVICES_BY_NAME["auth"], port=upstreams["auth"]),
        replace(SERVICES_BY_NAME["frontend"], port=upstreams["tickets"]),
    ]
    with running_gateway(services, tmp_path_factory.mktemp("gateway-with-frontend")) as port:
        yield port


@pytest.mark.parametrize("path", ["/", "/orders/1", "/x.html", "/apix", "/administrator"])
def test_a_frontend_takes_everything_else(gateway_with_frontend_port, path):
    status, _, body = get(gateway_with_frontend_port, path)

    assert status == 200
    echoed = json.loads(body)
    assert (echoed["upstream"], echoed["path"]) == ("tickets", path)


@pytest.mark.parametrize(
    "path", ["/api/foo", "/api/tickets/1", "/api/tickets", "/api", "/admin/orders/", "/admin"]
)
def test_api_and_admin_paths_never_reach_the_frontend(gateway_with_frontend_port, path):
    status, headers, body = get(gateway_with_frontend_port, path)

    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"errors": [{"message": "Not Found"}]}


def test_services_keep_their_prefixes_beside_a_frontend(gateway_with_frontend_port):
    status, _, body = get(gateway_with_frontend_port, "/api/users/currentuser")

    assert status == 200
    assert json.loads(body)["upstream"] == "auth"


@pytest.mark.parametrize("case", ["trace", "nul in the path", "10 kB path"])
def test_refusals_stay_json_beside_a_frontend(gateway_with_frontend_port, case):
    request, status, message = REFUSED_BY_NGINX[case]

    assert_json_error(raw_request(gateway_with_frontend_port, request), status, message)
