import re
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from ticketing_shared.testing.keys import jwt_test_key_pair
from users.models import User
from users.services import (
    refresh_successor_cache_key,
    session_end,
    session_start,
    user_deactivate,
)
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ACCESS = settings.ACCESS_COOKIE_NAME
REFRESH = settings.REFRESH_COOKIE_NAME
GOOD_PASSWORD = "a-long-and-unusual-passphrase"


def errors_of(response) -> list[dict]:
    return response.json()["errors"]


def messages_of(response) -> list[str]:
    return [error["message"] for error in errors_of(response)]


def signup(client, email="new@example.com", password=GOOD_PASSWORD):
    return client.post("/api/users/signup", {"email": email, "password": password}, format="json")


def signin(client, email, password=DEFAULT_PASSWORD):
    return client.post("/api/users/signin", {"email": email, "password": password}, format="json")


def refresh_body(refresh: str):
    return APIClient().post("/api/users/refresh", {"refresh": refresh}, format="json")


def reuse_window_end(refresh: str) -> None:
    """What the end of a rotated token's reuse window does: its successor pair is forgotten."""
    cache.delete(refresh_successor_cache_key(RefreshToken(refresh, verify=False)["jti"]))


def expired_access(access: str) -> str:
    token = AccessToken(access)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


def email_of_length(length: int) -> str:
    """A well-formed address of exactly `length` characters (labels within 63)."""
    local = "a" * 64
    labels = []
    remaining = length - len(local) - len("@") - len(".com")
    while remaining > 0:
        label = min(remaining, 63)
        if remaining - label == 1:  # a lone dot cannot stand: share the rest
            label -= 1
        labels.append("b" * label)
        remaining -= label + 1
    email = f"{local}@{'.'.join(labels)}.com"
    assert len(email) == length
    return email


def assert_session_cookies(response):
    for name in (ACCESS, REFRESH):
        cookie = response.cookies[name]
        assert cookie.value
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"
        assert cookie["path"] == "/"


class TestSignUp:
    def test_creates_the_user_and_signs_them_in(self, api_client):
        response = signup(api_client, email="Buyer@Example.com")

        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"id", "email"}
        assert body["email"] == "buyer@example.com"
        user = User.objects.get(pk=body["id"])
        assert user.check_password(GOOD_PASSWORD)
        assert user.password != GOOD_PASSWORD
        assert_session_cookies(response)
        access = AccessToken(response.cookies[ACCESS].value)
        assert access["id"] == body["id"]
        assert access["email"] == "buyer@example.com"
        assert access["is_staff"] is False
        assert user.last_login is not None  # signing up signs in

    @pytest.mark.parametrize("email", ["not-an-email", "", "a@", None, 12])
    def test_invalid_email(self, api_client, email):
        response = signup(api_client, email=email)

        assert response.status_code == 400
        assert errors_of(response) == [{"message": "Email must be valid", "field": "email"}]
        assert not User.objects.exists()

    @pytest.mark.parametrize("password", ["short", "x" * 129, "", None])
    def test_password_length(self, api_client, password):
        response = signup(api_client, password=password)

        assert response.status_code == 400
        assert errors_of(response) == [
            {"message": "Password must be between 8 and 128 characters", "field": "password"}
        ]

    def test_common_password(self, api_client):
        response = signup(api_client, password="password123")

        assert response.status_code == 400
        assert errors_of(response) == [
            {"message": "This password is too common.", "field": "password"}
        ]

    def test_missing_fields(self, api_client):
        response = api_client.post("/api/users/signup", {}, format="json")

        assert response.status_code == 400
        assert {(e["field"], e["message"]) for e in errors_of(response)} == {
            ("email", "Email must be valid"),
            ("password", "Password must be between 8 and 128 characters"),
        }

    @pytest.mark.parametrize("second_email", ["taken@example.com", "TAKEN@Example.COM"])
    def test_email_in_use(self, api_client, second_email):
        assert signup(api_client, email="taken@example.com").status_code == 201

        response = signup(APIClient(), email=second_email)

        assert response.status_code == 400
        assert messages_of(response) == ["Email in use"]
        assert User.objects.count() == 1

    @pytest.mark.parametrize("length", [255, 300, 320, 321, 5000])
    def test_an_overlong_email(self, api_client, length):
        response = signup(api_client, email=email_of_length(length))

        assert response.status_code == 400
        assert errors_of(response) == [{"message": "Email must be valid", "field": "email"}]
        assert not User.objects.exists()

    def test_the_longest_email(self, api_client):
        email = email_of_length(254)

        response = signup(api_client, email=email.upper())

        assert response.status_code == 201
        assert response.json()["email"] == email

    @pytest.mark.parametrize(
        "email",
        [
            "\u017fam@example.com",  # LATIN SMALL LETTER LONG S: UPPER() makes it S
            "\u0131an@example.com",  # LATIN SMALL LETTER DOTLESS I: UPPER() makes it I
            "\u0130an@example.com",  # LATIN CAPITAL LETTER I WITH DOT ABOVE
            "\u212aim@example.com",  # KELVIN SIGN: lower() makes it k
            "\uff53am@example.com",  # FULLWIDTH s: NFKC makes it s
            "sam@b\u00fccher.de",  # a domain outside ASCII (its xn-- form is accepted)
        ],
    )
    def test_an_email_outside_ascii(self, api_client, email):
        response = signup(api_client, email=email)

        assert response.status_code == 400
        assert errors_of(response) == [{"message": "Email must be valid", "field": "email"}]
        assert not User.objects.exists()

    def test_a_look_alike_cannot_squat_the_ascii_address(self, api_client):
        squatter = signup(api_client, email="\u017fam@example.com", password=GOOD_PASSWORD)
        owner = signup(APIClient(), email="sam@example.com", password="the-owners-own-passphrase")
        owner_by_look_alike = signin(APIClient(), "\u017fam@example.com", GOOD_PASSWORD)

        assert squatter.status_code == 400
        assert owner.status_code == 201
        assert owner_by_look_alike.status_code == 400
        assert messages_of(owner_by_look_alike) == ["Email must be valid"]
        assert list(User.objects.values_list("email", flat=True)) == ["sam@example.com"]

    def test_an_internationalized_domain_in_its_ascii_form(self, api_client):
        response = signup(api_client, email="Sam@XN--Bcher-KVA.de")

        assert response.status_code == 201
        assert response.json()["email"] == "sam@xn--bcher-kva.de"


