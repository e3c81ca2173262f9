"""Fixtures for Django service tests: `pytest_plugins = ["ticketing_shared.testing.fixtures"]`."""

import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from ticketing_shared.testing.tokens import access_token_mint


@dataclass(frozen=True)
class SignedInUser:
    id: uuid.UUID
    email: str
    access_token: str


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test gets its own cache namespace, so counters never leak between tests
    (or into a local runner sharing the Redis server) and nothing needs flushing."""
    caches = {name: dict(config) for name, config in django_settings.CACHES.items()}
    for config in caches.values():
        config["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def sign_in():
    """Signs a client in as a new (or given) user with a test-key token in the access cookie."""

    def sign_in_client(client: APIClient, *, is_staff=False, is_superuser=False, **claims):
        user_id = claims.pop("user_id", None) or uuid.uuid4()
        email = claims.pop("email", None) or f"user-{user_id.hex[:8]}@example.com"
        token = access_token_mint(
            user_id=user_id, email=email, is_staff=is_staff, is_superuser=is_superuser, **claims
        )
        client.cookies[django_settings.ACCESS_COOKIE_NAME] = token
        return SignedInUser(id=user_id, email=email, access_token=token)

    return sign_in_client


@pytest.fixture
def signed_in_client(sign_in) -> APIClient:
    """An API client signed in as a new user; the user is at `client.user`."""
    client = APIClient()
    client.user = sign_in(client)
    return client


@pytest.fixture
def staff_client(sign_in):
    """A browser signed in as staff with every permission: the admin, by single sign-on."""
    from django.test import Client

    client = Client()
    sign_in(client, is_staff=True, is_superuser=True)
    return client
