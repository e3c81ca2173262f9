import re

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGN_IN = "/admin/users/login/"


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def sign_in_form(
    client: Client, email: str, password: str, next_path: str = "/admin/users/", **extra
):
    page = client.get(f"{SIGN_IN}?next={next_path}")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    return client.post(
        f"{SIGN_IN}?next={next_path}",
        {
            "username": email,
            "password": password,
            "next": next_path,
            "csrfmiddlewaretoken": token.group(1),
        },
        **extra,
    )


def test_anonymous_is_sent_to_sign_in():
    response = Client().get("/admin/users/")

    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)


def test_staff_signs_in_and_reaches_the_admin():
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = csrf_client()

    response = sign_in_form(client, staff.email, DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/admin/users/"
    assert response.cookies[settings.ACCESS_COOKIE_NAME]["httponly"]
    assert client.get("/admin/users/users/user/").status_code == 200


def test_the_form_needs_its_csrf_token():
    staff = UserFactory(is_staff=True)

    response = csrf_client().post(SIGN_IN, {"username": staff.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 403


def test_staff_signing_in_is_recorded():
    staff = UserFactory(is_staff=True)

    sign_in_form(csrf_client(), staff.email, DEFAULT_PASSWORD)

    staff.refresh_from_db()
    assert staff.last_login is not None
    assert OutstandingToken.objects.filter(user=staff).count() == 1


def test_a_user_who_is_not_staff_is_refused_and_no_session_is_started():
    user = UserFactory()
    client = csrf_client()

    response = sign_in_form(client, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 200
    assert settings.ACCESS_COOKIE_NAME not in response.cookies
    assert "staff account" in response.content.decode()
    user.refresh_from_db()
    assert user.last_login is None
    assert not OutstandingToken.objects.filter(user=user).exists()


def test_a_user_who_is_not_staff_is_counted_as_a_failure(settings):
    # Were it not, the limit would tell a guesser when a password is right.
    settings.SIGNIN_MAX_FAILURES_PER_EMAIL_AND_IP = 2
    user = UserFactory()
    client = csrf_client()

    for _ in range(2):
        sign_in_form(client, user.email, DEFAULT_PASSWORD)
    locked = sign_in_form(client, user.email, DEFAULT_PASSWORD)

    assert "Too many failed sign-in attempts" in locked.content.decode()


def test_wrong_password_is_refused_and_counted(settings):
    settings.SIGNIN_MAX_FAILURES_PER_EMAIL = 2
    staff = UserFactory(is_staff=True)
    client = csrf_client()

    first = sign_in_form(client, staff.email, "wrong-password")
    sign_in_form(client, staff.email, "wrong-password")
    locked = sign_in_form(client, staff.email, DEFAULT_PASSWORD)

    assert "correct email" in first.content.decode()
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert settings.ACCESS_COOKIE_NAME not in locked.cookies


def test_staff_who_signed_in_here_before_are_not_locked_out_by_guessing_elsewhere(settings):
    settings.SIGNIN_MAX_FAILURES_PER_EMAIL = 4
    staff = UserFactory(is_staff=True, is_superuser=True)
    own_browser = csrf_client()
    signed_in = sign_in_form(own_browser, staff.email, DEFAULT_PASSWORD)
    assert signed_in.cookies[settings.SIGNIN_DEVICE_COOKIE_NAME]["httponly"]
    for session_cookie in (settings.ACCESS_COOKIE_NAME, settings.REFRESH_COOKIE_NAME):
        del own_browser.cookies[session_cookie]  # the session is over; the device is known
    for n in range(4):  # an attacker, from addresses of their own
        sign_in_form(csrf_client(), staff.email, "wrong-password", REMOTE_ADDR=f"198.51.100.{n}")

    again = sign_in_form(own_browser, staff.email, DEFAULT_PASSWORD)
    other_browser = sign_in_form(csrf_client(), staff.email, DEFAULT_PASSWORD)

    assert again.status_code == 302
    assert "Too many failed sign-in attempts" in other_browser.content.decode()


def test_an_api_session_of_a_staff_member_opens_the_admin():
    staff = UserFactory(is_staff=True, is_superuser=True)
    api = APIClient()
    api.post(
        "/api/users/signin", {"email": staff.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    response = api.get("/admin/users/users/user/")

    assert response.status_code == 200


def test_a_next_outside_the_site_is_ignored():
    staff = UserFactory(is_staff=True)

    response = sign_in_form(csrf_client(), staff.email, DEFAULT_PASSWORD, "https://evil.example/")

    assert response["Location"] == "/admin/users/"


def test_sign_out_clears_cookies_and_ends_the_session():
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    sign_in_form(client, staff.email, DEFAULT_PASSWORD)
    refresh = client.cookies[settings.REFRESH_COOKIE_NAME].value

    response = client.post("/admin/users/logout/")

    assert response.status_code == 302
    assert response.cookies[settings.ACCESS_COOKIE_NAME].value == ""
    assert client.get("/admin/users/").status_code == 302
    replay = APIClient().post("/api/users/refresh", {"refresh": refresh}, format="json")
    assert replay.status_code == 401


@pytest.mark.parametrize(
    "look_alike",
    [
        "\u017ftaff@example.com",  # the long s
        "\uff53taff@example.com",  # a full-width s
        "staff\uff20example.com",  # a full-width @
        "sta\ufb00@example.com",  # the ff ligature
    ],
)
def test_a_look_alike_of_a_staff_email_is_refused_as_the_api_refuses_it(look_alike):
    # Django's username field folds these into staff@example.com (NFKC) before any check.
    UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    client = csrf_client()

    response = sign_in_form(client, look_alike, DEFAULT_PASSWORD)

    assert response.status_code == 200
    assert "Email must be valid" in response.content.decode()
    assert settings.ACCESS_COOKIE_NAME not in response.cookies
    assert client.get("/admin/users/").status_code == 302