class TestSignIn:
    def test_signs_in_with_cookies(self, api_client):
        user = UserFactory(email="seller@example.com")

        response = signin(api_client, "Seller@example.com")

        assert response.status_code == 200
        assert response.json() == {"id": str(user.id), "email": "seller@example.com"}
        assert_session_cookies(response)

    def test_records_the_sign_in_time_and_starts_one_session(self, api_client):
        user = UserFactory()
        before = timezone.now()

        signin(api_client, user.email)

        user.refresh_from_db()
        assert before <= user.last_login <= timezone.now()
        assert OutstandingToken.objects.filter(user=user).count() == 1

    def test_a_refused_sign_in_records_nothing(self, api_client):
        user = UserFactory()

        signin(api_client, user.email, password="not-the-password")

        user.refresh_from_db()
        assert user.last_login is None
        assert not OutstandingToken.objects.filter(user=user).exists()

    def test_unknown_email_and_wrong_password_answer_alike(self, api_client):
        UserFactory(email="seller@example.com")

        unknown = signin(api_client, "nobody@example.com")
        wrong = signin(api_client, "seller@example.com", password="not-the-password")

        assert unknown.status_code == wrong.status_code == 400
        assert unknown.json() == wrong.json() == {"errors": [{"message": "Invalid credentials"}]}
        assert ACCESS not in wrong.cookies

    def test_invalid_email(self, api_client):
        response = signin(api_client, "nope")

        assert response.status_code == 400
        assert errors_of(response) == [{"message": "Email must be valid", "field": "email"}]

    @pytest.mark.parametrize("password", ["", None])
    def test_password_required(self, api_client, password):
        response = signin(api_client, "seller@example.com", password=password)

        assert response.status_code == 400
        assert errors_of(response) == [
            {"message": "You must supply a password", "field": "password"}
        ]

    @pytest.mark.parametrize("length", [4097, 100_000])
    def test_an_overlong_password_is_named_as_such(self, api_client, length):
        user = UserFactory()

        response = signin(api_client, user.email, password="x" * length)

        assert response.status_code == 400
        assert errors_of(response) == [
            {"message": "Password must be at most 4096 characters", "field": "password"}
        ]

    def test_the_longest_password_is_checked(self, api_client):
        user = UserFactory()

        response = signin(api_client, user.email, password="x" * 4096)

        assert response.status_code == 400
        assert messages_of(response) == ["Invalid credentials"]

    def test_deactivated_user_gets_the_same_answer(self, api_client):
        user = UserFactory(is_active=False)

        response = signin(api_client, user.email)

        assert response.status_code == 400
        assert messages_of(response) == ["Invalid credentials"]


