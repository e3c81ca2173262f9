import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings

from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SERVICE_DIR = Path(__file__).resolve().parents[2]


def signin(client, email, password, **extra):
    return client.post(
        "/api/users/signin", {"email": email, "password": password}, format="json", **extra
    )


@pytest.fixture
def limits(settings):
    settings.SIGNIN_MAX_FAILURES_PER_EMAIL = 3
    settings.SIGNIN_MAX_FAILURES_PER_IP = 10
    return settings


def test_an_email_is_locked_after_repeated_failures(api_client, limits):
    user = UserFactory()
    for _ in range(3):
        assert signin(api_client, user.email, "wrong-password").status_code == 400

    response = signin(api_client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert response.json() == {
        "errors": [{"message": "Too many failed sign-in attempts, try again later"}]
    }
    assert int(response["Retry-After"]) == settings.SIGNIN_FAILURE_WINDOW_SECONDS


def test_unknown_emails_are_locked_alike(api_client, limits):
    for _ in range(3):
        signin(api_client, "nobody@example.com", "wrong-password")

    assert signin(api_client, "nobody@example.com", "wrong-password").status_code == 429


def test_a_success_clears_the_email_count(api_client, limits):
    user = UserFactory()
    for _ in range(2):
        signin(api_client, user.email, "wrong-password")
    assert signin(api_client, user.email, DEFAULT_PASSWORD).status_code == 200

    for _ in range(2):
        assert signin(api_client, user.email, "wrong-password").status_code == 400


def test_an_address_is_locked_across_emails(api_client, limits):
    for n in range(10):
        signin(api_client, f"guess{n}@example.com", "wrong-password", REMOTE_ADDR="10.1.1.1")

    blocked = signin(api_client, "fresh@example.com", "x-password", REMOTE_ADDR="10.1.1.1")
    other_address = signin(api_client, "fresh@example.com", "x-password", REMOTE_ADDR="10.1.1.2")

    assert blocked.status_code == 429
    assert other_address.status_code == 400


def test_the_forwarded_address_counts_behind_a_trusted_proxy(api_client, limits):
    limits.TRUSTED_PROXY_COUNT = 1
    for n in range(10):
        signin(
            api_client, f"guess{n}@example.com", "bad-password", HTTP_X_FORWARDED_FOR="203.0.113.9"
        )

    blocked = signin(
        api_client, "fresh@example.com", "bad-password", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    other = signin(
        api_client, "fresh@example.com", "bad-password", HTTP_X_FORWARDED_FOR="203.0.113.10"
    )

    assert blocked.status_code == 429
    assert other.status_code == 400


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(port: int) -> subprocess.Popen:
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        # A Redis database of its own, so a local runner's counters are left alone.
        "REDIS_URL": "redis://127.0.0.1:6379/2",
        "SIGNIN_MAX_FAILURES_PER_EMAIL": "5",
        "SIGNIN_MAX_FAILURES_PER_IP": "10000",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:ticketing_shared.gunicorn_conf",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "config.wsgi:application",
        ],
        cwd=SERVICE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    raise AssertionError(f"the auth service on port {port} did not start")


@pytest.mark.django_db(transaction=True)
def test_separate_processes_share_the_count():
    user = UserFactory(email=f"shared-{uuid.uuid4().hex[:8]}@example.com")
    ports = [_free_port(), _free_port()]
    servers = [_start_server(port) for port in ports]
    try:
        for port in ports:
            _wait_until_up(port)
        first, second = (f"http://127.0.0.1:{port}/api/users/signin" for port in ports)
        wrong = {"email": user.email, "password": "wrong-password"}
        statuses = [
            requests.post(url, json=wrong, timeout=5).status_code
            for url in (first, second, first, second, first)
        ]

        blocked = requests.post(
            second, json={"email": user.email, "password": DEFAULT_PASSWORD}, timeout=5
        )

        assert statuses == [400] * 5
        assert blocked.status_code == 429
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)
