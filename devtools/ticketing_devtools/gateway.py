"""The local gateway: an nginx that routes by path prefix to the services, as the ingress does.

Everything nginx writes at run time lives under one prefix directory, so it runs without root
and leaves /etc/nginx alone.
"""

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

from ticketing_devtools.errors import SetupError
from ticketing_devtools.programs import require_program
from ticketing_shared.registry import ADMIN_ROOT, API_ROOT, Service

SYSTEM_MIME_TYPES = Path("/etc/nginx/mime.types")
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
# Where no service claims a path under these, the gateway itself answers a JSON 404, also once
# the frontend takes the catch-all: an API client never gets the frontend's HTML.
API_ROOTS = (API_ROOT, ADMIN_ROOT)
# Every answer nginx makes itself, with its message in the contract's error format. nginx sends
# 494 (a header or the whole header block over large_client_header_buffers) as a 400.
GATEWAY_ERRORS = {
    400: "Bad request",
    404: "Not Found",
    408: "Request timeout",
    411: "Length required",
    413: "Request body too large",
    414: "Request URI too long",
    494: "Request header too large",
    500: "Something went wrong",
    501: "Not implemented",
    502: "Service unavailable",
    503: "Service unavailable",
    504: "Service unavailable",
    505: "HTTP version not supported",
}
# Answers nginx makes that the contract words otherwise: a method it refuses itself (TRACE) is
# an unknown method, which the contract answers as an unknown route (§2), as the services do.
GATEWAY_ERRORS_ANSWERED_AS = {405: 404}
# The internal locations of those answers. A URI, not a named location: for a request line
# nginx could not parse (a %00 in the path, an overlong URI) it has no URI to keep, and a named
# location then fails over to nginx's own HTML page.
ERROR_PAGES = "/_gateway/errors/"
# A path whose raw form has a dot segment (`/./`, `/../`, a final `/.` or `/..`) or an empty one
# (`//`), a dot or slash percent-encoded or not. nginx routes on the path it normalized but
# passes the raw one on, so `/api/foo/../users/x` would reach auth as a path Django does not
# normalize (its debug 404 lists the routes), and `//api/users/x` one that runserver serves.
# Only the path: `[^?]*` stops at the query, and `(?![^?])` is the path's end.
UNNORMALIZED_PATH = r"~*^[^?]*(?:/|%2f)(?:(?:\.|%2e){1,2}(?:/|%2f|(?![^?]))|/|%2f)"


def error_body(message: str) -> str:
    return json.dumps({"errors": [{"message": message}]}, separators=(",", ":"))


def find_nginx() -> str:
    return require_program("nginx", package="nginx-light", needed_for="the local gateway")


def _json_location(match: str, status: int, body: str, *, internal: bool = False) -> list[str]:
    # An empty types map makes default_type win over a type guessed from the URI's extension.
    return [
        f"        location {match} {{",
        *(["            internal;"] if internal else []),
        "            types { }",
        "            default_type application/json;",
        f"            return {status} '{body}';",
        "        }",
    ]


def _proxy_locations(service: Service) -> list[str]:
    upstream = f"http://127.0.0.1:{service.port}"
    lines = []
    for prefix in service.prefixes:
        # No URI part after the upstream address: nginx passes the client's path unchanged.
        lines.append(f"        location {prefix} {{ proxy_pass {upstream}; }}")
        bare = prefix.rstrip("/")
        if bare:
            # The bare prefix belongs to the service too: `/api/tickets` is the collection, and
            # `/admin/users` gets the admin's redirect to the slash form instead of a 404.
            lines.append(f"        location = {bare} {{ proxy_pass {upstream}; }}")
    return lines


def _unclaimed_locations(services: Sequence[Service]) -> list[str]:
    """JSON 404s for the API roots (nginx prefers the longest prefix, so every service's own
    prefix still wins), and for everything else when no frontend takes it."""
    not_found = error_body(GATEWAY_ERRORS[404])
    lines = []
    for root in API_ROOTS:
        lines += _json_location(root, 404, not_found)
        lines += _json_location(f"= {root.rstrip('/')}", 404, not_found)
    if not any(service.is_catch_all for service in services):
        lines += _json_location("/", 404, not_found)
    return lines


