"""The `ticketing-dev` and `ticketing-test` commands."""

import argparse
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

from ticketing_devtools import demo, gateway, infra, keys, suites
from ticketing_devtools.env_files import env_file_write
from ticketing_devtools.errors import SetupError
from ticketing_devtools.paths import LocalState, find_repo_root
from ticketing_devtools.private_redis import PrivateRedis, private_redis_port
from ticketing_devtools.runner import ProcessSpec, Runner
from ticketing_devtools.services import (
    DEFAULT_PORT_BASE,
    database_suffix_check,
    existing_services,
    relocated,
)
from ticketing_shared.registry import Service

READY_TIMEOUT = 120


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def database_override(service: Service, env: Mapping[str, str]) -> str | None:
    """The user's own database for one service (`AUTH_DATABASE_URL`), used as given."""
    return env.get(f"{service.name.upper()}_DATABASE_URL") or None


def database_url(service: Service, env: Mapping[str, str]) -> str:
    """Where the service's database is: the user's override, else ours on the local server.

    A plain `DATABASE_URL` in the user's environment is ignored: it would give every service
    the same database.
    """
    override = database_override(service, env)
    if override:
        return override
    endpoint = infra.postgres_endpoint(env)
    host = endpoint.host
    if endpoint.is_unix_socket:
        host = quote(host, safe="")
    elif ":" in host:
        host = f"[{host}]"
    return f"postgres://postgres@{host}:{endpoint.port}/{service.database}"


