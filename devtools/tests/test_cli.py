import subprocess
import sys

import pytest

from ticketing_devtools.cli import (
    banner,
    dev_arguments,
    django_env,
    frontend_backend_urls,
    is_usual_run,
    run_state,
    service_processes,
)
from ticketing_devtools.errors import SetupError
from ticketing_devtools.paths import LocalState
from ticketing_devtools.private_redis import PrivateRedis
from ticketing_devtools.services import relocated
from ticketing_shared.registry import SERVICES, SERVICES_BY_NAME

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


def test_the_frontend_gets_no_database_and_this_runs_apis(tmp_path):
    """It keeps no data: no DATABASE_URL (the runner creates and migrates none for it). It
    reads the APIs at this run's ports, whatever the user's environment says."""
    base = {
        "FRONTEND_AUTH_URL": "http://elsewhere.example:9999",
        "DATABASE_URL": "postgres://me@elsewhere/db",
        "PATH": "/x",
    }

    env = django_env(
        FRONTEND, LocalState(tmp_path), "s", base=base, backend_urls=frontend_backend_urls(SERVICES)
    )

    assert "DATABASE_URL" not in env
    assert {name: value for name, value in env.items() if name.startswith("FRONTEND_")} == {
        "FRONTEND_AUTH_URL": "http://127.0.0.1:8001",
        "FRONTEND_TICKETS_URL": "http://127.0.0.1:8002",
        "FRONTEND_ORDERS_URL": "http://127.0.0.1:8003",
        "FRONTEND_PAYMENTS_URL": "http://127.0.0.1:8004",
    }
    assert "JWT_PRIVATE_KEY_FILE" not in env
    assert env["JWT_PUBLIC_KEY_FILE"] == str(tmp_path / "keys/jwt-public.pem")
    assert env["TRUSTED_PROXY_COUNT"] == "1"
    assert env["PATH"] == "/x"


def test_a_copys_frontend_reads_the_copys_apis(tmp_path):
    copy = relocated(SERVICES, port_base=21001, database_suffix="_copy")
    [frontend] = [service for service in copy if service.is_catch_all]
    # What the user's environment says points at the usual run: the copy's ports win.
    base = {"FRONTEND_TICKETS_URL": "http://127.0.0.1:8002"}

    env = django_env(
        frontend, LocalState(tmp_path), "s", base=base, backend_urls=frontend_backend_urls(copy)
    )

    assert frontend_backend_urls(copy) == {
        "FRONTEND_AUTH_URL": "http://127.0.0.1:21001",
        "FRONTEND_TICKETS_URL": "http://127.0.0.1:21002",
        "FRONTEND_ORDERS_URL": "http://127.0.0.1:21003",
        "FRONTEND_PAYMENTS_URL": "http://127.0.0.1:21004",
    }
    assert env["FRONTEND_TICKETS_URL"] == "http://127.0.0.1:21002"
    assert "DATABASE_URL" not in env


def test_only_the_services_that_exist_are_the_frontends_apis():
    """Before a service is written, the frontend is told nothing of it (its settings fall back
    on the usual port); the frontend itself is no API."""
    existing = [SERVICES_BY_NAME[name] for name in ("auth", "tickets", "frontend")]

    assert frontend_backend_urls(existing) == {
        "FRONTEND_AUTH_URL": "http://127.0.0.1:8001",
        "FRONTEND_TICKETS_URL": "http://127.0.0.1:8002",
    }


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


def test_gunicorn_runs_the_registrys_threads_per_worker(tmp_path):
    """The frontend's requests wait on the APIs: threads, as its image and manifests run it."""
    state = LocalState(tmp_path)
    [frontend] = service_processes(FRONTEND, tmp_path, state, {}, use_gunicorn=True)
    [tickets, *_] = service_processes(TICKETS, tmp_path, state, {}, use_gunicorn=True)

    def threads(argv):
        return argv[argv.index("--threads") + 1]

    assert threads(frontend.argv) == str(FRONTEND.web_threads) != "1"
    assert threads(tickets.argv) == "1"


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


def state_of(repo, argv, env=None):
    args = dev_arguments(argv, env=env or {})
    return run_state(
        repo,
        state_dir=args.state_dir,
        service_port_base=args.service_port_base,
        database_suffix=args.database_suffix,
    )


def test_the_usual_run_keeps_its_files_in_dot_local_and_uses_the_machines_redis(tmp_path):
    state = state_of(tmp_path, [])

    assert state.directory == tmp_path / ".local"
    assert is_usual_run(tmp_path, state)


@pytest.mark.parametrize(
    ("argv", "folder"),
    [
        (["--database-suffix", "_mine"], "8001-_mine"),
        (["--service-port-base", "9001"], "9001"),
        (["--service-port-base", "9001", "--database-suffix", "_mine"], "9001-_mine"),
    ],
)
def test_a_copy_without_a_state_dir_gets_one_of_its_own_and_its_own_redis(tmp_path, argv, folder):
    # In .local/ its env files would send `manage.py` in the checkout to the copy's databases.
    state = state_of(tmp_path, argv)

    assert state.directory == tmp_path / ".local" / "copies" / folder
    assert not is_usual_run(tmp_path, state)


def test_copies_that_differ_in_ports_or_databases_keep_apart(tmp_path):
    folders = {
        state_of(tmp_path, argv).directory
        for argv in (
            ["--database-suffix", "1"],
            ["--service-port-base", "10011"],
            ["--service-port-base", "1001", "--database-suffix", "1"],
            ["--service-port-base", "1001", "--database-suffix", "_1"],
        )
    }

    assert len(folders) == 4


def test_a_copy_from_the_environment_gets_its_own_state_dir_too(tmp_path):
    state = state_of(tmp_path, [], env={"TICKETING_DATABASE_SUFFIX": "_env"})

    assert state.directory == tmp_path / ".local" / "copies" / "8001-_env"


def test_a_copys_own_state_dir_is_used_as_given(tmp_path):
    state = state_of(tmp_path, ["--database-suffix", "_mine", "--state-dir", str(tmp_path / "c")])

    assert state.directory == tmp_path / "c"
    assert not is_usual_run(tmp_path, state)


@pytest.mark.parametrize("given", [".local", ".local/", "x/../.local"])
def test_a_copy_given_the_usual_runs_state_dir_is_refused(tmp_path, given):
    argv = ["--service-port-base", "9001", "--database-suffix", "_mine"]

    with pytest.raises(SetupError) as refused:
        state_of(tmp_path, [*argv, "--state-dir", str(tmp_path / given)])

    assert str(refused.value) == (
        "a copy of the runner (--service-port-base 9001, --database-suffix _mine) cannot keep "
        f"its files in {tmp_path / '.local'}, the usual run's: give it a --state-dir of its "
        f"own, or none for {tmp_path / '.local/copies/9001-_mine'}"
    )


def test_a_suffix_that_is_not_a_name_makes_no_folder(tmp_path):
    with pytest.raises(SetupError, match="lowercase letters, digits and _ only"):
        state_of(tmp_path, ["--database-suffix", "/../../elsewhere"])


def test_the_usual_ports_and_databases_may_keep_their_files_elsewhere(tmp_path):
    # Then it is a copy too, with its own Redis (its ports are the usual run's, though).
    state = state_of(tmp_path, ["--state-dir", str(tmp_path / "elsewhere")])

    assert state.directory == tmp_path / "elsewhere"
    assert not is_usual_run(tmp_path, state)


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
