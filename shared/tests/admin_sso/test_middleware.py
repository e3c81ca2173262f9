import uuid
from datetime import timedelta

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.auth.forged_tokens import REFUSED_TOKENS, SIGNED_BAD_CLAIMS, claims_of
from ticketing_shared.testing.keys import jwt_test_key_pair
from ticketing_shared.testing.tokens import access_token_mint

SIGN_IN = "/admin/users/login/?next=%2Fadmin%2Fsample%2F"

pytestmark = pytest.mark.django_db


def client_with_token(**claims) -> Client:
    client = Client()
    client.cookies["access_token"] = access_token_mint(**claims)
    return client


def test_a_staff_token_opens_the_admin_as_a_shadow_user():
    client = client_with_token(email="staff@example.com", is_staff=True, is_superuser=True)

    response = client.get("/admin/sample/")

    assert response.status_code == 200
    shadow = get_user_model().objects.get(email="staff@example.com")
    assert shadow.is_staff
    assert shadow.is_superuser
    assert not shadow.has_usable_password()


def test_the_shadow_user_follows_the_token():
    user_id = uuid.uuid4()
    client_with_token(user_id=user_id, email="old@example.com", is_staff=True).get("/admin/sample/")

    client_with_token(user_id=user_id, email="new@example.com", is_staff=True).get("/admin/sample/")

    shadow = get_user_model().objects.get(username=str(user_id))
    assert shadow.email == "new@example.com"
    assert get_user_model().objects.count() == 1


@pytest.mark.parametrize(
    "make_client",
    # Built in the test: a token minted at collection could have expired by the time it ran,
    # and the test would pass for the wrong reason.
    [Client, lambda: client_with_token(is_staff=False)],
    ids=["anonymous", "not staff"],
)
def test_others_are_sent_to_sign_in(make_client):
    response = make_client().get("/admin/sample/", follow=True)

    assert response.redirect_chain[-1] == (SIGN_IN, 302)
    assert not get_user_model().objects.exists()


def test_an_expired_token_is_sent_to_sign_in():
    client = client_with_token(is_staff=True, lifetime=-timedelta(seconds=1))

    assert client.get("/admin/sample/").status_code == 302


@pytest.mark.parametrize("make_token", REFUSED_TOKENS)
def test_a_forged_staff_cookie_does_not_open_the_admin(make_token):
    client = Client()
    client.cookies["access_token"] = make_token(is_staff=True, is_superuser=True)

    response = client.get("/admin/sample/", follow=True)

    assert response.redirect_chain[-1] == (SIGN_IN, 302)
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("user_id", ["not-a-uuid", "", 42, None])
def test_a_staff_cookie_whose_id_is_not_a_uuid_is_anonymous(user_id):
    client = client_with_token(id=user_id, is_staff=True, is_superuser=True)

    response = client.get("/admin/sample/", follow=True)

    assert response.redirect_chain[-1] == (SIGN_IN, 302)
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("claims", SIGNED_BAD_CLAIMS.values(), ids=SIGNED_BAD_CLAIMS)
def test_a_staff_cookie_with_claims_of_the_wrong_type_or_range_is_anonymous(claims):
    client = client_with_token(**{"is_staff": True, "is_superuser": True, **claims})

    response = client.get("/admin/sample/", follow=True)

    assert response.redirect_chain[-1] == (SIGN_IN, 302)
    assert not get_user_model().objects.exists()


def test_a_staff_cookie_without_an_id_is_anonymous():
    claims = {**claims_of(access_token_mint(is_staff=True, is_superuser=True))}
    del claims["id"]
    client = Client()
    client.cookies["access_token"] = jwt.encode(claims, jwt_test_key_pair()[0], algorithm="RS256")

    response = client.get("/admin/sample/", follow=True)

    assert response.redirect_chain[-1] == (SIGN_IN, 302)


def test_signing_out_clears_the_cookies():
    client = client_with_token(is_staff=True)

    response = client.post("/admin/sample/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/users/login/"
    assert response.cookies["access_token"].value == ""
    assert response.cookies["refresh_token"].value == ""
