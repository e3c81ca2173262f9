"""Known devices: a client that has signed in to an account before is not refused by that
account's ceiling on failures from all addresses, which anyone could fill."""

import time

import pytest
from django.conf import settings
from django.core import signing
from rest_framework.test import APIClient

from users.devices import KNOWN_DEVICE_SALT, known_device_email, known_device_token_mint
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

DEVICE = settings.SIGNIN_DEVICE_COOKIE_NAME
OWNER_ADDRESS = "192.0.2.10"


@pytest.fixture
def limits(settings):
    settings.SIGNIN_MAX_FAILURES_PER_EMAIL_AND_IP = 3
    settings.SIGNIN_MAX_FAILURES_PER_EMAIL = 6
    settings.SIGNIN_MAX_FAILURES_PER_IP = 10
    settings.SIGNIN_MAX_FAILURES_PER_DEVICE = 4
    return settings


def signin(client, email, password=DEFAULT_PASSWORD, address=OWNER_ADDRESS):
    return client.post(
        "/api/users/signin",
        {"email": email, "password": password},
        format="json",
        REMOTE_ADDR=address,
    )


def client_with_device_token(token: str) -> APIClient:
    client = APIClient()
    client.cookies[DEVICE] = token
    return client


def token_issued_days_ago(email: str, days: int, *, salt: str = KNOWN_DEVICE_SALT) -> str:
    class IssuedThen(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - days * 24 * 3600)

    return IssuedThen(salt=salt).sign_object({"email": email})


def ceiling_reached(email: str) -> None:
    """Wrong passwords for `email` from many addresses, each under its own limit, until the
    email's ceiling is reached."""
    for n in range(6):
        signin(APIClient(), email, "wrong-password", address=f"198.51.100.{n // 2}")


class TestTheCeilingDoesNotLockTheOwnerOut:
    def test_the_owner_s_browser_signs_in_while_the_ceiling_is_reached(self, limits):
        owner = UserFactory()
        browser = APIClient()
        assert signin(browser, owner.email).status_code == 200
        ceiling_reached(owner.email)

        again = signin(browser, owner.email)
        without_the_token = signin(APIClient(), owner.email)

        assert again.status_code == 200
        assert without_the_token.status_code == 429

    def test_an_api_client_sends_the_token_it_was_given_as_a_cookie(self, limits):
        owner = UserFactory()
        token = signin(APIClient(), owner.email).cookies[DEVICE].value
        ceiling_reached(owner.email)

        response = signin(client_with_device_token(token), owner.email)

        assert response.status_code == 200

    def test_a_token_of_another_account_gives_nothing(self, limits):
        owner, attacker = UserFactory(), UserFactory()
        attackers_token = signin(APIClient(), attacker.email).cookies[DEVICE].value
        ceiling_reached(owner.email)

        response = signin(client_with_device_token(attackers_token), owner.email)

        assert response.status_code == 429

    @pytest.mark.parametrize(
        "forge",
        [
            pytest.param(lambda email: "garbage", id="not a token"),
            pytest.param(
                lambda email: signing.dumps({"email": email}, salt="another-salt"),
                id="signed for something else",
            ),
            pytest.param(
                lambda email: signing.dumps(
                    {"email": email}, key="not-auth-s-key", salt=KNOWN_DEVICE_SALT
                ),
                id="signed with another key",
            ),
            pytest.param(
                lambda email: known_device_token_mint(email="x@example.com").replace(
                    "x@example.com", email
                ),
                id="another account's, its email changed",
            ),
            pytest.param(lambda email: token_issued_days_ago(email, 181), id="too old"),
        ],
    )
    def test_a_forged_or_stale_token_gives_nothing(self, limits, forge):
        owner = UserFactory()
        ceiling_reached(owner.email)

        response = signin(client_with_device_token(forge(owner.email)), owner.email)

        assert response.status_code == 429
        assert response.json() == {
            "errors": [{"message": "Too many failed sign-in attempts, try again later"}]
        }


class TestAKnownDeviceIsStillLimited:
    """A device token is a cookie a thief may hold: it lifts the ceiling and nothing else."""

    def test_by_its_email_and_address(self, limits):
        owner = UserFactory()
        browser = APIClient()
        signin(browser, owner.email)
        for _ in range(3):
            signin(browser, owner.email, "wrong-password")

        assert signin(browser, owner.email).status_code == 429

    def test_by_its_address(self, limits):
        owner = UserFactory()
        browser = APIClient()
        signin(browser, owner.email)
        for n in range(10):
            signin(APIClient(), f"guess{n}@example.com", "wrong-password")

        assert signin(browser, owner.email).status_code == 429

    def test_by_its_own_failures_from_any_address(self, limits):
        owner = UserFactory()
        token = signin(APIClient(), owner.email).cookies[DEVICE].value
        for n in range(4):  # one failure from each address, under its own limits
            signin(client_with_device_token(token), owner.email, "wrong", f"203.0.113.{n}")

        stolen = signin(client_with_device_token(token), owner.email, address="203.0.113.99")
        owner_elsewhere = signin(APIClient(), owner.email, address="203.0.113.99")

        assert stolen.status_code == 429
        assert owner_elsewhere.status_code == 200


class TestTheCookie:
    @pytest.mark.parametrize("path", ["signin", "signup"])
    def test_is_set_by_signing_in_and_up_like_the_session_cookies(self, api_client, path):
        user = UserFactory()
        body = (
            {"email": user.email, "password": DEFAULT_PASSWORD}
            if path == "signin"
            else {"email": "new@example.com", "password": "a-long-and-unusual-passphrase"}
        )

        response = api_client.post(f"/api/users/{path}", body, format="json")

        cookie = response.cookies[DEVICE]
        assert known_device_email(cookie.value) == body["email"]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"
        assert cookie["path"] == "/"
        assert cookie["max-age"] == 180 * 24 * 3600
        assert not cookie["secure"]  # outside production

    def test_is_secure_where_the_session_cookies_are(self, api_client, settings):
        settings.AUTH_COOKIE_SECURE = True
        user = UserFactory()

        response = signin(api_client, user.email)

        assert response.cookies[DEVICE]["secure"]

    def test_a_failed_sign_in_sets_none(self, api_client):
        user = UserFactory()

        response = signin(api_client, user.email, "wrong-password")

        assert DEVICE not in response.cookies

    def test_signing_out_keeps_it(self, api_client):
        user = UserFactory()
        signin(api_client, user.email)

        response = api_client.post("/api/users/signout")

        assert DEVICE not in response.cookies
        assert api_client.cookies[DEVICE].value


class TestKnownDeviceEmail:
    def test_the_email_of_a_token_auth_issued(self):
        assert known_device_email(known_device_token_mint(email="a@example.com")) == "a@example.com"

    def test_a_token_within_its_age(self):
        token = token_issued_days_ago("a@example.com", 179)

        assert known_device_email(token) == "a@example.com"

    @pytest.mark.parametrize(
        "token",
        [None, "", 5, "garbage", "a:b:c", "\ud800", "a\ud800:b:c", "x" * 10_000],
    )
    def test_anything_else_names_nobody(self, token):
        assert known_device_email(token) is None

    @pytest.mark.parametrize("claims", [["a@example.com"], {"email": 5}, {}, "a@example.com"])
    def test_a_signed_token_of_another_shape_names_nobody(self, claims):
        token = signing.dumps(claims, salt=KNOWN_DEVICE_SALT)

        assert known_device_email(token) is None
