"""Gunicorn settings for every service: `gunicorn -c python:ticketing_shared.gunicorn_conf ...`."""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104 (containers listen on every interface)
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Each request is logged once, as JSON, by the services' own middleware.
accesslog = None
# Several services run side by side on one machine locally; a shared control socket path
# would have them take it from each other, and nothing here uses it.
control_socket_disable = True
