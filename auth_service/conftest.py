import pytest

pytest_plugins = ["ticketing_shared.testing.fixtures"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Production's PBKDF2 costs ~0.4 s a hash by design; no test here is about that cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
