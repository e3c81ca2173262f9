import environ
import jwt

from ticketing_shared.keys import generate_key_pair, read_pem


def test_a_generated_pair_signs_and_verifies():
    private_pem, public_pem = generate_key_pair()

    token = jwt.encode({"id": "x"}, private_pem, algorithm="RS256")

    assert jwt.decode(token, public_pem, algorithms=["RS256"]) == {"id": "x"}


def test_a_key_in_a_variable_may_carry_escaped_newlines(monkeypatch):
    monkeypatch.setenv("SOME_KEY", "-----BEGIN-----\\nabc\\n-----END-----")

    assert read_pem(environ.Env(), "SOME_KEY") == "-----BEGIN-----\nabc\n-----END-----"


def test_the_variable_wins_over_the_file(monkeypatch, tmp_path):
    (tmp_path / "key.pem").write_text("FROM FILE")
    monkeypatch.setenv("SOME_KEY", "FROM VARIABLE")
    monkeypatch.setenv("SOME_KEY_FILE", str(tmp_path / "key.pem"))

    assert read_pem(environ.Env(), "SOME_KEY") == "FROM VARIABLE"


def test_a_named_file_then_the_default_file(monkeypatch, tmp_path):
    (tmp_path / "named.pem").write_text("NAMED")
    (tmp_path / "default.pem").write_text("DEFAULT")
    monkeypatch.delenv("SOME_KEY", raising=False)
    monkeypatch.setenv("SOME_KEY_FILE", str(tmp_path / "named.pem"))

    assert read_pem(environ.Env(), "SOME_KEY", default_file=tmp_path / "default.pem") == "NAMED"

    monkeypatch.delenv("SOME_KEY_FILE")
    assert read_pem(environ.Env(), "SOME_KEY", default_file=tmp_path / "default.pem") == "DEFAULT"


def test_no_key_anywhere_is_none(monkeypatch, tmp_path):
    monkeypatch.delenv("SOME_KEY", raising=False)
    monkeypatch.delenv("SOME_KEY_FILE", raising=False)

    assert read_pem(environ.Env(), "SOME_KEY", default_file=tmp_path / "missing.pem") is None
