"""Probes: `/healthz` says the process answers, `/readyz` that its dependencies do."""

import functools
import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ticketing_shared.errors import error_response

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 2
PROBE_METHODS = ("GET", "HEAD")


def probe(view):
    """A probe answers GET and HEAD; any other method gets a 405 in the error format (Django's
    `require_safe` answers an empty HTML one, and a POST would meet the CSRF check's HTML
    page first: a probe changes nothing, so it needs no CSRF protection)."""

    @csrf_exempt
    @functools.wraps(view)
    def probe_view(request):
        if request.method not in PROBE_METHODS:
            response = error_response(405, "Method Not Allowed")
            response["Allow"] = ", ".join(PROBE_METHODS)
            return response
        return view(request)

    return probe_view


@probe
def healthz(request):
    return JsonResponse({"status": "ok"})


@probe
def readyz(request):
    checks = {
        "database": _check_database,
        "cache": lambda: _check_redis(settings.REDIS_URL),
        "broker": lambda: _check_redis(settings.CELERY_BROKER_URL),
    }
    results = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:
            logger.warning("readiness check failed", extra={"check": name, "error": str(exc)})
            results[name] = "unavailable"
    ready = all(result == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_redis(url: str) -> None:
    client = redis.Redis.from_url(
        url, socket_timeout=PROBE_TIMEOUT_SECONDS, socket_connect_timeout=PROBE_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
