"""A private copy of the whole system, started as `scripts/dev` starts it, for tests and tools
that need the real thing: every service, its worker and beat, the gateway, a Redis of its own.

A copy sits beside a developer's own `scripts/dev`: its own gateway port and block of service
ports, its own state directory, and databases with a suffix of their own, dropped when it stops.
It runs `ticketing-dev` in a session (process group) of its own, so that stopping it reaches
every process it started, and nothing else.

    with system_copy_running(tmp_path, "--gunicorn", env={"ORDERS_EXPIRATION_SECONDS": "30"}) as s:
        urlopen(s.url("/"))
"""

import contextlib
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ticketing_devtools import infra
from ticketing_devtools.paths import find_repo_root
from ticketing_devtools.private_redis import private_redis_port
from ticketing_devtools.services import existing_services, relocated
from ticketing_shared.registry import SERVICES

# The console script `scripts/dev` runs, from this environment.
DEV_COMMAND = Path(sys.executable).with_name("ticketing-dev")
# Under --gunicorn, every service's static files are collected first.
START_TIMEOUT = 120
STOP_TIMEOUT = 20  # the runner gives its processes 10 s before killing them
HOST = "127.0.0.1"


def isolated_env(base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The caller's environment, minus what could point a copy at the developer's databases,
    state, static files or Redis, or at the caller's own Django settings (a test process under
    pytest-django has DJANGO_SETTINGS_MODULE and TICKETING_SERVICE set for its own service)."""
    return {
        name: value
        for name, value in base.items()
        if not (
            name.endswith("DATABASE_URL")
            or name.startswith("TICKETING_")
            or name.startswith("JWT_")
            or name.startswith("FRONTEND_")
            or name
            in {"DJANGO_STATIC_ROOT", "DJANGO_SETTINGS_MODULE", "REDIS_URL", "CELERY_BROKER_URL"}
        )
    }


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port_block(size: int) -> int:
    """The first of `size` consecutive free ports, below Linux's range of ephemeral ports."""
    for _ in range(100):
        base = random.randint(20000, 30000)  # noqa: S311 (a port, not a secret)
        if all(port_is_free(port) for port in range(base, base + size)):
            return base
    raise RuntimeError(f"no {size} consecutive free ports found")


def process_groups_mentioning(marker: str) -> set[int]:
    """Process groups of this machine's processes whose command line or environment names
    `marker` (a copy's state directory): whatever that copy started, and nothing else."""
    groups = set()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            text = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
            if marker.encode() in text:
                groups.add(os.getpgid(int(proc.name)))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return groups - {os.getpgid(0)}


def _get(url: str) -> tuple[int, bytes]:
    """A GET's status and body; 0 when nothing answers (yet), or not in time: a first request
    may be slow while a service warms up, and is then simply retried."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own http URL)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (OSError, TimeoutError):
        return 0, b""


def _all_checks_ok(status: int, body: bytes) -> bool:
    """A /readyz that answers 200 with every check (database, Redis, broker) ok."""
    if status != 200:
        return False
    try:
        return set(json.loads(body)["checks"].values()) == {"ok"}
    except (ValueError, KeyError, AttributeError):
        return False


class SystemCopyError(AssertionError):
    """A copy that would not start or serve; an AssertionError, so that a test using one fails
    (rather than errors) with the runner's last lines in its message."""


