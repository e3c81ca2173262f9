import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
import requests
from django.conf import settings
from django.core.cache import caches

from users.models import User
from users.tests.factories import DEFAULT_PASSWORD, UserFactory
from users.throttles import signin_attempt_count, signin_attempt_succeeded

pytestmark = pytest.mark.django_db

SERVICE_DIR = Path(__file__).resolve().parents[2]
SIGNUP_PASSWORD = "a-long-and-unusual-passphrase"


def signin(client, email, password, **extra):
    return client.post(
        "/api/users/signin", {"email": email, "password": password}, format="json", **extra
    )


@pytest.fixture
def limits(settings):
    settings.SIGNIN_MAX_FAILURES_PER_EMAIL_AND_IP = 3
    settings.SIGNIN_MAX_FAILURES_PER_EMAIL = 6
    settings.SIGNIN_MAX_FAILURES_PER_IP = 10
    return settings


def from_address(address: str) -> dict:
    return {"REMOTE_ADDR": address}


def counters_redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def counter_keys(kind: str) -> list[bytes]:
    """The Redis keys of this test's sign-in counters of one kind (`email-ip`, `email`, ...)."""
    return counters_redis().keys(caches["default"].make_key(f"throttle:signin:{kind}:*"))


def test_an_email_is_locked_from_an_address_after_repeated_failures(api_client, limits):
    user = UserFactory()
    for _ in range(3):
        assert signin(api_client, user.email, "wrong-password").status_code == 400

    response = signin(api_client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert response.json() == {
        "errors": [{"message": "Too many failed sign-in attempts, try again later"}]
    }
    assert 0 < int(response["Retry-After"]) <= settings.SIGNIN_FAILURE_WINDOW_SECONDS


def test_a_guesser_elsewhere_does_not_lock_the_owner_out(api_client, limits):
    user = UserFactory()
    for _ in range(5):
        signin(api_client, user.email, "wrong-password", **from_address("198.51.100.66"))

    attacker = signin(api_client, user.email, DEFAULT_PASSWORD, **from_address("198.51.100.66"))
    owner = signin(api_client, user.email, DEFAULT_PASSWORD, **from_address("192.0.2.10"))

    assert attacker.status_code == 429
    assert owner.status_code == 200


def test_guessing_spread_over_many_addresses_meets_the_email_ceiling(api_client, limits):
    user = UserFactory()
    for n in range(6):  # two failures from each of three addresses, each under its own limit
        signin(api_client, user.email, "wrong-password", **from_address(f"198.51.100.{n // 2}"))

    fresh_address = signin(api_client, user.email, DEFAULT_PASSWORD, **from_address("192.0.2.10"))

    assert fresh_address.status_code == 429


def test_unknown_emails_are_locked_alike(api_client, limits):
    for _ in range(3):
        signin(api_client, "nobody@example.com", "wrong-password")

    assert signin(api_client, "nobody@example.com", "wrong-password").status_code == 429


def test_a_success_forgives_the_failures_of_its_email_from_its_address(api_client, limits):
    user = UserFactory()
    for _ in range(2):
        signin(api_client, user.email, "wrong-password")
    assert signin(api_client, user.email, DEFAULT_PASSWORD).status_code == 200

    for _ in range(2):
        assert signin(api_client, user.email, "wrong-password").status_code == 400


def test_every_spelling_of_an_email_counts_against_one_limit(api_client, limits):
    UserFactory(email="sam@example.com")
    for spelling in ("SAM@example.com", " sam@EXAMPLE.com ", "Sam@Example.Com"):
        assert signin(api_client, spelling, "wrong-password").status_code == 400

    locked = signin(api_client, "sam@example.com", DEFAULT_PASSWORD)
    # A look-alike spelling is no way around the limit: it names no account at all.
    look_alike = signin(api_client, "\u017fam@example.com", DEFAULT_PASSWORD)

    assert locked.status_code == 429
    assert look_alike.status_code == 400
    assert look_alike.json() == {"errors": [{"message": "Email must be valid", "field": "email"}]}


def test_an_address_is_locked_across_emails(api_client, limits):
    for n in range(10):
        signin(api_client, f"guess{n}@example.com", "wrong-password", REMOTE_ADDR="10.1.1.1")

    blocked = signin(api_client, "fresh@example.com", "x-password", REMOTE_ADDR="10.1.1.1")
    other_address = signin(api_client, "fresh@example.com", "x-password", REMOTE_ADDR="10.1.1.2")

    assert blocked.status_code == 429
    assert other_address.status_code == 400


def test_an_account_of_its_own_does_not_let_an_address_spray_passwords(api_client, limits):
    # The sprayer signs in to the one account it holds between guesses at other people's.
    own = UserFactory()
    statuses = []
    for n in range(12):
        statuses.append(
            signin(api_client, f"victim{n}@example.com", "Summer2026!", **from_address("10.9.9.9"))
        )
        signin(api_client, own.email, DEFAULT_PASSWORD, **from_address("10.9.9.9"))

    assert [response.status_code for response in statuses] == [400] * 10 + [429] * 2


def test_retry_after_is_what_is_left_of_the_window(api_client, limits):
    for _ in range(3):
        signin(api_client, "nobody@example.com", "wrong-password")
    [counter] = counter_keys("email-ip")
    counters_redis().expire(counter, 100)  # as if most of the window had gone by

    response = signin(api_client, "nobody@example.com", "wrong-password")

    assert response.status_code == 429
    assert 95 <= int(response["Retry-After"]) <= 100


class TestWhatAnAttemptCounts:
    """Each attempt is counted before its password is checked (test_concurrency.py has the
    attempts sent at once); one that succeeds, or is refused, takes its own counts back."""

    def test_successes_do_not_add_up_to_the_address_limit(self, api_client, limits):
        user = UserFactory()

        statuses = [signin(api_client, user.email, DEFAULT_PASSWORD).status_code for _ in range(11)]

        assert statuses == [200] * 11

    def test_successes_do_not_add_up_to_the_email_ceiling(self, api_client, limits):
        user = UserFactory()

        statuses = [
            signin(api_client, user.email, DEFAULT_PASSWORD, **from_address(f"192.0.2.{n}"))
            for n in range(7)
        ]

        assert [response.status_code for response in statuses] == [200] * 7

    def test_a_refused_attempt_does_not_stretch_the_lock(self, api_client, limits):
        user = UserFactory()
        for n in range(6):
            signin(api_client, user.email, "wrong-password", **from_address(f"198.51.100.{n}"))
        # The owner, from an address of their own, meets the ceiling again and again...
        for _ in range(5):
            refused = signin(api_client, user.email, DEFAULT_PASSWORD, **from_address("192.0.2.9"))
            assert refused.status_code == 429
        # ...and is let in as soon as the ceiling's window ends: the refusals counted nothing.
        counters_redis().delete(*counter_keys("email"))

        owner = signin(api_client, user.email, DEFAULT_PASSWORD, **from_address("192.0.2.9"))

        assert owner.status_code == 200

    def test_a_count_whose_window_ended_meanwhile_is_owed_nothing(self):
        attempt = signin_attempt_count(email="owner@example.com", ip="192.0.2.1")
        # Every window ends while the password is being checked.
        counters_redis().delete(*counter_keys("*"))

        signin_attempt_succeeded(attempt)

        # Nothing left behind: a count taken below zero would be a key without a window.
        assert counter_keys("*") == []


class TestTheClientAddress:
    """Which `X-Forwarded-For` entry is the client: the one the outermost trusted proxy
    saw. Entries to its left are whatever the client chose to send."""

    def fail_from(self, api_client, forwarded_for: str, n: int = 0, **extra):
        return signin(
            api_client,
            f"guess{n}@example.com",
            "bad-password",
            HTTP_X_FORWARDED_FOR=forwarded_for,
            **extra,
        )

    def test_behind_one_proxy_the_rightmost_entry_counts(self, api_client, limits):
        limits.TRUSTED_PROXY_COUNT = 1
        for n in range(10):
            self.fail_from(api_client, f"spoofed-{n}, 203.0.113.9", n)

        blocked = self.fail_from(api_client, "another-spoof, 203.0.113.9")
        other_client = self.fail_from(api_client, "spoofed-0, 203.0.113.10")

        assert blocked.status_code == 429
        assert other_client.status_code == 400

    def test_behind_two_proxies_the_second_entry_from_the_right_counts(self, api_client, limits):
        limits.TRUSTED_PROXY_COUNT = 2
        for n in range(10):
            self.fail_from(api_client, f"spoofed-{n}, 203.0.113.9, 10.0.0.{n}", n)

        blocked = self.fail_from(api_client, "x, 203.0.113.9, 10.0.0.99")
        other_client = self.fail_from(api_client, "203.0.113.9, 203.0.113.10, 10.0.0.1")

        assert blocked.status_code == 429
        assert other_client.status_code == 400

    @pytest.mark.parametrize("proxies", [0, "unset"])
    def test_without_proxies_the_header_is_ignored(self, api_client, limits, proxies):
        if proxies == "unset":
            assert "TRUSTED_PROXY_COUNT" not in os.environ  # the settings' default applies
        else:
            limits.TRUSTED_PROXY_COUNT = proxies
        for n in range(10):
            self.fail_from(api_client, f"203.0.113.{n}", n, REMOTE_ADDR="10.1.1.1")

        blocked = self.fail_from(api_client, "203.0.113.200", REMOTE_ADDR="10.1.1.1")
        other_client = self.fail_from(api_client, "203.0.113.0", REMOTE_ADDR="10.1.1.2")

        assert blocked.status_code == 429
        assert other_client.status_code == 400


class TestIPv6Clients:
    """One IPv6 client usually holds a whole /64 and can pick any address in it: its addresses
    count as one. IPv4 addresses count one by one, and what is no address counts as itself."""

    def test_addresses_of_one_64_share_the_address_limit(self, api_client, limits):
        for n in range(10):
            signin(
                api_client, f"guess{n}@example.com", "x-password", REMOTE_ADDR=f"2001:db8:1:2::{n}"
            )

        same_network = signin(
            api_client, "fresh@example.com", "x-password", REMOTE_ADDR="2001:db8:1:2:ffff::1"
        )
        next_network = signin(
            api_client, "fresh@example.com", "x-password", REMOTE_ADDR="2001:db8:1:3::1"
        )

        assert same_network.status_code == 429
        assert next_network.status_code == 400

    def test_addresses_of_one_64_share_the_email_and_address_limit(self, api_client, limits):
        user = UserFactory()
        for n in range(3):
            signin(api_client, user.email, "wrong-password", REMOTE_ADDR=f"2001:db8:9:9::{n}")

        guesser = signin(api_client, user.email, DEFAULT_PASSWORD, REMOTE_ADDR="2001:db8:9:9::a")
        owner = signin(api_client, user.email, DEFAULT_PASSWORD, REMOTE_ADDR="2001:db8:7:7::1")

        assert guesser.status_code == 429
        assert owner.status_code == 200

    def test_an_ipv4_address_written_as_ipv6_is_that_address(self, api_client, limits):
        for n in range(10):
            signin(api_client, f"guess{n}@example.com", "x-password", REMOTE_ADDR="10.3.3.3")

        mapped = signin(
            api_client, "fresh@example.com", "x-password", REMOTE_ADDR="::ffff:10.3.3.3"
        )
        neighbour = signin(
            api_client, "fresh@example.com", "x-password", REMOTE_ADDR="::ffff:10.3.3.4"
        )

        assert mapped.status_code == 429
        assert neighbour.status_code == 400

    def test_what_is_no_address_counts_as_itself(self, api_client, limits):
        limits.TRUSTED_PROXY_COUNT = 1
        for n in range(10):
            signin(
                api_client, f"guess{n}@example.com", "x-password", HTTP_X_FORWARDED_FOR="not-an-ip"
            )

        same = signin(
            api_client, "fresh@example.com", "x-password", HTTP_X_FORWARDED_FOR="not-an-ip"
        )
        other = signin(
            api_client, "fresh@example.com", "x-password", HTTP_X_FORWARDED_FOR="not-an-ip-2"
        )

        assert same.status_code == 429
        assert other.status_code == 400

    def test_sign_ups_from_one_64_share_the_limit(self, api_client, settings):
        settings.SIGNUP_MAX_ATTEMPTS_PER_IP = 2
        for n in range(2):
            api_client.post(
                "/api/users/signup",
                {"email": f"new{n}@example.com", "password": SIGNUP_PASSWORD},
                format="json",
                REMOTE_ADDR=f"2001:db8:5:5::{n}",
            )

        limited = api_client.post(
            "/api/users/signup",
            {"email": "third@example.com", "password": SIGNUP_PASSWORD},
            format="json",
            REMOTE_ADDR="2001:db8:5:5::99",
        )

        assert limited.status_code == 429


class TestSignUpLimit:
    @pytest.fixture
    def signup_limit(self, settings):
        settings.SIGNUP_MAX_ATTEMPTS_PER_IP = 2
        return settings

    def signup(self, client, email, address="10.2.2.2", password=SIGNUP_PASSWORD):
        return client.post(
            "/api/users/signup",
            {"email": email, "password": password},
            format="json",
            REMOTE_ADDR=address,
        )

    def test_an_address_is_limited_whatever_the_answers(self, api_client, signup_limit):
        created = self.signup(api_client, "first@example.com")
        taken = self.signup(api_client, "first@example.com")  # an email lookup: counts too

        limited = self.signup(api_client, "second@example.com")
        other_address = self.signup(api_client, "second@example.com", address="10.2.2.3")

        assert (created.status_code, taken.status_code) == (201, 400)
        assert limited.status_code == 429
        assert limited.json() == {
            "errors": [{"message": "Too many sign-up attempts, try again later"}]
        }
        assert 0 < int(limited["Retry-After"]) <= settings.SIGNUP_WINDOW_SECONDS
        assert other_address.status_code == 201
        assert User.objects.filter(email="second@example.com").count() == 1

    def test_invalid_input_is_not_counted(self, api_client, signup_limit):
        for _ in range(3):
            assert self.signup(api_client, "not-an-email").status_code == 400
            assert self.signup(api_client, "x@example.com", password="short").status_code == 400

        assert self.signup(api_client, "x@example.com").status_code == 201


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(port: int) -> subprocess.Popen:
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        # The Redis server and database the suite was given (a runner's copy has its own).
        # The counters this test makes name only its own email and client address, so they
        # leave every other counter there alone.
        "REDIS_URL": settings.REDIS_URL,
        "TRUSTED_PROXY_COUNT": "1",
        "SIGNIN_MAX_FAILURES_PER_EMAIL_AND_IP": "5",
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
    # A client address of this test's own, through the one proxy the servers trust.
    client = {"X-Forwarded-For": f"test-client-{uuid.uuid4().hex}"}
    ports = [_free_port(), _free_port()]
    servers = [_start_server(port) for port in ports]
    try:
        for port in ports:
            _wait_until_up(port)
        first, second = (f"http://127.0.0.1:{port}/api/users/signin" for port in ports)
        wrong = {"email": user.email, "password": "wrong-password"}
        statuses = [
            requests.post(url, json=wrong, headers=client, timeout=5).status_code
            for url in (first, second, first, second, first)
        ]

        blocked = requests.post(
            second,
            json={"email": user.email, "password": DEFAULT_PASSWORD},
            headers=client,
            timeout=5,
        )

        assert statuses == [400] * 5
        assert blocked.status_code == 429
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)
