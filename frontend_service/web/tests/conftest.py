"""Fixtures of the view tests: browsers signed in with test-key tokens, and backends that are
down, hang or answer what a test needs, on this machine's loopback.

Every test starts with every backend refusing connections, so no test reaches the services a
developer runs on the usual ports, and a test that needs a backend says which.
"""

import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.test import Client

from ticketing_shared.testing.tokens import access_token_mint
from web import backend, public_reads
from web.tests.factories import Person, person_signed_up
from web.tests.servers import AnsweringServer, RefusingPort, SilentServer

BACKENDS = ("auth", "tickets", "orders", "payments")


@pytest.fixture
def refusing_port():
    port = RefusingPort()
    yield port
    port.close()


@pytest.fixture(autouse=True)
def backends_refuse(settings, refusing_port):
    """Every backend at a port that refuses connections, until a test points one elsewhere."""
    settings.FRONTEND_BACKEND_URLS = dict.fromkeys(BACKENDS, refusing_port.url)
    return refusing_port


@pytest.fixture(autouse=True)
def backend_client_fresh(monkeypatch):
    """The pooled client is made from the settings at first use: each test gets one made from
    its own (a short timeout, say), and its connections are closed after it. No backend is
    paused for timeouts another test caused."""
    backend._client = None
    monkeypatch.setattr(backend, "slow_backends", backend.SlowBackends())
    yield
    if backend._client is not None:
        backend._client.clear()
    backend._client = None


@pytest.fixture(autouse=True)
def public_reads_forgotten():
    """No test reads a public answer another test's backend gave (web/public_reads.py)."""
    caches[public_reads.CACHE_ALIAS].clear()
    yield
    caches[public_reads.CACHE_ALIAS].clear()


@pytest.fixture
def backend_at(settings):
    """Points one backend (`"tickets"`) at a URL for this test."""

    def point(service: str, url: str) -> None:
        settings.FRONTEND_BACKEND_URLS = {**settings.FRONTEND_BACKEND_URLS, service: url}

    return point


@pytest.fixture
def answering_server():
    """Starts an AnsweringServer with the given answers; all are stopped after the test."""
    started = []

    def start(answers) -> AnsweringServer:
        server = AnsweringServer(answers)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def backend_answering(backend_at, answering_server):
    """Points one backend (`"tickets"`) at a server answering what the test gives it (an
    AnsweringServer's answers): the server, to see what it was asked."""

    def start(service: str, answers) -> AnsweringServer:
        server = answering_server(answers)
        backend_at(service, server.url)
        return server

    return start


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


@dataclass(frozen=True)
class TokenUser:
    id: uuid.UUID
    email: str
    access_token: str


def sign_in(client: Client, *, is_staff: bool = False, **claims) -> TokenUser:
    """Puts an access token signed with the test key (which the frontend verifies with the test
    public key, as auth's would be) in the client's access cookie."""
    user_id = claims.pop("user_id", None) or uuid.uuid4()
    email = claims.pop("email", None) or f"user-{user_id.hex[:8]}@example.com"
    token = access_token_mint(user_id=user_id, email=email, is_staff=is_staff, **claims)
    client.cookies[django_settings.ACCESS_COOKIE_NAME] = token
    return TokenUser(id=user_id, email=email, access_token=token)


@pytest.fixture
def signed_in_client() -> Client:
    """A browser signed in as a new user (at `client.user`)."""
    client = Client()
    client.user = sign_in(client)
    return client


@pytest.fixture
def csrf_client() -> Client:
    """A browser whose forms are checked for their CSRF token, as a real one's are."""
    return Client(enforce_csrf_checks=True)


# ------------------------------------------------------------------------------------------
# The real services: the whole system, started once per session (`running_system`, from
# web/tests/system.py), with this test process's frontend in front of its APIs
# ------------------------------------------------------------------------------------------


def pytest_collection_modifyitems(items):
    """Tests against the running system are marked `system` (`-m "not system"` skips them,
    and the copy's minute and a half of start-up with them)."""
    for item in items:
        if "running_system" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.system)


def pytest_configure(config):
    config.addinivalue_line("markers", "system: uses the whole running system (real services)")


@pytest.fixture
def system_apis(running_system, settings):
    """This process's frontend reaching the copy's APIs, each on its own port; its tokens
    still verified with the test key (for tests of a token the APIs refuse)."""
    settings.FRONTEND_BACKEND_URLS = {name: running_system.service_urls[name] for name in BACKENDS}
    return running_system


@pytest.fixture
def live(system_apis, settings, monkeypatch):
    """The frontend in front of the copy's APIs, verifying tokens with the copy's public key,
    as one the runner started would: people sign up and in through its pages.

    simplejwt builds its token backend, key included, once at import (from the test key pair),
    and a change of settings does not reach it: the copy's key is put on it for this test."""
    from rest_framework_simplejwt.state import token_backend

    public_key = system_apis.public_key_file.read_text()
    settings.JWT_PUBLIC_KEY = public_key
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "VERIFYING_KEY": public_key}
    monkeypatch.setattr(token_backend, "verifying_key", public_key)
    monkeypatch.setitem(
        vars(token_backend), "prepared_verifying_key", token_backend._prepare_key(public_key)
    )
    return system_apis


@pytest.fixture
def seller(live) -> Person:
    """Someone signed up on the running system, to sell tickets."""
    return person_signed_up()


@pytest.fixture
def buyer(live) -> Person:
    """Someone else signed up on the running system, to buy them."""
    return person_signed_up()