class TestSignOut:
    def test_clears_cookies_and_ends_the_refresh_token(self, api_client):
        user = UserFactory()
        signed_in = signin(api_client, user.email)
        old_refresh = signed_in.cookies[REFRESH].value

        response = api_client.post("/api/users/signout")

        assert response.status_code == 200
        assert response.json() == {}
        for name in (ACCESS, REFRESH):
            assert response.cookies[name].value == ""
            assert response.cookies[name]["max-age"] == 0
            # Same attributes as when set, or some clients keep the HttpOnly original.
            assert response.cookies[name]["httponly"]
            assert response.cookies[name]["path"] == "/"
        refreshed = APIClient().post("/api/users/refresh", {"refresh": old_refresh}, format="json")
        assert refreshed.status_code == 401
        assert messages_of(refreshed) == ["Not authorized"]

    def test_without_a_session(self, api_client):
        response = api_client.post("/api/users/signout")

        assert response.status_code == 200

    def test_a_refresh_token_in_the_body_is_ended(self, api_client):
        tokens = session_start(user=UserFactory())

        response = api_client.post("/api/users/signout", {"refresh": tokens.refresh}, format="json")

        assert response.status_code == 200
        refreshed = APIClient().post(
            "/api/users/refresh", {"refresh": tokens.refresh}, format="json"
        )
        assert refreshed.status_code == 401

    def test_a_just_rotated_cookie_ends_its_successor_too(self, api_client):
        user = UserFactory()
        signin(api_client, user.email)
        # Another tab of the same browser rotated the cookie a moment ago; this one still
        # holds the old cookie, within the reuse window, when it signs out.
        other_tab = APIClient()
        other_tab.cookies[REFRESH] = api_client.cookies[REFRESH].value
        successor = other_tab.post("/api/users/refresh").cookies[REFRESH].value

        api_client.post("/api/users/signout")

        refreshed = APIClient().post("/api/users/refresh", {"refresh": successor}, format="json")
        assert refreshed.status_code == 401

    def test_only_the_signed_out_session_ends(self, api_client):
        user = UserFactory()
        other_device = session_start(user=user)
        signin(api_client, user.email)

        api_client.post("/api/users/signout")

        refreshed = APIClient().post(
            "/api/users/refresh", {"refresh": other_device.refresh}, format="json"
        )
        assert refreshed.status_code == 200

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param('{"refresh": null}', id="null"),
            pytest.param('{"refresh": 5}', id="a number"),
            pytest.param('{"refresh": ["x"]}', id="a list"),
            pytest.param("[]", id="not an object"),
            pytest.param("{", id="malformed JSON"),
            pytest.param('{"refresh": "\\ud800"}', id="a lone surrogate"),
            pytest.param("[" * 1000, id="nested too deeply"),
        ],
    )
    def test_has_no_error_case_a_body_it_cannot_read_names_no_token(self, api_client, body):
        user = UserFactory()
        cookie_refresh = signin(api_client, user.email).cookies[REFRESH].value

        response = api_client.post("/api/users/signout", body, content_type="application/json")

        assert response.status_code == 200
        assert response.json() == {}
        for name in (ACCESS, REFRESH):
            assert response.cookies[name].value == ""
        assert refresh_body(cookie_refresh).status_code == 401