def _unnormalized_path_refusal() -> list[str]:
    """`$gateway_refused_path` is 1 for a request whose raw path is not in normal form.

    The error pages are exempt: a refusal's internal redirect to one keeps the raw URI that
    was refused (and the map is volatile, or the value cached before the redirect would stay).
    """
    error_uris = [f"{ERROR_PAGES}{status}" for status in sorted(GATEWAY_ERRORS)]
    return [
        "    map $request_uri $gateway_unnormalized_path {",
        "        default 0;",
        f'        "{UNNORMALIZED_PATH}" 1;',
        "    }",
        "    map $uri $gateway_refused_path {",
        "        volatile;",
        "        default $gateway_unnormalized_path;",
        *(f"        {uri} 0;" for uri in error_uris),
        "    }",
    ]


def _error_pages() -> list[str]:
    statuses = sorted(GATEWAY_ERRORS)
    lines = [f"        error_page {status} {ERROR_PAGES}{status};" for status in statuses]
    lines += [
        f"        error_page {status} ={answer} {ERROR_PAGES}{answer};"
        for status, answer in sorted(GATEWAY_ERRORS_ANSWERED_AS.items())
    ]
    for status in statuses:
        body = error_body(GATEWAY_ERRORS[status])
        # error_page without `=` keeps the original status whatever `return` says.
        lines += _json_location(f"= {ERROR_PAGES}{status}", status, body, internal=True)
    return lines


def render_config(services: Sequence[Service], *, port: int, prefix_dir: Path) -> str:
    """The nginx configuration routing `services`, listening on 127.0.0.1:`port`."""
    prefix_dir = prefix_dir.resolve()
    temp = prefix_dir / "temp"
    if SYSTEM_MIME_TYPES.is_file():
        mime = [f'    include "{SYSTEM_MIME_TYPES}";']
    else:
        mime = [
            "    types {",
            "        text/html html; text/css css; application/javascript js;",
            "        application/json json; image/png png; image/svg+xml svg;",
            "    }",
        ]
    lines = [
        "# Generated by ticketing_devtools.gateway; edits are overwritten at every start.",
        "daemon off;",
        "worker_processes 1;",
        f'pid "{prefix_dir / "nginx.pid"}";',
        "error_log stderr warn;",
        "",
        "events {",
        "    worker_connections 512;",
        "}",
        "",
        "http {",
        *mime,
        "    default_type application/octet-stream;",
        # No version in the Server header (nor anywhere else: no page of nginx's is left).
        "    server_tokens off;",
        *(f'    {name}_temp_path "{temp / name}";' for name in TEMP_DIRS),
        "    log_format gateway '$remote_addr \"$request\" $status $body_bytes_sent '",
        "                       '${request_time}s upstream=$upstream_addr id=$request_id';",
        "    access_log /dev/stdout gateway;",
        "    client_max_body_size 1m;",
        "    proxy_http_version 1.1;",
        "    proxy_set_header Host $http_host;",
        "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "    proxy_set_header X-Forwarded-Proto $scheme;",
        "    proxy_set_header X-Request-ID $request_id;",
        '    proxy_set_header Connection "";',
        *_unnormalized_path_refusal(),
        "",
        "    server {",
        f"        listen 127.0.0.1:{port};",
        "        server_name localhost;",
        # Before any location is chosen.
        "        if ($gateway_refused_path) { return 400; }",
        *(line for service in services for line in _proxy_locations(service)),
        *_unclaimed_locations(services),
        *_error_pages(),
        "    }",
        "}",
        "",
    ]
    return "\n".join(lines)


def write_config(services: Sequence[Service], *, port: int, prefix_dir: Path) -> Path:
    """Write the configuration, and the directories nginx needs, into `prefix_dir`."""
    for name in TEMP_DIRS:
        (prefix_dir / "temp" / name).mkdir(parents=True, exist_ok=True)
    conf = prefix_dir / "nginx.conf"
    conf.write_text(render_config(services, port=port, prefix_dir=prefix_dir))
    return conf


def nginx_argv(conf: Path, prefix_dir: Path, *, test: bool = False) -> list[str]:
    # `-e stderr` keeps nginx from opening its compiled-in /var/log/nginx/error.log first.
    argv = [
        find_nginx(),
        "-e",
        "stderr",
        "-p",
        str(prefix_dir.resolve()),
        "-c",
        str(conf.resolve()),
    ]
    return [*argv, "-t"] if test else argv


def check_config(conf: Path, prefix_dir: Path) -> None:
    result = subprocess.run(
        nginx_argv(conf, prefix_dir, test=True),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0:
        raise SetupError(f"nginx rejects {conf}:\n{result.stderr.strip()}")
