"""Gunicorn settings for every service: `gunicorn -c python:ticketing_shared.gunicorn_conf ...`.

The workers are gunicorn's sync workers: each serves one request at a time, reading its body
as it arrives. A client that sends a body slowly, straight to a service's port, holds a worker
until `timeout` (then gunicorn kills and replaces it); a few such clients hold them all. That
cannot happen through the gateway or the ingress: nginx (both; `proxy_request_buffering` is on
by default) reads the whole body, within its own `client_body_timeout`, before it passes the
request on, so a worker only ever meets a complete request from a fast local peer. Keep the
service ports unreachable from outside (the cluster's Services are ClusterIP; locally they
listen on 127.0.0.1), and keep request buffering on in front of them.
"""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104 (containers listen on every interface)
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Each request is logged once, as JSON, by the services' own middleware.
accesslog = None
# Several services run side by side on one machine locally; a shared control socket path
# would have them take it from each other, and nothing here uses it.
control_socket_disable = True

# Overlong requests are the gateway's to refuse. nginx (the local gateway, and ingress-nginx in
# the cluster, both with `large_client_header_buffers 4 8k`) answers them in the contract's JSON;
# gunicorn can only answer with an HTML page of its own. So its limits sit above everything the
# gateway lets through, and it never refuses first (measured with nginx 1.22 in front):
# - a request line: nginx refuses one over 8190 bytes (its 8 KiB buffer with the CRLF) and passes
#   the line on as it came, and 8190 is gunicorn's maximum. (Over HTTP/2, nginx measures the path
#   alone: a path within a dozen bytes of 8 KiB could still pass it and meet this limit.)
limit_request_line = 8190
# - a header line: nginx refuses one over 8190 bytes, then appends the client's address to
#   X-Forwarded-For (gunicorn's default, 8190, would refuse that header with an HTML 431);
limit_request_field_size = 16 * 1024
# - the number of header lines: nginx refuses a thousand, and its 32 KiB of header buffers could
#   not hold more than about 8,200 (`a:` and a CRLF), plus the few it adds (gunicorn's default
#   is 100).
limit_request_fields = 10_000
