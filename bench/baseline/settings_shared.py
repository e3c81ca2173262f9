"""The tickets service's own settings (production's, from the same environment): its apps,
the shared middleware and the JSON request log, with the baseline's one route instead of the
tickets API. Needs `tickets_service/` on the path (`bench/http_reads.py` sets PYTHONPATH)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "baseline.urls"
WSGI_APPLICATION = "baseline.wsgi.application"
