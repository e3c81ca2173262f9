from django.conf import settings

from ticketing_shared.testing.keys import jwt_test_key_pair


def test_tests_read_no_local_runners_state():
    """`scripts/dev` leaves env files naming the developer's databases and Redis in `.local/`;
    a test run must not pick them up."""
    assert settings.LOCAL_STATE_DIR != settings.REPOSITORY_DIR / ".local"
    assert not any(settings.LOCAL_STATE_DIR.iterdir())


def test_tests_sign_with_the_test_key_pair():
    assert settings.SIMPLE_JWT["VERIFYING_KEY"] == jwt_test_key_pair()[1]
