"""scripts/bootstrap.sh gets uv onto PATH on a machine without it, in a copy of the scripts
folder with stand-ins: a python3 that refuses pip installs outside a virtualenv, as Debian's does
(PEP 668), and makes virtualenvs whose pip "installs" a uv that records what it is asked."""

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from ticketing_devtools.paths import find_repo_root

BOOTSTRAP = find_repo_root() / "scripts" / "bootstrap.sh"
UV_VERSION = re.search(r"^UV_VERSION=(\S+)$", BOOTSTRAP.read_text(), re.MULTILINE)[1]
# What the script itself runs, taken from this machine.
REAL_TOOLS = ("bash", "cat", "chmod", "cp", "dirname", "ln", "mkdir")

DEBIAN_PYTHON3 = """#!/bin/sh
echo "python3 $*" >> {calls}
if [ "$1 $2" = "-m pip" ]; then
    echo "error: externally-managed-environment" >&2
    exit 1
fi
if [ "$1 $2 $3" = "-m venv --clear" ]; then
    mkdir -p "$4/bin"
    cp {venv_python} "$4/bin/python"
    exit 0
fi
exit 1
"""
# A virtualenv's python: its pip puts a uv beside it.
VENV_PYTHON = """#!/bin/sh
echo "venv-python $*" >> {calls}
[ "$1 $2 $3" = "-m pip install" ] || exit 1
[ -e {pip_fails} ] && {{ echo "pip: no network" >&2; exit 1; }}
cat > "$(dirname "$0")/uv" <<'UV'
#!/bin/sh
echo "uv $*" >> {calls}
UV
chmod +x "$(dirname "$0")/uv"
"""


@dataclass
class Machine:
    repo: Path
    bin: Path
    calls: Path
    pip_fails: Path

    @property
    def private_uv(self) -> Path:
        return self.repo / ".local" / "tools" / "bin" / "uv"

    def bootstrap(self) -> subprocess.CompletedProcess:
        """Sources the script as scripts/dev does, then says where uv and python3 are."""
        return subprocess.run(
            [
                str(self.bin / "bash"),
                "-c",
                'set -euo pipefail; source "$0"; echo "uv: $(command -v uv)"; '
                'echo "python3: $(command -v python3)"',
                str(self.repo / "scripts" / "bootstrap.sh"),
            ],
            env={"PATH": str(self.bin)},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def recorded(self) -> list[str]:
        lines = self.calls.read_text().splitlines() if self.calls.exists() else []
        self.calls.unlink(missing_ok=True)
        return lines


def executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path) -> Machine:
    """No uv anywhere, and Debian's python3; system-packages records whether it saw a uv."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(BOOTSTRAP, repo / "scripts" / "bootstrap.sh")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in REAL_TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    calls = tmp_path / "calls"
    pip_fails = tmp_path / "pip-fails"
    executable(
        repo / "scripts" / "system-packages",
        f'#!/bin/sh\necho "system-packages uv=$(command -v uv || echo none)" >> {calls}\n',
    )
    venv_python = tmp_path / "venv-python"
    executable(venv_python, VENV_PYTHON.format(calls=calls, pip_fails=pip_fails))
    executable(bin_dir / "python3", DEBIAN_PYTHON3.format(calls=calls, venv_python=venv_python))
    return Machine(repo, bin_dir, calls, pip_fails)


def test_without_uv_the_pinned_uv_goes_into_a_virtualenv_of_its_own(machine):
    result = machine.bootstrap()

    assert result.returncode == 0, result.stderr
    venv = machine.repo / ".local" / "tools" / "uv"
    assert machine.recorded() == [
        "system-packages uv=none",
        f"python3 -m venv --clear {venv}",
        f"venv-python -m pip install --quiet --disable-pip-version-check uv=={UV_VERSION}",
        "uv sync --frozen --all-packages",
    ]
    # The caller (scripts/dev, .ci/run) finds that uv afterwards, and still its own python3.
    assert f"uv: {machine.private_uv}" in result.stdout.splitlines()
    assert f"python3: {machine.bin / 'python3'}" in result.stdout.splitlines()


def test_the_next_run_uses_the_uv_it_installed(machine):
    assert machine.bootstrap().returncode == 0
    machine.recorded()

    again = machine.bootstrap()

    assert again.returncode == 0, again.stderr
    # system-packages sees it too, so it asks for no python3-venv.
    assert machine.recorded() == [
        f"system-packages uv={machine.private_uv}",
        "uv sync --frozen --all-packages",
    ]


def test_a_uv_on_path_is_used_and_nothing_is_installed(machine):
    executable(machine.bin / "uv", f'#!/bin/sh\necho "uv $*" >> {machine.calls}\n')

    result = machine.bootstrap()

    assert result.returncode == 0, result.stderr
    assert machine.recorded() == [
        f"system-packages uv={machine.bin / 'uv'}",
        "uv sync --frozen --all-packages",
    ]
    assert not (machine.repo / ".local").exists()


def test_a_failed_install_stops_the_bootstrap_and_the_next_run_installs_afresh(machine):
    machine.pip_fails.touch()

    failed = machine.bootstrap()

    assert failed.returncode != 0
    assert "pip: no network" in failed.stderr
    assert not any(line.startswith("uv ") for line in machine.recorded())
    machine.pip_fails.unlink()

    retried = machine.bootstrap()

    assert retried.returncode == 0, retried.stderr
    assert machine.recorded()[1:] == [
        f"python3 -m venv --clear {machine.repo / '.local' / 'tools' / 'uv'}",
        f"venv-python -m pip install --quiet --disable-pip-version-check uv=={UV_VERSION}",
        "uv sync --frozen --all-packages",
    ]
