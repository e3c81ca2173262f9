import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from ticketing_shared.testing.tokens import access_token_mint

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
    import uuid

    user_id = uuid.uuid4()
    client_with_token(user_id=user_id, email="old@example.com", is_staff=True).get("/admin/sample/")

    client_with_token(user_id=user_id, email="new@example.com", is_staff=True).get("/admin/sample/")

    shadow = get_user_model().objects.get(username=str(user_id))
    assert shadow.email == "new@example.com"
    assert get_user_model().objects.count() == 1


@pytest.mark.parametrize(
    "client", [Client(), client_with_token(is_staff=False)], ids=["anonymous", "not staff"]
)
def test_others_are_sent_to_sign_in(client):
    response = client.get("/admin/sample/", follow=True)

    assert response.redirect_chain[-1] == ("/admin/users/login/?next=%2Fadmin%2Fsample%2F", 302)
    assert not get_user_model().objects.exists()


def test_an_expired_token_is_sent_to_sign_in():
    from datetime import timedelta

    client = client_with_token(is_staff=True, lifetime=-timedelta(seconds=1))

    assert client.get("/admin/sample/").status_code == 302


def test_signing_out_clears_the_cookies():
    client = client_with_token(is_staff=True)

    response = client.post("/admin/sample/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/users/login/"
    assert response.cookies["access_token"].value == ""
    assert response.cookies["refresh_token"].value == ""
