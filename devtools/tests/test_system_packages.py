"""scripts/system-packages decides what to install and how, on a PATH of stand-ins: programs
present or not, root or not, sudo with or without a password, and an apt-get that records what
it was asked to do instead of doing it."""

import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import free_port

from ticketing_devtools.paths import find_repo_root

SCRIPT = find_repo_root() / "scripts" / "system-packages"
INSTALL = "apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends"
# The update as the stand-in records it: no DEBIAN_FRONTEND, which only the install is given.
UPDATE = "apt-get update -qq frontend="
PROGRAMS = ("nginx", "pg_ctlcluster", "redis-server", "openssl", "chromium", "npm", "uv")
# What the script itself runs, taken from this machine.
REAL_TOOLS = ("bash", "env", "timeout")


@dataclass
class Machine:
    bin: Path
    calls: Path
    port: int

    def program(self, name: str, body: str = "exit 0", directory: Path | None = None) -> None:
        path = (directory or self.bin) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)

    def remove(self, *names: str) -> None:
        for name in names:
            (self.bin / name).unlink()

    def run(self, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["/bin/bash", str(SCRIPT)],
            env={
                "PATH": str(self.bin),
                "SYSTEM_PACKAGES_SBIN": "",
                "PGPORT": str(self.port),
                **env,
            },
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def recorded(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []


@pytest.fixture
def machine(tmp_path) -> Machine:
    """Root, every program present, apt-get recording its arguments and DEBIAN_FRONTEND."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in REAL_TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    calls = tmp_path / "calls"
    # Nothing listens here: no PostgreSQL answers unless a test opens it.
    found = Machine(bin_dir, calls, free_port())
    for name in PROGRAMS:
        found.program(name)
    found.program("id", 'echo "${FAKE_UID:-0}"')
    found.program("apt-get", f'echo "apt-get $* frontend=$DEBIAN_FRONTEND" >> {calls}')
    return found


def install(*packages: str) -> str:
    """The apt-get call (as the stand-in records it) that installs `packages`, unasked."""
    return f"{INSTALL} {' '.join(packages)} frontend=noninteractive"


def with_sudo(machine: Machine, *, passwordless: bool) -> None:
    # `sudo -n true` is how the script asks whether sudo works without a password.
    check = "exit 0" if passwordless else "echo 'sudo: a password is required' >&2; exit 1"
    machine.program(
        "sudo",
        f'[ "$1" = -n ] || exit 99\nshift\n[ "$1" = true ] && {{ {check}; }}\n'
        f'echo "sudo $1" >> {machine.calls}\nexec "$@"',
    )


def test_nothing_to_do_when_everything_is_installed(machine):
    result = machine.run()

    assert result.returncode == 0, result.stderr
    assert "nginx, PostgreSQL, Redis, openssl, chromium and npm are installed" in result.stdout
    assert machine.recorded() == []


def test_root_installs_only_what_is_missing_after_one_update(machine):
    machine.remove("nginx", "redis-server")

    result = machine.run()

    assert result.returncode == 0, result.stderr
    assert machine.recorded() == [UPDATE, install("nginx-light", "redis-server")]
    assert "missing: nginx-light redis-server" in result.stdout
    assert "installed nginx-light redis-server" in result.stdout


def test_the_browser_tests_chromium_and_npm_are_installed_when_missing(machine):
    machine.remove("chromium", "npm")

    result = machine.run()

    assert result.returncode == 0, result.stderr
    assert machine.recorded() == [UPDATE, install("chromium", "npm")]


def test_nginx_off_the_path_in_an_sbin_directory_counts(machine, tmp_path):
    machine.remove("nginx")
    sbin = tmp_path / "sbin"
    machine.program("nginx", directory=sbin)

    result = machine.run(SYSTEM_PACKAGES_SBIN=str(sbin))

    assert result.returncode == 0, result.stderr
    assert machine.recorded() == []


def test_postgresql_is_installed_only_when_no_server_answers(machine):
    machine.remove("pg_ctlcluster")

    nothing_answers = machine.run()

    assert nothing_answers.returncode == 0, nothing_answers.stderr
    assert machine.recorded()[-1] == install("postgresql")
    machine.calls.unlink()
    with socket.create_server(("127.0.0.1", 0)) as server:
        answers = machine.run(PGPORT=str(server.getsockname()[1]))

    assert answers.returncode == 0, answers.stderr
    assert "one answers at 127.0.0.1:" in answers.stdout
    assert machine.recorded() == []


# Asked whether it can make a virtualenv with pip in it: Debian's python3 cannot without
# python3-venv (its ensurepip).
PYTHON3_WITHOUT_ENSUREPIP = """case "$2" in
    *ensurepip*) echo "ModuleNotFoundError: No module named 'ensurepip'" >&2; exit 1 ;;
esac
exit 0"""


def test_without_uv_python3_venv_is_installed_when_python3_cannot_make_a_virtualenv(machine):
    # scripts/bootstrap.sh then installs uv into a virtualenv of its own.
    machine.remove("uv")
    machine.program("python3", PYTHON3_WITHOUT_ENSUREPIP)

    result = machine.run()

    assert result.returncode == 0, result.stderr
    assert machine.recorded() == [UPDATE, install("python3-venv")]


def test_python3_venv_is_not_needed_with_a_uv_or_a_python3_that_makes_virtualenvs(machine):
    machine.program("python3", PYTHON3_WITHOUT_ENSUREPIP)

    with_uv = machine.run()
    machine.remove("uv")
    machine.program("python3", "exit 0")
    with_venv = machine.run()

    assert (with_uv.returncode, with_venv.returncode) == (0, 0)
    assert machine.recorded() == []


def test_not_root_uses_passwordless_sudo(machine):
    machine.remove("openssl")
    with_sudo(machine, passwordless=True)

    result = machine.run(FAKE_UID="1000")

    assert result.returncode == 0, result.stderr
    assert machine.recorded() == ["sudo apt-get", UPDATE, "sudo env", install("openssl")]


@pytest.mark.parametrize("sudo", ["absent", "asks for a password"])
def test_not_root_without_passwordless_sudo_says_what_to_run_and_stops(machine, sudo):
    machine.remove("nginx")
    if sudo != "absent":
        with_sudo(machine, passwordless=False)

    result = machine.run(FAKE_UID="1000")

    assert result.returncode == 1
    assert "not root, and sudo needs a password (or is not installed)" in result.stderr
    assert (
        "    sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends nginx-light'"
        in result.stderr.splitlines()
    )
    assert machine.recorded() == []


def test_without_apt_get_it_names_the_packages_and_stops(machine):
    machine.remove("nginx", "apt-get")

    result = machine.run()

    assert result.returncode == 1
    assert "apt-get is not available (not Debian or Ubuntu)" in result.stderr
    assert "(nginx-light)" in result.stderr


def test_a_failed_install_stops_with_the_command_to_retry(machine):
    machine.remove("nginx")
    machine.program("apt-get", '[ "$1" = update ] || { echo "E: no luck" >&2; exit 100; }')

    result = machine.run()

    assert result.returncode == 1
    assert "E: no luck" in result.stderr
    assert "apt-get install failed" in result.stderr
    assert "apt-get update && apt-get install -y --no-install-recommends nginx-light" in (
        result.stderr
    )
