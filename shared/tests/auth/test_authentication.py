import uuid

import jwt
import pytest
from django.conf import settings

from tests.auth.forged_tokens import REFUSED_TOKENS, SIGNED_BAD_CLAIMS, claims_of
from ticketing_shared.testing.keys import jwt_test_key_pair
from ticketing_shared.testing.tokens import access_token_mint

NOT_AUTHORIZED = {"errors": [{"message": "Not authorized"}]}


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
    assert response.json() == NOT_AUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("make_token", REFUSED_TOKENS)
def test_bad_bearer_tokens_are_refused(api_client, make_token):
    response = whoami(api_client, make_token())

    assert response.status_code == 401
    assert response.json() == NOT_AUTHORIZED


def test_the_cookie_signs_the_browser_in(api_client, sign_in):
    user = sign_in(api_client)

    response = api_client.get("/api/sample/whoami")

    assert response.json()["id"] == str(user.id)


@pytest.mark.parametrize("make_token", REFUSED_TOKENS)
def test_a_bad_cookie_is_a_signed_out_browser(api_client, make_token):
    # Forged cookies above all: the cookie path checks the signature as the header does.
    api_client.cookies[settings.ACCESS_COOKIE_NAME] = make_token()

    assert api_client.get("/api/sample/public").json() == {"signedIn": False}
    response = api_client.get("/api/sample/whoami")
    assert response.status_code == 401
    assert response.json() == NOT_AUTHORIZED


@pytest.mark.parametrize("user_id", ["not-a-uuid", "", 42, None, ["a"]])
def test_a_signed_token_whose_id_is_not_a_uuid_is_refused(api_client, user_id):
    # Only the key holder could mint one; a slip there must still not be a 500 everywhere.
    token = access_token_mint(id=user_id)

    response = whoami(api_client, token)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHORIZED


@pytest.mark.parametrize("claims", SIGNED_BAD_CLAIMS.values(), ids=SIGNED_BAD_CLAIMS)
def test_a_signed_token_with_claims_of_the_wrong_type_or_range_is_refused(api_client, claims):
    response = whoami(api_client, access_token_mint(**claims))

    assert response.status_code == 401
    assert response.json() == NOT_AUTHORIZED


@pytest.mark.parametrize("claims", SIGNED_BAD_CLAIMS.values(), ids=SIGNED_BAD_CLAIMS)
def test_a_cookie_with_claims_of_the_wrong_type_or_range_is_a_signed_out_browser(
    api_client, claims
):
    api_client.cookies[settings.ACCESS_COOKIE_NAME] = access_token_mint(**claims)

    assert api_client.get("/api/sample/public").json() == {"signedIn": False}
    assert api_client.get("/api/sample/whoami").status_code == 401


def test_a_signed_token_without_an_id_is_refused(api_client):
    claims = claims_of(access_token_mint())
    del claims["id"]
    token = jwt.encode(claims, jwt_test_key_pair()[0], algorithm="RS256")

    response = whoami(api_client, token)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHORIZED


def test_a_cookie_whose_id_is_not_a_uuid_is_a_signed_out_browser(api_client):
    api_client.cookies[settings.ACCESS_COOKIE_NAME] = access_token_mint(id="not-a-uuid")

    assert api_client.get("/api/sample/public").json() == {"signedIn": False}
    assert api_client.get("/api/sample/whoami").status_code == 401


@pytest.mark.parametrize(
    "authorization", ["Basic dXNlcjpwYXNz", "Digest username=x", "Token abc", "", "  "]
)
def test_an_authorization_header_of_another_scheme_leaves_the_cookie_in_charge(
    api_client, sign_in, authorization
):
    # Some proxies and tools add their own `Authorization`; it names no token of ours.
    user = sign_in(api_client)

    response = api_client.get("/api/sample/whoami", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 200
    assert response.json()["id"] == str(user.id)


@pytest.mark.parametrize("authorization", ["Bearer", "Bearer not-a-token", "Bearer a b"])
def test_a_bad_bearer_header_is_refused_even_with_a_good_cookie(api_client, sign_in, authorization):
    # A bearer header is the caller's explicit choice: its mistake is not papered over.
    sign_in(api_client)

    response = api_client.get("/api/sample/whoami", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHORIZED


def test_only_the_public_key_is_configured_here():
    assert settings.SIMPLE_JWT["SIGNING_KEY"] is None
    assert "PUBLIC KEY" in settings.SIMPLE_JWT["VERIFYING_KEY"]
