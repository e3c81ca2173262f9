import http.client
import json
import subprocess
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import free_port, wait_for_port

from ticketing_devtools import gateway
from ticketing_devtools.services import SERVICES_BY_NAME


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


@pytest.fixture(scope="module")
def gateway_port(tmp_path_factory, upstreams):
    services = [replace(SERVICES_BY_NAME[name], port=p) for name, p in upstreams.items()]
    port = free_port()
    nginx = start_nginx(services, port, tmp_path_factory.mktemp("gateway"))
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


def test_a_frontend_takes_everything_else(tmp_path):
    frontend = replace(SERVICES_BY_NAME["frontend"], port=9999)
    config = gateway.render_config([frontend], port=8000, prefix_dir=tmp_path)

    assert "location / { proxy_pass http://127.0.0.1:9999; }" in config
    assert "return 404" not in config