def django_env(
    service: Service,
    state: LocalState,
    secret_key: str,
    base: Mapping[str, str] = os.environ,
    *,
    redis_urls: Mapping[str, str] | None = None,
    backend_urls: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """What a service's Django and Celery processes see: our defaults, then the user's own,
    except for the database, which is always the one the runner created and migrated, the
    state directory this run uses, a copy's own Redis (`redis_urls`), which no REDIS_URL of
    the user's may replace, and for the frontend where this run's APIs listen
    (`backend_urls`)."""
    ours = {
        "TICKETING_ENV": "development",
        "DJANGO_SECRET_KEY": secret_key,
        "JWT_PUBLIC_KEY_FILE": str(state.keys_dir / keys.PUBLIC_KEY_NAME),
        "PYTHONUNBUFFERED": "1",
        # The gateway adds one X-Forwarded-For hop in front of every service.
        "TRUSTED_PROXY_COUNT": "1",
    }
    if service.signs_tokens:
        # Only the service that mints tokens gets the private key.
        ours["JWT_PRIVATE_KEY_FILE"] = str(state.keys_dir / keys.PRIVATE_KEY_NAME)
    runners = {
        # Where the service's settings find its env file, and its keys by default.
        "TICKETING_STATE_DIR": str(state.directory),
        **(redis_urls or {}),
    }
    if service.uses_database:
        runners["DATABASE_URL"] = database_url(service, base)
    env = {**ours, **base, **runners, **(backend_urls or {})}
    if not service.uses_database:
        # The user's own DATABASE_URL is no service's (see database_url), and this one keeps no
        # data: nothing (its env file included) may say it has a database.
        env.pop("DATABASE_URL", None)
    return env


def frontend_backend_urls(services: Sequence[Service]) -> dict[str, str]:
    """Where the frontend reaches each API of this run: the service's own port, directly."""
    return {
        s.api_url_variable: f"http://127.0.0.1:{s.port}" for s in services if not s.is_catch_all
    }


def manage(service_dir: Path, env: Mapping[str, str], *args: str) -> None:
    argv = [sys.executable, "manage.py", *args]
    result = subprocess.run(argv, cwd=service_dir, env=dict(env), check=False)
    if result.returncode != 0:
        raise SetupError(
            f"`{' '.join(argv[1:])}` failed in {service_dir} (exit {result.returncode})"
        )


def service_processes(
    service: Service, repo: Path, state: LocalState, env: Mapping[str, str], *, use_gunicorn: bool
) -> list[ProcessSpec]:
    cwd = repo / service.directory
    address = f"127.0.0.1:{service.port}"
    if use_gunicorn:
        argv = [sys.executable, "-m", "gunicorn", "-c", "python:ticketing_shared.gunicorn_conf",
                "--bind", address, "--threads", str(service.web_threads),
                "config.wsgi:application"]  # fmt: skip
    else:
        argv = [sys.executable, "manage.py", "runserver", address]
    processes = [ProcessSpec(service.name, argv, cwd, env)]
    if service.runs_worker:
        celery = [sys.executable, "-m", "celery", "-A", "config.celery_app"]
        worker = [*celery, "worker", "-l", "INFO", "-n", f"{service.name}@%h"]
        # The schedule file would otherwise land in the service's source directory.
        schedule = state.celery_dir / f"{service.name}-beat-schedule"
        beat = [*celery, "beat", "-l", "INFO", "-s", str(schedule)]
        processes += [
            ProcessSpec(f"{service.name}-worker", worker, cwd, env),
            ProcessSpec(f"{service.name}-beat", beat, cwd, env),
        ]
    return processes


def banner(services: Sequence[Service], port: int) -> list[str]:
    base = f"http://localhost:{port}"
    lines = [f"Ticketing is running at {base}/"]
    for service in services:
        if service.api_prefix:
            lines.append(f"  {service.name:<9} API docs  {base}{service.api_prefix}docs")
        if service.admin_prefix:
            lines.append(f"  {service.name:<9} admin     {base}{service.admin_prefix}")
    lines.append("Press Ctrl-C to stop everything.")
    return lines


def announce_when_ready(runner: Runner, ports: dict[str, int], lines: list[str]) -> None:
    """Print the banner once everything answers, so it is not lost above the start-up logs."""
    deadline = time.monotonic() + READY_TIMEOUT
    waiting = dict(ports)
    while waiting and time.monotonic() < deadline:
        waiting = {n: p for n, p in waiting.items() if not infra.port_in_use(p)}
        if waiting:
            time.sleep(0.5)
    if waiting:
        names = ", ".join(f"{name} (port {port})" for name, port in waiting.items())
        runner.say(f"still not answering after {READY_TIMEOUT}s: {names}")
    for line in lines:
        runner.say(line)


def check_ports_free(ports: dict[str, int]) -> None:
    busy = [f"{name} (port {port})" for name, port in ports.items() if infra.port_in_use(port)]
    if busy:
        raise SetupError(
            f"already in use: {', '.join(busy)}; is another `scripts/dev` running? "
            "(--port and --service-port-base move this one)"
        )


def copy_state_name(*, service_port_base: int, database_suffix: str) -> str:
    """A copy's folder under `.local/copies/`: its port base, then its suffix (which holds no
    `-`), so that copies that differ in either keep apart."""
    database_suffix_check(database_suffix)
    return f"{service_port_base}-{database_suffix}" if database_suffix else str(service_port_base)


def run_state(
    repo: Path, *, state_dir: Path | None, service_port_base: int, database_suffix: str
) -> LocalState:
    """Where this run keeps its files: `--state-dir`, else the checkout's `.local/` for the
    usual run. A copy (other service ports or databases) never keeps them in `.local/`: its env
    files would send `manage.py` in the checkout to the copy's databases, and it would share the
    usual run's Redis. So a copy without a state directory gets `.local/copies/<name>/`, and
    one given `.local/` is refused."""
    usual = LocalState.of_repo(repo)
    given = LocalState(state_dir.expanduser().resolve()) if state_dir else None
    moved = []
    if service_port_base != DEFAULT_PORT_BASE:
        moved.append(f"--service-port-base {service_port_base}")
    if database_suffix:
        moved.append(f"--database-suffix {database_suffix}")
    if not moved:
        return given or usual
    name = copy_state_name(service_port_base=service_port_base, database_suffix=database_suffix)
    own = usual.directory / "copies" / name
    if given is None:
        return LocalState(own)
    if given.directory == usual.directory.resolve():
        raise SetupError(
            f"a copy of the runner ({', '.join(moved)}) cannot keep its files in "
            f"{usual.directory}, the usual run's: give it a --state-dir of its own, or none "
            f"for {own}"
        )
    return given


def is_usual_run(repo: Path, state: LocalState) -> bool:
    """Whether this run keeps its files in the checkout's `.local/`: it then uses the machine's
    Redis; any other run is a copy and gets a Redis of its own."""
    return state.directory.resolve() == LocalState.of_repo(repo).directory.resolve()


def run_dev(args: argparse.Namespace) -> int:
    repo = find_repo_root()
    state = run_state(
        repo,
        state_dir=args.state_dir,
        service_port_base=args.service_port_base,
        database_suffix=args.database_suffix,
    )
    services = relocated(
        existing_services(repo),
        port_base=args.service_port_base,
        database_suffix=args.database_suffix,
    )
    private_redis = None
    if not is_usual_run(repo, state):
        private_redis = PrivateRedis(private_redis_port(args.service_port_base), state.redis_dir)
    names = ", ".join(s.name for s in services) or "none yet"
    print(f"Ticketing in {repo}; services: {names}", flush=True)
    if private_redis:
        print(
            f"    a copy, its files in {state.directory}; for manage.py by hand: "
            f"TICKETING_STATE_DIR={state.directory} uv run python manage.py ...",
            flush=True,
        )
    # Fail before any slow step when a program is missing.
    nginx = gateway.find_nginx()
    redis_process = private_redis.process() if private_redis else None

    step("Checking PostgreSQL and Redis")
    infra.ensure_postgres()
    if private_redis is None:
        infra.ensure_redis()
    else:
        where = f"127.0.0.1:{private_redis.port}, data in {private_redis.directory}"
        print(f"    Redis: this copy's own ({where}), started with the services", flush=True)
        for name in private_redis.urls():
            if os.environ.get(name):
                print(f"    ignoring {name}: this copy has its own Redis", flush=True)

    step("Creating databases")
    if os.environ.get("DATABASE_URL"):
        print("    ignoring DATABASE_URL (set AUTH_DATABASE_URL etc. per service)", flush=True)
    for service in services:
        if not service.uses_database:
            continue
        if database_override(service, os.environ):
            name = f"{service.name.upper()}_DATABASE_URL"
            print(f"    {service.name}: using {name} as given (not created)", flush=True)
            continue
        created = infra.ensure_database(service.database)
        print(f"    {service.database}: {'created' if created else 'exists'}", flush=True)

    step("Preparing development keys")
    keys.ensure_jwt_keys(state.keys_dir)
    secret_key = keys.ensure_secret_key(state.secret_key_file)
    state.celery_dir.mkdir(parents=True, exist_ok=True)

    redis_urls = private_redis.urls() if private_redis else None
    backend_urls = frontend_backend_urls(services)
    envs = {
        s.name: django_env(
            s,
            state,
            secret_key,
            redis_urls=redis_urls,
            backend_urls=backend_urls if s.is_catch_all else None,
        )
        for s in services
    }
    if args.gunicorn:
        for s in services:
            # Where collectstatic puts the files gunicorn serves (through WhiteNoise), out of
            # the source tree; runserver serves them from the apps directly.
            envs[s.name].setdefault("DJANGO_STATIC_ROOT", str(state.static_dir / s.name))
            # As in production: no debug pages, static files from the collected folder.
            envs[s.name].setdefault("DJANGO_DEBUG", "false")
    step("Writing each service's env file (for manage.py by hand)")
    for service in services:
        path = state.env_dir / f"{service.name}.env"
        env_file_write(path, service.name, envs[service.name])
        print(f"    {path}", flush=True)
    for service in services:
        if service.uses_database:
            step(f"Migrating {service.name}")
            manage(repo / service.directory, envs[service.name], "migrate", "--noinput")
        if args.gunicorn:
            step(f"Collecting static files for {service.name}")
            manage(repo / service.directory, envs[service.name], "collectstatic", "--noinput")
    if args.demo:
        step("Filling the system with demo users and tickets (--demo)")
        demo.demo_fill(repo, services, envs, broker=redis_process)

    step(f"Writing the gateway configuration ({nginx})")
    conf = gateway.write_config(services, port=args.port, prefix_dir=state.gateway_dir)
    gateway.check_config(conf, state.gateway_dir)
    print(f"    {conf} is valid", flush=True)

    if args.setup_only:
        step("Setup complete (--setup-only: not starting anything)")
        return 0

    ports = {s.name: s.port for s in services} | {"gateway": args.port}
    if private_redis:
        ports["redis"] = private_redis.port
    check_ports_free(ports)
    # The copy's Redis first: the runner starts the rest once it answers.
    processes = [redis_process] if redis_process else []
    processes += [
        spec
        for s in services
        for spec in service_processes(s, repo, state, envs[s.name], use_gunicorn=args.gunicorn)
    ]
    processes.append(ProcessSpec("gateway", gateway.nginx_argv(conf, state.gateway_dir), repo))
    step("Starting " + ", ".join(p.name for p in processes))
    runner = Runner(processes)
    threading.Thread(
        target=announce_when_ready,
        args=(runner, ports, banner(services, args.port)),
        daemon=True,
    ).start()
    return runner.run()


def dev_arguments(
    argv: Sequence[str] | None = None, env: Mapping[str, str] = os.environ
) -> argparse.Namespace:
    """`ticketing-dev`'s options; the TICKETING_* variables give defaults the options override."""
    parser = argparse.ArgumentParser(
        prog="ticketing-dev",
        description="Set up and run every Ticketing service behind one local gateway.",
    )
    parser.add_argument("--port", type=int, default=8000, help="gateway port (default 8000)")
    parser.add_argument(
        "--service-port-base",
        type=int,
        # argparse converts a string default with `type` too, so a bad value is reported alike.
        default=env.get("TICKETING_SERVICE_PORT_BASE", DEFAULT_PORT_BASE),
        metavar="N",
        help="services listen on N, N+1, ... in registry order, and a copy's own Redis "
        f"right after them (env TICKETING_SERVICE_PORT_BASE; default {DEFAULT_PORT_BASE})",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=env.get("TICKETING_STATE_DIR") or None,
        metavar="PATH",
        help="where keys, the secret key, each service's env file and gateway, static and "
        "celery files go; another than the usual run's <repo>/.local also runs a Redis of its "
        "own (env TICKETING_STATE_DIR; default <repo>/.local, and for a copy, that is with "
        "another --service-port-base or --database-suffix, <repo>/.local/copies/N[-SUFFIX]: a "
        "copy may not use <repo>/.local)",
    )
    parser.add_argument(
        "--database-suffix",
        default=env.get("TICKETING_DATABASE_SUFFIX", ""),
        metavar="SUFFIX",
        help="databases are ticketing_<service><SUFFIX> (env TICKETING_DATABASE_SUFFIX; "
        "default none); <SERVICE>_DATABASE_URL, e.g. AUTH_DATABASE_URL, overrides one service",
    )
    parser.add_argument(
        "--gunicorn", action="store_true", help="serve with gunicorn as production does"
    )
    parser.add_argument(
        "--setup-only", action="store_true", help="do every setup step, then exit without serving"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="after migrating, add a few demo users and tickets, unless they are there already "
        "(the users' emails and password are printed)",
    )
    return parser.parse_args(argv)


def dev(argv: Sequence[str] | None = None) -> int:
    args = dev_arguments(argv)
    try:
        return run_dev(args)
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


TEST_USAGE = """usage: ticketing-test [PYTEST ARGS...]

Run every test suite (shared, devtools, each service, tests/), each in its own pytest process.
Every argument is passed on to each pytest, e.g. `ticketing-test -x -k signup`."""


def test() -> int:
    return run_tests(sys.argv[1:])


def run_tests(args: Sequence[str]) -> int:
    if list(args) in (["-h"], ["--help"]):
        print(TEST_USAGE)
        return 0
    try:
        repo = find_repo_root()
        step("Checking PostgreSQL and Redis")
        infra.ensure_postgres()
        infra.ensure_redis()
        return suites.run_all(repo, args)
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
