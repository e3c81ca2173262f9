import subprocess
import sys

import pytest

from ticketing_devtools.cli import banner, dev_arguments, django_env, service_processes
from ticketing_devtools.paths import LocalState
from ticketing_devtools.private_redis import PrivateRedis
from ticketing_devtools.services import SERVICES_BY_NAME, relocated

AUTH = SERVICES_BY_NAME["auth"]
TICKETS = SERVICES_BY_NAME["tickets"]
FRONTEND = SERVICES_BY_NAME["frontend"]


def test_only_auth_gets_the_private_key(tmp_path):
    state = LocalState(tmp_path / "state")

    auth = django_env(AUTH, state, "secret", base={})
    tickets = django_env(TICKETS, state, "secret", base={})

    assert auth["JWT_PRIVATE_KEY_FILE"] == str(tmp_path / "state/keys/jwt-private.pem")
    assert "JWT_PRIVATE_KEY_FILE" not in tickets
    for env in (auth, tickets):
        assert env["JWT_PUBLIC_KEY_FILE"] == str(tmp_path / "state/keys/jwt-public.pem")
        assert env["TICKETING_ENV"] == "development"
        assert env["DJANGO_SECRET_KEY"] == "secret"
        assert env["TRUSTED_PROXY_COUNT"] == "1"
        assert env["PYTHONUNBUFFERED"] == "1"
    assert auth["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/ticketing_auth"
    assert tickets["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/ticketing_tickets"


def test_the_local_state_of_a_checkout_is_its_dot_local(tmp_path):
    state = LocalState.of_repo(tmp_path)

    assert state.keys_dir == tmp_path / ".local/keys"
    assert state.gateway_dir == tmp_path / ".local/gateway"


def test_the_users_own_settings_win_except_a_shared_database_url(tmp_path):
    base = {"DATABASE_URL": "postgres://me@elsewhere/db", "TICKETING_ENV": "staging", "PATH": "/x"}

    env = django_env(AUTH, LocalState(tmp_path), "secret", base=base)

    # One DATABASE_URL for every service would have them share a database: ignored.
    assert env["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/ticketing_auth"
    assert env["TICKETING_ENV"] == "staging"
    assert env["PATH"] == "/x"


def test_a_per_service_database_url_wins_for_that_service_only(tmp_path):
    base = {"AUTH_DATABASE_URL": "postgres://me@elsewhere/mine"}

    auth = django_env(AUTH, LocalState(tmp_path), "secret", base=base)
    tickets = django_env(TICKETS, LocalState(tmp_path), "secret", base=base)

    assert auth["DATABASE_URL"] == "postgres://me@elsewhere/mine"
    assert tickets["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/ticketing_tickets"


def test_the_database_suffix_reaches_the_database_url(tmp_path):
    [auth] = relocated([AUTH], database_suffix="_e2e_1f")

    env = django_env(auth, LocalState(tmp_path), "secret", base={})

    assert env["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/ticketing_auth_e2e_1f"


def test_a_copys_own_redis_wins_over_the_users(tmp_path):
    base = {
        "REDIS_URL": "redis://127.0.0.1:6379/1",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    }
    private = PrivateRedis(21006, tmp_path / "redis")

    copy = django_env(AUTH, LocalState(tmp_path), "s", base=base, redis_urls=private.urls())
    usual = django_env(AUTH, LocalState(tmp_path), "s", base=base)

    assert copy["REDIS_URL"] == "redis://127.0.0.1:21006/1"
    assert copy["CELERY_BROKER_URL"] == "redis://127.0.0.1:21006/0"
    assert usual["REDIS_URL"] == "redis://127.0.0.1:6379/1"


def test_services_are_told_this_runs_state_directory_whatever_the_user_said(tmp_path):
    env = django_env(AUTH, LocalState(tmp_path / "copy"), "s", base={"TICKETING_STATE_DIR": "/x"})

    assert env["TICKETING_STATE_DIR"] == str(tmp_path / "copy")


def test_database_url_follows_pghost(tmp_path):
    env = django_env(AUTH, LocalState(tmp_path), "s", base={"PGHOST": "/run/pg", "PGPORT": "5433"})
    assert env["DATABASE_URL"] == "postgres://postgres@%2Frun%2Fpg:5433/ticketing_auth"


def test_processes_per_mode(tmp_path):
    state = LocalState(tmp_path)
    plain = service_processes(AUTH, tmp_path, state, {}, use_gunicorn=False)
    without_worker = service_processes(FRONTEND, tmp_path, state, {}, use_gunicorn=False)
    worker = service_processes(TICKETS, tmp_path, state, {}, use_gunicorn=True)

    assert [p.name for p in without_worker] == ["frontend"]
    assert [p.name for p in plain] == ["auth", "auth-worker", "auth-beat"]
    assert plain[0].argv[1:] == ["manage.py", "runserver", "127.0.0.1:8001"]
    assert plain[0].cwd == tmp_path / "auth_service"
    assert [p.name for p in worker] == ["tickets", "tickets-worker", "tickets-beat"]
    assert worker[0].argv[1:5] == ["-m", "gunicorn", "-c", "python:ticketing_shared.gunicorn_conf"]
    assert worker[0].argv[-1] == "config.wsgi:application"
    assert "127.0.0.1:8002" in worker[0].argv


def test_moved_services_listen_on_their_moved_ports(tmp_path):
    auth, tickets = relocated([AUTH, TICKETS], port_base=19001)

    for service, address in ((auth, "127.0.0.1:19001"), (tickets, "127.0.0.1:19002")):
        state = LocalState(tmp_path)
        [web, *_] = service_processes(service, tmp_path, state, {}, use_gunicorn=False)
        assert web.argv[-1] == address


def test_options_default_to_the_usual_run():
    args = dev_arguments([], env={})

    assert (args.port, args.service_port_base, args.database_suffix) == (8000, 8001, "")
    assert args.state_dir is None


def test_options_come_from_the_environment_and_the_command_line_wins(tmp_path):
    env = {
        "TICKETING_SERVICE_PORT_BASE": "9001",
        "TICKETING_STATE_DIR": str(tmp_path),
        "TICKETING_DATABASE_SUFFIX": "_env",
    }

    from_env = dev_arguments([], env=env)
    from_argv = dev_arguments(
        ["--service-port-base", "7001", "--state-dir", "/x", "--database-suffix", "_cli"], env=env
    )

    assert (from_env.service_port_base, from_env.state_dir, from_env.database_suffix) == (
        9001,
        tmp_path,
        "_env",
    )
    assert (from_argv.service_port_base, str(from_argv.state_dir), from_argv.database_suffix) == (
        7001,
        "/x",
        "_cli",
    )


def test_a_bad_port_base_in_the_environment_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        dev_arguments([], env={"TICKETING_SERVICE_PORT_BASE": "lots"})

    assert exit_info.value.code == 2
    assert "--service-port-base: invalid int value: 'lots'" in capsys.readouterr().err


def test_banner_lists_docs_and_admin():
    lines = banner([AUTH], 8000)

    assert lines[0] == "Ticketing is running at http://localhost:8000/"
    assert any(line.endswith("http://localhost:8000/api/users/docs") for line in lines)
    assert any(line.endswith("http://localhost:8000/admin/users/") for line in lines)


def test_test_command_help():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from ticketing_devtools.cli import test; sys.exit(test())",
            "--help",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("usage: ticketing-test")