class TestCurrentUser:
    def test_nobody_signed_in(self, api_client):
        response = api_client.get("/api/users/currentuser")

        assert response.status_code == 200
        assert response.json() == {"currentUser": None}

    def test_signed_in(self, api_client):
        user = UserFactory()
        signin(api_client, user.email)

        response = api_client.get("/api/users/currentuser")

        current = response.json()["currentUser"]
        assert current["id"] == str(user.id)
        assert current["email"] == user.email
        assert isinstance(current["iat"], int)

    def test_bearer_token(self, api_client):
        user = UserFactory()
        tokens = session_start(user=user)
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access}")

        response = api_client.get("/api/users/currentuser")

        assert response.json()["currentUser"]["id"] == str(user.id)

    def test_bad_bearer_token_is_nobody(self, api_client):
        api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")

        response = api_client.get("/api/users/currentuser")

        assert response.status_code == 200
        assert response.json() == {"currentUser": None}

    def test_expired_access_cookie_is_renewed_without_rotating_the_refresh_token(self, api_client):
        user = UserFactory()
        tokens = session_start(user=user)
        api_client.cookies[ACCESS] = expired_access(tokens.access)
        api_client.cookies[REFRESH] = tokens.refresh

        response = api_client.get("/api/users/currentuser")

        assert response.json()["currentUser"]["id"] == str(user.id)
        renewed = response.cookies[ACCESS]
        assert AccessToken(renewed.value)["id"] == str(user.id)
        assert renewed["httponly"]
        assert renewed["samesite"] == "Lax"
        assert REFRESH not in response.cookies
        # The refresh token is as good as before: nothing was used up.
        rotated = APIClient().post("/api/users/refresh", {"refresh": tokens.refresh}, format="json")
        assert rotated.status_code == 200

    def test_a_renderer_that_drops_set_cookie_stays_signed_in(self, settings):
        # The original Next.js client: on every page load its server forwards the cookies the
        # browser got at sign-in and never passes the answer's Set-Cookie back.
        settings.JWT_REFRESH_REUSE_SECONDS = 0  # each page load comes after any reuse window
        user = UserFactory()
        signed_in = signin(APIClient(), user.email)
        browser_cookies = {
            # Past its lifetime by the first page load, as every later one.
            ACCESS: expired_access(signed_in.cookies[ACCESS].value),
            REFRESH: signed_in.cookies[REFRESH].value,
        }

        for _page_load in range(3):
            renderer = APIClient()
            for name, value in browser_cookies.items():
                renderer.cookies[name] = value

            response = renderer.get("/api/users/currentuser")

            assert response.json()["currentUser"] is not None, _page_load
            assert response.json()["currentUser"]["id"] == str(user.id)

    def test_the_renewed_access_token_says_what_the_account_is_now(self, api_client):
        staff = UserFactory(is_staff=True)
        tokens = session_start(user=staff)
        User.objects.filter(pk=staff.pk).update(is_staff=False, email="moved@example.com")
        api_client.cookies[ACCESS] = expired_access(tokens.access)
        api_client.cookies[REFRESH] = tokens.refresh

        current = api_client.get("/api/users/currentuser").json()["currentUser"]

        assert current["isStaff"] is False
        assert current["email"] == "moved@example.com"

    def test_a_signed_out_refresh_cookie_is_nobody(self, api_client):
        tokens = session_start(user=UserFactory())
        session_end(refresh=tokens.refresh)
        api_client.cookies[ACCESS] = expired_access(tokens.access)
        api_client.cookies[REFRESH] = tokens.refresh

        response = api_client.get("/api/users/currentuser")

        assert response.json() == {"currentUser": None}
        assert response.cookies[REFRESH].value == ""

    def test_a_rotated_out_refresh_cookie_after_the_reuse_window_ends_the_session(
        self, api_client, settings
    ):
        settings.JWT_REFRESH_REUSE_SECONDS = 0
        tokens = session_start(user=UserFactory())
        rotated = APIClient().post("/api/users/refresh", {"refresh": tokens.refresh}, format="json")
        api_client.cookies[ACCESS] = expired_access(tokens.access)
        api_client.cookies[REFRESH] = tokens.refresh

        response = api_client.get("/api/users/currentuser")

        assert response.json() == {"currentUser": None}
        successor = rotated.json()["refresh"]
        again = APIClient().post("/api/users/refresh", {"refresh": successor}, format="json")
        assert again.status_code == 401

    def test_parallel_requests_with_one_expired_access_cookie_all_stay_signed_in(self):
        user = UserFactory()
        tokens = session_start(user=user)
        browser_tabs = [APIClient(), APIClient()]  # the same cookies, sent at once
        for client in browser_tabs:
            client.cookies[ACCESS] = expired_access(tokens.access)
            client.cookies[REFRESH] = tokens.refresh

        responses = [client.get("/api/users/currentuser") for client in browser_tabs]

        assert [r.json()["currentUser"]["id"] for r in responses] == [str(user.id)] * 2

    def test_invalid_refresh_cookie_signs_out(self, api_client):
        api_client.cookies[REFRESH] = "garbage"

        response = api_client.get("/api/users/currentuser")

        assert response.json() == {"currentUser": None}
        assert response.cookies[REFRESH].value == ""


