import pytest
from django.db import IntegrityError

from users.models import User

pytestmark = pytest.mark.django_db


def test_the_database_refuses_one_email_in_two_letter_cases():
    User.objects.bulk_create([User(email="case@example.com")])

    with pytest.raises(IntegrityError):
        # bulk_create skips every Python-side normalization: only the index stands in the way.
        User.objects.bulk_create([User(email="CASE@example.com")])


def test_signing_in_by_email_ignores_letter_case():
    user = User.objects.create_user("person@example.com", "a-long-and-unusual-passphrase")

    assert User.objects.get_by_natural_key("PERSON@Example.com") == user
