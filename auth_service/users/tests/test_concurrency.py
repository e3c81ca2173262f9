import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from users.models import User

SIGNUPS = 20


@pytest.fixture(autouse=True)
def _signups_from_one_address_allowed(settings):
    # Every thread signs up from the test client's one address; the limit is not under test.
    settings.SIGNUP_MAX_ATTEMPTS_PER_IP = SIGNUPS * 10


@pytest.mark.django_db(transaction=True)
def test_simultaneous_signups_with_one_email_create_one_user():
    start = threading.Barrier(SIGNUPS)

    def sign_up(n: int) -> int:
        email = "Race@Example.com" if n % 2 else "race@example.com"
        try:
            start.wait()
            response = APIClient().post(
                "/api/users/signup",
                {"email": email, "password": "a-long-and-unusual-passphrase"},
                format="json",
            )
            return response.status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=SIGNUPS) as pool:
        statuses = list(pool.map(sign_up, range(SIGNUPS)))

    assert sorted(statuses) == [201] + [400] * (SIGNUPS - 1)
    assert User.objects.filter(email__iexact="race@example.com").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("ascii_email", "look_alike"),
    [
        ("sam@example.com", "\u017fam@example.com"),  # UPPER() makes the long s an S
        ("ian@example.com", "\u0131an@example.com"),  # UPPER() makes the dotless i an I
    ],
)
def test_simultaneous_signups_of_look_alikes_leave_one_account_that_signs_in(
    ascii_email, look_alike
):
    start = threading.Barrier(SIGNUPS)

    def sign_up(n: int) -> tuple[str, int]:
        email = look_alike if n % 2 else ascii_email
        try:
            start.wait()
            response = APIClient().post(
                "/api/users/signup",
                {"email": email, "password": "a-long-and-unusual-passphrase"},
                format="json",
            )
            return email, response.status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=SIGNUPS) as pool:
        outcomes = list(pool.map(sign_up, range(SIGNUPS)))

    assert [email for email, status in outcomes if status == 201] == [ascii_email]
    assert list(User.objects.values_list("email", flat=True)) == [ascii_email]
    signed_in = APIClient().post(
        "/api/users/signin",
        {"email": ascii_email.upper(), "password": "a-long-and-unusual-passphrase"},
        format="json",
    )
    assert signed_in.status_code == 200
