"""Loaded into every pytest run in the workspace (a `pytest11` entry point).

Django settings read the token keys from the environment when they are imported, which
pytest-django does before any conftest runs; this wrapper gets in first, so every test run
signs and verifies with a fresh test pair instead of whatever keys the machine has, and reads
an empty local state directory instead of the one `scripts/dev` filled (its env files name the
developer's databases, Redis and keys), so tests see only what they set themselves.
"""

import os
import tempfile

import pytest

from ticketing_shared.testing.keys import jwt_test_key_pair


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    private_pem, public_pem = jwt_test_key_pair()
    os.environ["JWT_PRIVATE_KEY"] = private_pem
    os.environ["JWT_PUBLIC_KEY"] = public_pem
    os.environ["TICKETING_ENV"] = "development"
    empty_state = tempfile.TemporaryDirectory(prefix="ticketing-test-state-")
    early_config.add_cleanup(empty_state.cleanup)
    os.environ["TICKETING_STATE_DIR"] = empty_state.name
    return (yield)
