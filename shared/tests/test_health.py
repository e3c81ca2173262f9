import socket

import pytest
from django.test import Client


def test_healthz(api_client):
    response = api_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PROPFIND"])
def test_a_probe_answers_other_methods_in_the_error_format(path, method):
    # Django's require_safe answered an empty HTML 405, and a POST met the CSRF check's page.
    response = Client(enforce_csrf_checks=True).generic(method, path)

    assert response.status_code == 405
    assert response.json() == {"errors": [{"message": "Method Not Allowed"}]}
    assert response["Allow"] == "GET, HEAD"


def test_healthz_answers_head(api_client):
    response = api_client.head("/healthz")

    assert response.status_code == 200


@pytest.mark.django_db
def test_readyz_when_everything_answers(api_client, bus):
    response = api_client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


@pytest.mark.django_db
def test_readyz_when_the_broker_does_not_answer(api_client, settings, unused_tcp_port):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{unused_tcp_port}/0"

    response = api_client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "unavailable"}


@pytest.fixture
def unused_tcp_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
