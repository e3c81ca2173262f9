import base64
import hashlib
import hmac
import json
import uuid
from datetime import timedelta

import pytest
from django.conf import settings

from ticketing_shared.keys import generate_key_pair
from ticketing_shared.testing.keys import jwt_test_key_pair
from ticketing_shared.testing.tokens import access_token_mint


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged_token(header: dict, claims: dict, sign) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{sign(signing_input.encode())}"


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def whoami(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/sample/whoami")


@pytest.mark.django_db
def test_a_valid_token_names_the_user_without_touching_the_database(
    api_client, django_assert_num_queries
):
    user_id = uuid.uuid4()
    token = access_token_mint(user_id=user_id, email="a@example.com", is_staff=True)

    with django_assert_num_queries(0):
        response = whoami(api_client, token)

    assert response.status_code == 200
    assert response.json() == {"id": str(user_id), "email": "a@example.com", "isStaff": True}


def test_no_token_is_not_authorized(api_client):
    response = api_client.get("/api/sample/whoami")

    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": "Not authorized"}]}
    assert response["WWW-Authenticate"].startswith("Bearer")


def tampered():
    token = access_token_mint()
    header, _payload, signature = token.split(".")
    claims = claims_of(token)
    claims["is_staff"] = True
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


def expired():
    return access_token_mint(lifetime=-timedelta(seconds=5))


def signed_with_another_key():
    other_private_key, _ = generate_key_pair()
    return access_token_mint(signing_key=other_private_key)


def algorithm_none():
    claims = claims_of(access_token_mint())
    return forged_token({"alg": "none", "typ": "JWT"}, claims, lambda _: "")


def hs256_keyed_with_the_public_key():
    # The classic confusion attack: a verifier that lets the token pick the algorithm would
    # check this HMAC with the public key it holds, and accept it.
    public_key = jwt_test_key_pair()[1].encode()
    claims = claims_of(access_token_mint())
    return forged_token(
        {"alg": "HS256", "typ": "JWT"},
        claims,
        lambda data: b64(hmac.new(public_key, data, hashlib.sha256).digest()),
    )


def a_refresh_token():
    return access_token_mint(token_type="refresh")


@pytest.mark.parametrize(
    "make_token",
    [
        tampered,
        expired,
        signed_with_another_key,
        algorithm_none,
        hs256_keyed_with_the_public_key,
        a_refresh_token,
    ],
)
def test_bad_bearer_tokens_are_refused(api_client, make_token):
    response = whoami(api_client, make_token())

    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": "Not authorized"}]}


def test_the_cookie_signs_the_browser_in(api_client, sign_in):
    user = sign_in(api_client)

    response = api_client.get("/api/sample/whoami")

    assert response.json()["id"] == str(user.id)


def test_a_bad_cookie_is_a_signed_out_browser(api_client):
    api_client.cookies[settings.ACCESS_COOKIE_NAME] = expired()

    assert api_client.get("/api/sample/public").json() == {"signedIn": False}
    assert api_client.get("/api/sample/whoami").status_code == 401


def test_only_the_public_key_is_configured_here():
    assert settings.SIMPLE_JWT["SIGNING_KEY"] is None
    assert "PUBLIC KEY" in settings.SIMPLE_JWT["VERIFYING_KEY"]
