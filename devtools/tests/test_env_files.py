import stat

import environ
import pytest

from ticketing_devtools.cli import django_env, frontend_backend_urls
from ticketing_devtools.env_files import env_file_render, env_file_write
from ticketing_devtools.errors import SetupError
from ticketing_devtools.paths import LocalState
from ticketing_devtools.private_redis import PrivateRedis
from ticketing_devtools.services import relocated
from ticketing_shared.registry import SERVICES, SERVICES_BY_NAME

AUTH = SERVICES_BY_NAME["auth"]
TICKETS = SERVICES_BY_NAME["tickets"]
FRONTEND = SERVICES_BY_NAME["frontend"]


def read_back(path, monkeypatch) -> dict[str, str]:
    """What the shared settings get from the file: django-environ's own reading of it."""
    read: dict[str, str] = {}
    monkeypatch.setattr(environ.Env, "ENVIRON", read)
    environ.Env.read_env(path, overwrite=False)
    return read


def test_a_copys_file_names_its_database_redis_keys_and_secret(tmp_path, monkeypatch):
    state = LocalState(tmp_path / "copy")
    [auth] = relocated([AUTH], port_base=21001, database_suffix="_copy")
    redis = PrivateRedis(21006, state.redis_dir)
    env = django_env(auth, state, "the-secret", base={"PATH": "/x"}, redis_urls=redis.urls())
    path = state.env_dir / "auth.env"

    env_file_write(path, "auth", env)

    assert read_back(path, monkeypatch) == {
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/ticketing_auth_copy",
        "REDIS_URL": "redis://127.0.0.1:21006/1",
        "CELERY_BROKER_URL": "redis://127.0.0.1:21006/0",
        "JWT_PUBLIC_KEY_FILE": str(state.keys_dir / "jwt-public.pem"),
        "JWT_PRIVATE_KEY_FILE": str(state.keys_dir / "jwt-private.pem"),
        "DJANGO_SECRET_KEY": "the-secret",
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_only_the_token_signer_gets_the_private_key_and_the_usual_run_no_redis(
    tmp_path, monkeypatch
):
    state = LocalState(tmp_path)
    path = tmp_path / "tickets.env"

    env_file_write(path, "tickets", django_env(TICKETS, state, "s", base={}))

    assert set(read_back(path, monkeypatch)) == {
        "DATABASE_URL",
        "JWT_PUBLIC_KEY_FILE",
        "DJANGO_SECRET_KEY",
    }


def test_the_frontends_file_names_no_database_and_the_copys_apis(tmp_path, monkeypatch):
    """It keeps no data: `manage.py` in its folder is told of no database, the copy's Redis,
    keys and APIs all the same (not the usual run's ports)."""
    state = LocalState(tmp_path / "copy")
    services = relocated(SERVICES, port_base=21001, database_suffix="_copy")
    frontend = next(service for service in services if service.is_catch_all)
    redis = PrivateRedis(21006, state.redis_dir)
    env = django_env(
        frontend,
        state,
        "the-secret",
        base={},
        redis_urls=redis.urls(),
        backend_urls=frontend_backend_urls(services),
    )
    path = state.env_dir / "frontend.env"

    env_file_write(path, "frontend", env)

    assert read_back(path, monkeypatch) == {
        "REDIS_URL": "redis://127.0.0.1:21006/1",
        "CELERY_BROKER_URL": "redis://127.0.0.1:21006/0",
        "JWT_PUBLIC_KEY_FILE": str(state.keys_dir / "jwt-public.pem"),
        "DJANGO_SECRET_KEY": "the-secret",
        "FRONTEND_AUTH_URL": "http://127.0.0.1:21001",
        "FRONTEND_TICKETS_URL": "http://127.0.0.1:21002",
        "FRONTEND_ORDERS_URL": "http://127.0.0.1:21003",
        "FRONTEND_PAYMENTS_URL": "http://127.0.0.1:21004",
    }


def test_how_the_runner_serves_stays_out_of_the_file(tmp_path):
    # The gateway's proxy count would mislead a command or a test run in the folder.
    env = django_env(AUTH, LocalState(tmp_path), "s", base={"DJANGO_DEBUG": "false"})

    rendered = env_file_render("auth", env)

    assert env["TRUSTED_PROXY_COUNT"] == "1"
    for name in ("TRUSTED_PROXY_COUNT", "DJANGO_DEBUG", "PYTHONUNBUFFERED", "TICKETING_STATE_DIR"):
        assert f"{name}=" not in rendered


@pytest.mark.parametrize(
    "value",
    [
        'quote " inside',
        "single ' inside",
        "'wholly single-quoted'",
        '"wholly double-quoted"',
        "back\\slash and \\n and \\\\ two",
        "hash # not a comment",
        "dollar $HOME inside",
        "  spaces around  ",
        "",
    ],
)
def test_any_value_reads_back_unchanged(tmp_path, monkeypatch, value):
    path = tmp_path / "auth.env"

    env_file_write(path, "auth", {"DJANGO_SECRET_KEY": value})

    assert read_back(path, monkeypatch) == {"DJANGO_SECRET_KEY": value}


@pytest.mark.parametrize(
    ("value", "message"),
    [("two\nlines", "line break"), ("$OTHER", "starts with \\$")],
)
def test_values_an_env_file_cannot_hold_are_refused(tmp_path, value, message):
    with pytest.raises(SetupError, match=message):
        env_file_write(tmp_path / "auth.env", "auth", {"DATABASE_URL": value})

    assert not (tmp_path / "auth.env").exists()


def test_a_new_start_replaces_the_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "auth.env"
    env_file_write(path, "auth", {"REDIS_URL": "redis://127.0.0.1:21006/1", "DATABASE_URL": "a"})

    env_file_write(path, "auth", {"DATABASE_URL": "b"})

    assert read_back(path, monkeypatch) == {"DATABASE_URL": "b"}
    assert [p.name for p in tmp_path.iterdir()] == ["auth.env"]