class TestRefresh:
    def test_rotates_the_cookie(self, api_client, settings):
        settings.JWT_REFRESH_REUSE_SECONDS = 0  # no reuse window: the old token is spent at once
        user = UserFactory()
        old_refresh = signin(api_client, user.email).cookies[REFRESH].value

        response = api_client.post("/api/users/refresh")

        assert response.status_code == 200
        assert_session_cookies(response)
        new_refresh = response.cookies[REFRESH].value
        assert new_refresh != old_refresh
        assert RefreshToken(new_refresh)["id"] == str(user.id)
        replay = APIClient().post("/api/users/refresh", {"refresh": old_refresh}, format="json")
        assert replay.status_code == 401

    def test_rotates_a_body_token(self, api_client):
        tokens = session_start(user=UserFactory())

        response = api_client.post("/api/users/refresh", {"refresh": tokens.refresh}, format="json")

        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access", "refresh"}
        assert AccessToken(body["access"])["id"] == AccessToken(tokens.access)["id"]

    @pytest.mark.parametrize("refresh", [None, "garbage"])
    def test_without_a_valid_token(self, api_client, refresh):
        if refresh:
            api_client.cookies[REFRESH] = refresh

        response = api_client.post("/api/users/refresh")

        assert response.status_code == 401
        assert messages_of(response) == ["Not authorized"]

    def test_a_rotated_token_presented_after_the_reuse_window_ends_its_session(
        self, api_client, settings
    ):
        settings.JWT_REFRESH_REUSE_SECONDS = 0
        user = UserFactory()
        other_device = session_start(user=user)
        first = session_start(user=user).refresh
        second = refresh_body(first).json()["refresh"]
        third = refresh_body(second).json()["refresh"]

        stolen_replay = refresh_body(first)

        assert stolen_replay.status_code == 401
        # Whoever holds the newest token of that session, the thief or the owner, is out.
        assert refresh_body(third).status_code == 401
        assert refresh_body(other_device.refresh).status_code == 200

    def test_within_the_reuse_window_the_session_goes_on_then_reuse_ends_it(self, settings):
        settings.JWT_REFRESH_REUSE_SECONDS = 30
        first = session_start(user=UserFactory()).refresh
        second = refresh_body(first).json()["refresh"]

        parallel = refresh_body(first)
        reuse_window_end(first)
        late = refresh_body(first)

        assert parallel.status_code == 200
        assert parallel.json()["refresh"] == second
        assert late.status_code == 401
        assert refresh_body(second).status_code == 401

    def test_an_access_token_is_not_a_refresh_token(self, api_client):
        tokens = session_start(user=UserFactory())

        response = api_client.post("/api/users/refresh", {"refresh": tokens.access}, format="json")

        assert response.status_code == 401


def refresh_token_minted_by_the_key_holder(claims: dict) -> str:
    """A validly signed refresh token with whatever claims: only the key holder can make
    one, but what it carries must still never crash a view."""
    return jwt.encode(claims, jwt_test_key_pair()[0], algorithm="RS256")


def odd_claims(case: str) -> dict:
    """The claims of a refresh token of a live session, with one claim made odd."""
    user = UserFactory()
    claims = RefreshToken(session_start(user=user).refresh, verify=False).payload
    odd = {
        "exp far beyond any date": {"exp": 1e300},
        "exp a huge integer": {"exp": 10**30},
        "iat far beyond any date": {"iat": 1e300},
        "id not a UUID": {"id": "not-a-uuid"},
        "id not a string": {"id": {"not": "a string"}},
        "jti not a string": {"jti": {"not": "a string"}},
        "jti with a NUL": {"jti": "a\u0000b"},
    }
    if case == "no id":
        claims.pop("id")
        return claims
    if case == "id of another user":
        return {**claims, "id": str(UserFactory().id)}
    return {**claims, **odd[case]}


ODD_CLAIMS = [
    "exp far beyond any date",
    "exp a huge integer",
    "iat far beyond any date",
    "id not a UUID",
    "id not a string",
    "no id",
    "id of another user",
    "jti not a string",
    "jti with a NUL",
]


