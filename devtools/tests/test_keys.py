import stat

import pytest
from cryptography.hazmat.primitives import serialization

from ticketing_devtools.errors import SetupError
from ticketing_devtools.keys import ensure_jwt_keys, ensure_secret_key


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_generates_a_matching_pair_with_a_private_private_key(tmp_path):
    private, public = ensure_jwt_keys(tmp_path / "keys", say=lambda _: None)

    assert mode(private) == 0o600
    private_key = serialization.load_pem_private_key(private.read_bytes(), password=None)
    public_key = serialization.load_pem_public_key(public.read_bytes())
    assert private_key.key_size == 2048
    assert private_key.public_key().public_numbers() == public_key.public_numbers()


def test_never_overwrites_existing_keys(tmp_path):
    messages = []
    private, public = ensure_jwt_keys(tmp_path, say=messages.append)
    before = private.read_text(), public.read_text()

    assert ensure_jwt_keys(tmp_path, say=messages.append) == (private, public)

    assert (private.read_text(), public.read_text()) == before
    assert "existing" in messages[-1]


def test_a_lone_key_file_is_reported_not_replaced(tmp_path):
    lone = tmp_path / "jwt-public.pem"
    lone.write_text("kept")

    with pytest.raises(SetupError, match=r"only .*jwt-public\.pem exists"):
        ensure_jwt_keys(tmp_path, say=lambda _: None)

    assert lone.read_text() == "kept"
    assert not (tmp_path / "jwt-private.pem").exists()


def test_secret_key_is_made_once_and_kept(tmp_path):
    path = tmp_path / "local" / "secret-key"

    first = ensure_secret_key(path, say=lambda _: None)
    second = ensure_secret_key(path, say=lambda _: None)

    assert len(first) >= 50
    assert first == second
    assert mode(path) == 0o600
