"""The shared gunicorn settings, under a real gunicorn serving the sample service.

gunicorn answers what it refuses itself with HTML; the gateway in front refuses overlong
request lines and headers in JSON first only if gunicorn accepts everything the gateway
passes (nginx: request and header lines up to 8190 bytes, X-Forwarded-For a little longer
once nginx appends the client's address, and up to a thousand header lines).
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SHARED_DIR = Path(__file__).resolve().parents[1]
NOT_FOUND = {"errors": [{"message": "Not Found"}]}


@pytest.fixture(scope="module")
def gunicorn_port(tmp_path_factory):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_DEBUG": "false",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "GUNICORN_WORKERS": "1",
    }
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:ticketing_shared.gunicorn_conf"]
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*argv, "django.core.wsgi:get_wsgi_application()"],
            cwd=SHARED_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(port, server, log)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{log.read_text()}")
        try:
            if exchange(port, request("GET", "/healthz")).startswith(b"HTTP/1.1 200"):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"gunicorn did not answer on port {port}:\n{log.read_text()}")


def request(method: str, path: str, headers: str = "") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n"
    return f"{head}\r\n".encode()


def exchange(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(raw)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_type_body(answer: bytes) -> tuple[int, str, object]:
    """The status, the Content-Type and the JSON body (None where it is not JSON)."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    content_type = headers.get("Content-Type", "")
    return (
        int(status_line.split()[1]),
        content_type,
        json.loads(body) if content_type == "application/json" else None,
    )


def test_a_request_line_as_long_as_the_gateway_passes_reaches_django(gunicorn_port):
    path = "/api/sample/" + "a" * (8190 - len("GET /api/sample/ HTTP/1.1"))
    raw = request("GET", path)
    assert raw.index(b"\r\n") == 8190

    assert status_type_body(exchange(gunicorn_port, raw)) == (404, "application/json", NOT_FOUND)


def test_a_header_the_gateway_lengthened_reaches_django(gunicorn_port):
    # nginx passes a header line of 8190 bytes, and then appends ", <address>" to this one.
    forwarded_for = "1" * (8190 - len("X-Forwarded-For: ")) + ", 203.0.113.77"
    raw = request("GET", "/api/sample/public", f"X-Forwarded-For: {forwarded_for}\r\n")

    status, content_type, body = status_type_body(exchange(gunicorn_port, raw))

    assert (status, content_type, body) == (200, "application/json", {"signedIn": False})


def test_as_many_headers_as_the_gateway_passes_reach_django(gunicorn_port):
    headers = "".join(f"X-Extra-{number}: v\r\n" for number in range(990))
    raw = request("GET", "/api/sample/public", headers)

    status, content_type, _body = status_type_body(exchange(gunicorn_port, raw))

    assert (status, content_type) == (200, "application/json")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/sample"),
        ("POST", "/api/sample"),
        ("GET", "/api/sample/%00"),
        ("TRACE", "/api/sample/public"),
        ("OPTIONS", "/api/sample/echo"),
    ],
)
def test_odd_requests_get_the_error_format(gunicorn_port, method, path):
    answer = exchange(gunicorn_port, request(method, path, "Content-Length: 0\r\n"))

    assert status_type_body(answer) == (404, "application/json", NOT_FOUND)
