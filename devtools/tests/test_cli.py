import subprocess
import sys
from dataclasses import replace

from ticketing_devtools.cli import banner, django_env, service_processes
from ticketing_devtools.paths import LocalState
from ticketing_devtools.services import SERVICES_BY_NAME

AUTH = SERVICES_BY_NAME["auth"]
TICKETS = SERVICES_BY_NAME["tickets"]


def test_only_auth_gets_the_private_key(tmp_path):
    state = LocalState(tmp_path)

    auth = django_env(AUTH, state, "secret", base={})
    tickets = django_env(TICKETS, state, "secret", base={})

    assert auth["JWT_PRIVATE_KEY_FILE"] == str(tmp_path / ".local/keys/jwt-private.pem")
    assert "JWT_PRIVATE_KEY_FILE" not in tickets
    for env in (auth, tickets):
        assert env["JWT_PUBLIC_KEY_FILE"] == str(tmp_path / ".local/keys/jwt-public.pem")
        assert env["TICKETING_ENV"] == "development"
        assert env["DJANGO_SECRET_KEY"] == "secret"
        assert env["TRUSTED_PROXY_COUNT"] == "1"
        assert env["PYTHONUNBUFFERED"] == "1"
    assert auth["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/ticketing_auth"
    assert tickets["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/ticketing_tickets"


def test_the_users_own_settings_win(tmp_path):
    base = {"DATABASE_URL": "postgres://me@elsewhere/db", "TICKETING_ENV": "staging", "PATH": "/x"}

    env = django_env(AUTH, LocalState(tmp_path), "secret", base=base)

    assert env["DATABASE_URL"] == "postgres://me@elsewhere/db"
    assert env["TICKETING_ENV"] == "staging"
    assert env["PATH"] == "/x"


def test_database_url_follows_pghost(tmp_path):
    env = django_env(AUTH, LocalState(tmp_path), "s", base={"PGHOST": "/run/pg", "PGPORT": "5433"})
    assert env["DATABASE_URL"] == "postgres://postgres@%2Frun%2Fpg:5433/ticketing_auth"


def test_processes_per_mode(tmp_path):
    state = LocalState(tmp_path)
    plain = service_processes(AUTH, tmp_path, state, {}, use_gunicorn=False)
    worker = service_processes(
        replace(TICKETS, has_worker=True),
        tmp_path,
        state,
        {},
        use_gunicorn=True,
    )

    assert [p.name for p in plain] == ["auth"]
    assert plain[0].argv[1:] == ["manage.py", "runserver", "127.0.0.1:8001"]
    assert plain[0].cwd == tmp_path / "auth_service"
    assert [p.name for p in worker] == ["tickets", "tickets-worker", "tickets-beat"]
    assert worker[0].argv[1:5] == ["-m", "gunicorn", "-c", "python:ticketing_shared.gunicorn_conf"]
    assert worker[0].argv[-1] == "config.wsgi:application"
    assert "127.0.0.1:8002" in worker[0].argv


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