class TestRefreshTokensThatOpenNothing:
    """Whatever a presented refresh token carries, reading it either opens its session or
    opens nothing: never a 500."""

    @pytest.fixture
    def client(self):
        return APIClient(raise_request_exception=False)

    @pytest.mark.parametrize("case", ODD_CLAIMS)
    def test_refresh_from_the_body(self, client, case):
        token = refresh_token_minted_by_the_key_holder(odd_claims(case))

        response = client.post("/api/users/refresh", {"refresh": token}, format="json")

        assert response.status_code == 401
        assert messages_of(response) == ["Not authorized"]

    @pytest.mark.parametrize("case", ODD_CLAIMS)
    def test_refresh_from_the_cookie(self, client, case):
        client.cookies[REFRESH] = refresh_token_minted_by_the_key_holder(odd_claims(case))

        response = client.post("/api/users/refresh")

        assert response.status_code == 401

    @pytest.mark.parametrize("case", ODD_CLAIMS)
    def test_sign_out(self, client, case):
        token = refresh_token_minted_by_the_key_holder(odd_claims(case))
        client.cookies[REFRESH] = token

        response = client.post("/api/users/signout", {"refresh": token}, format="json")

        assert response.status_code == 200
        assert response.json() == {}
        assert response.cookies[REFRESH].value == ""

    @pytest.mark.parametrize("case", ODD_CLAIMS)
    def test_currentuser_renewal(self, client, case):
        client.cookies[REFRESH] = refresh_token_minted_by_the_key_holder(odd_claims(case))

        response = client.get("/api/users/currentuser")

        assert response.status_code == 200
        assert response.json() == {"currentUser": None}
        assert response.cookies[REFRESH].value == ""


class TestDeactivatedUser:
    def test_cannot_sign_in_or_refresh(self, api_client):
        user = UserFactory()
        tokens = session_start(user=user)

        user_deactivate(user=user)

        assert signin(api_client, user.email).status_code == 400
        api_client.cookies[REFRESH] = tokens.refresh
        assert api_client.post("/api/users/refresh").status_code == 401
        assert api_client.get("/api/users/currentuser").json() == {"currentUser": None}


class TestCrossSiteProtection:
    def test_other_origin_is_refused(self, api_client):
        response = api_client.post(
            "/api/users/signup",
            {"email": "x@example.com", "password": GOOD_PASSWORD},
            format="json",
            HTTP_ORIGIN="https://evil.example",
        )

        assert response.status_code == 403
        assert not User.objects.exists()

    def test_form_body_is_refused(self, api_client):
        response = api_client.post(
            "/api/users/signup", {"email": "x@example.com", "password": GOOD_PASSWORD}
        )

        assert response.status_code == 415
        assert messages_of(response) == ["Content-Type must be application/json"]
        assert not User.objects.exists()


class TestErrorFormat:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("get", "/api/users/nope"),
            ("get", "/api/users/"),
            ("post", "/api/users/signup/extra"),
            ("delete", "/api/users/signup"),
            ("get", "/api/users/signin"),
            ("put", "/api/users/currentuser"),
        ],
    )
    def test_unknown_routes_and_methods(self, api_client, method, path):
        response = getattr(api_client, method)(path)

        assert response.status_code == 404
        assert response.json() == {"errors": [{"message": "Not Found"}]}

    def test_malformed_json(self, api_client):
        response = api_client.post(
            "/api/users/signup", data="{not json", content_type="application/json"
        )

        assert response.status_code == 400
        assert messages_of(response) == ["Malformed JSON"]

    def test_a_json_array_body(self, api_client):
        response = api_client.post("/api/users/signup", [1, 2], format="json")

        assert response.status_code == 400
        assert "errors" in response.json()


def test_openapi_docs_are_served_without_a_cdn(api_client):
    schema = api_client.get("/api/users/schema", {"format": "json"})
    docs = api_client.get("/api/users/docs")

    assert schema.status_code == 200
    assert "/api/users/signup" in schema.json()["paths"]
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/api/users/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    # Every script, style and image comes from this origin: no URL names another host.
    assert re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", page) == []