@dataclass
class SystemCopy:
    process: subprocess.Popen
    log: Path
    state_dir: Path
    gateway_port: int
    service_ports: dict[str, int]  # service name -> its own port
    databases: dict[str, str]  # service name -> database, for those keeping one
    redis_port: int  # its own Redis: its state directory is not the checkout's .local/

    @property
    def base_url(self) -> str:
        """The gateway, as people reach the site: `http://127.0.0.1:<port>` (no trailing /)."""
        return f"http://{HOST}:{self.gateway_port}"

    @property
    def service_urls(self) -> dict[str, str]:
        """Each service reached directly on its own port, as the frontend reaches the APIs."""
        return {name: f"http://{HOST}:{port}" for name, port in self.service_ports.items()}

    @property
    def public_key_file(self) -> Path:
        """The key this copy's tokens are verified with (the auth service signs them)."""
        return self.state_dir / "keys" / "jwt-public.pem"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def explain(self, response=None) -> str:
        """An assertion message: the response (a `requests` one), if any, and what the runner
        printed last."""
        said = ""
        if response is not None:
            request = response.request
            said = f"{request.method} {request.url} -> {response.status_code} {response.text[:500]}"
        return f"{said}\n--- runner log (last lines) ---\n{self.tail()}"

    def _wait_for(
        self, url: str, accept: Callable[[int, bytes], bool], what: str, deadline: float
    ) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemCopyError(f"the runner exited early\n{self.explain()}")
            if accept(*_get(url)):
                return
            time.sleep(0.25)
        raise SystemCopyError(f"{what} not ready after {START_TIMEOUT}s\n{self.explain()}")

    def wait_until_serving(self, path: str = "/api/users/currentuser") -> None:
        """Until the gateway answers `path` with a 200 (a 502 while the service behind it is
        not listening yet); by default, with the auth service behind it."""
        deadline = time.monotonic() + START_TIMEOUT
        self._wait_for(self.url(path), lambda status, _: status == 200, path, deadline)

    def wait_until_ready(self) -> None:
        """Until the gateway serves the site's `/` and every service's /readyz says every check
        is ok (its database, Redis, broker), each on its own port."""
        deadline = time.monotonic() + START_TIMEOUT
        self._wait_for(self.url("/"), lambda status, _: status == 200, "the gateway's /", deadline)
        for name, url in self.service_urls.items():
            self._wait_for(f"{url}/readyz", _all_checks_ok, f"{name}'s /readyz", deadline)

    def interrupt_and_wait(self) -> int:
        """Ctrl-C, as a terminal sends it: SIGINT to the runner's process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise SystemCopyError(
                f"still running {STOP_TIMEOUT}s after SIGINT\n{self.explain()}"
            ) from None

    def tear_down(self) -> None:
        """Stop every process of the copy and drop its databases; safe to call twice."""
        if self.process.poll() is None:
            self.process.terminate()  # the runner stops its processes on SIGTERM too
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_TIMEOUT)
        # Last resort, also for processes the runner left behind: they have sessions of their own.
        for group in {self.process.pid} | process_groups_mentioning(str(self.state_dir)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        self.process.wait(timeout=5)
        for database in self.databases.values():
            infra.drop_database(database, force=True)


def system_copy_start(
    directory: Path,
    *options: str,
    tag: str = "copy",
    env: Mapping[str, str] | None = None,
    repo: Path | None = None,
) -> SystemCopy:
    """Start `ticketing-dev` with `options` on free ports, its state and log in `directory`,
    its databases suffixed `_<tag>_<random>`; the caller stops it (`tear_down`) and waits for it
    (`wait_until_serving`, `wait_until_ready`) as it needs. `env` adds to the caller's
    environment, less what would reach the developer's run (`isolated_env`)."""
    if not DEV_COMMAND.is_file():
        raise SystemCopyError(f"{DEV_COMMAND} is missing: is devtools installed?")
    repo = repo or find_repo_root()
    suffix = f"_{tag}_{secrets.token_hex(6)}"
    gateway_port = free_port()
    # The services' ports, then the copy's own Redis.
    port_base = free_port_block(len(SERVICES) + 1)
    services = relocated(existing_services(repo), port_base=port_base, database_suffix=suffix)
    state_dir = directory / f"state{suffix}"
    log = directory / f"runner{suffix}.log"
    argv = [
        str(DEV_COMMAND),
        "--port", str(gateway_port),
        "--service-port-base", str(port_base),
        "--state-dir", str(state_dir),
        "--database-suffix", suffix,
        *options,
    ]  # fmt: skip
    directory.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            cwd=repo,
            env={**isolated_env(), **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return SystemCopy(
        process,
        log,
        state_dir,
        gateway_port,
        {s.name: s.port for s in services},
        {s.name: s.database for s in services if s.uses_database},
        private_redis_port(port_base),
    )


@contextlib.contextmanager
def system_copy_running(
    directory: Path,
    *options: str,
    tag: str = "copy",
    env: Mapping[str, str] | None = None,
) -> Iterator[SystemCopy]:
    """A copy serving every service (`wait_until_ready`), stopped and its databases dropped on
    leaving, also when it never became ready."""
    system = system_copy_start(directory, *options, tag=tag, env=env)
    try:
        system.wait_until_ready()
        yield system
    finally:
        system.tear_down()
