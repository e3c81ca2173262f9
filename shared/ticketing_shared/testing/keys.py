"""The key pair that signs tokens in tests: made once per test run, never written to disk."""

import functools

from ticketing_shared.keys import generate_key_pair


@functools.cache
def jwt_test_key_pair() -> tuple[str, str]:
    return generate_key_pair()
