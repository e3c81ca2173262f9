"""Backends that fail for real, on this machine's loopback: a port that refuses connections, a
server that takes them and never answers, and a small HTTP server that answers what a test
tells it (a 500, a 401) and keeps what it was asked."""

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RefusingPort:
    """A port bound but never listening: a connection to it is refused at once (the kernel
    answers with a reset), and no other process can take the port while the test runs."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def close(self) -> None:
        self._socket.close()


class SilentServer:
    """Listens, so connections are made and requests sent, but never reads or answers: a
    backend that hangs."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def close(self) -> None:
        self._socket.close()


@dataclass(frozen=True)
class Answer:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    # Sent as it is instead of `body` as JSON (a proxy's HTML page, a broken answer).
    raw: bytes | None = None


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class AnsweringServer:
    """An HTTP server on the loopback that answers each `METHOD /path` (the path without its
    query) as `answers` says, 404 otherwise, and records every request in `received`."""

    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers = answers
        self.received: list[Received] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                server.received.append(
                    Received(self.command, self.path, dict(self.headers.items()), body)
                )
                answer = server.answers.get(f"{self.command} {path}") or Answer(
                    404, {"errors": [{"message": "Not found"}]}
                )
                payload = (
                    answer.raw
                    if answer.raw is not None
                    else (json.dumps(answer.body).encode() if answer.body is not None else b"")
                )
                self.send_response(answer.status)
                if answer.raw is None and answer.body is not None:
                    self.send_header("Content-Type", "application/json")
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, format, *args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