class TestStringsOnly:
    @pytest.mark.parametrize("password", [12345678901, 1.5e20, True, ["a-long-passphrase"]])
    def test_a_password_that_is_not_a_string(self, api_client, password):
        response = signup(api_client, password=password)

        assert response.status_code == 400
        assert errors_of(response) == [
            {"message": "Password must be between 8 and 128 characters", "field": "password"}
        ]
        assert not User.objects.exists()

    def test_a_refresh_token_that_is_not_a_string(self, api_client):
        response = api_client.post("/api/users/refresh", {"refresh": 32934}, format="json")

        assert response.status_code == 400
        assert errors_of(response) == [{"message": "Not a valid string.", "field": "refresh"}]

    @pytest.mark.parametrize("refresh", ["a\\u0000b", "\\ud800", "a\\udfffb"])
    def test_any_string_as_refresh_token_is_just_a_token_that_opens_nothing(
        self, api_client, refresh
    ):
        response = api_client.post(
            "/api/users/refresh", f'{{"refresh": "{refresh}"}}', content_type="application/json"
        )

        assert response.status_code == 401
        assert messages_of(response) == ["Not authorized"]


class TestOpenApiSchema:
    @pytest.fixture
    def schema(self, api_client):
        return api_client.get("/api/users/schema", {"format": "json"}).json()

    def operation(self, schema, path, method="post"):
        return schema["paths"][f"/api/users/{path}"][method]

    def body_schema(self, schema, path):
        ref = self.operation(schema, path)["requestBody"]["content"]["application/json"]["schema"]
        return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]

    @pytest.mark.parametrize(
        ("path", "method", "statuses"),
        [
            ("signup", "post", {"201", "400", "403", "413", "415", "429", "500", "503"}),
            ("signin", "post", {"200", "400", "403", "413", "415", "429", "500", "503"}),
            # Sign-out has no error case of its own: only the guards around every view.
            ("signout", "post", {"200", "403", "413", "415", "500", "503"}),
            ("refresh", "post", {"200", "400", "401", "403", "413", "415", "500", "503"}),
            ("currentuser", "get", {"200", "403", "500", "503"}),
        ],
    )
    def test_every_answer_is_documented_errors_in_the_error_format(
        self, schema, path, method, statuses
    ):
        responses = self.operation(schema, path, method)["responses"]

        assert set(responses) == statuses
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                body = response["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/ErrorResponse"}, (path, status)
        error = schema["components"]["schemas"]["Error"]
        assert error["required"] == ["message"]
        assert set(error["properties"]) == {"message", "field"}

    def test_limits_answer_with_retry_after(self, schema):
        for path in ("signup", "signin"):
            headers = self.operation(schema, path)["responses"]["429"]["headers"]
            assert headers["Retry-After"]["required"] is True

    def test_signup_states_its_rules(self, schema):
        body = self.body_schema(schema, "signup")

        assert self.operation(schema, "signup")["requestBody"]["required"] is True
        assert body["required"] == ["email", "password"]
        assert body["properties"]["email"] == {
            "type": "string",
            "format": "email",
            "maxLength": 254,
        }
        assert body["properties"]["password"] == {
            "type": "string",
            "minLength": 8,
            "maxLength": 128,
        }

    def test_signin_states_its_rules(self, schema):
        body = self.body_schema(schema, "signin")
        bad_input = self.operation(schema, "signin")["responses"]["400"]

        assert body["required"] == ["email", "password"]
        assert body["properties"]["email"]["maxLength"] == 254
        assert body["properties"]["password"]["minLength"] == 1
        assert body["properties"]["password"]["maxLength"] == 4096
        examples = bad_input["content"]["application/json"]["examples"].values()
        assert "Password must be at most 4096 characters" in [e["summary"] for e in examples]

    def test_the_session_cookies_are_documented(self, schema):
        current = self.operation(schema, "currentuser", "get")
        cookies = {p["name"] for p in current["parameters"] if p["in"] == "cookie"}

        assert cookies == {ACCESS, REFRESH}
        assert "Set-Cookie" in current["responses"]["200"]["headers"]
        assert "Set-Cookie" in self.operation(schema, "signup")["responses"]["201"]["headers"]

    def test_the_known_device_cookie_is_documented(self, schema):
        device = settings.SIGNIN_DEVICE_COOKIE_NAME
        signin = self.operation(schema, "signin")
        sent = {p["name"]: p for p in signin["parameters"] if p["in"] == "cookie"}

        assert set(sent) == {device}
        assert "API clients" in sent[device]["description"]
        for path, status in (("signin", "200"), ("signup", "201")):
            headers = self.operation(schema, path)["responses"][status]["headers"]
            assert device in headers["Set-Cookie"]["description"]
