import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from users.models import User

SIGNUPS = 20


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
