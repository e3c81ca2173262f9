"""Where the repository is, and where local-only state (keys, gateway files) is kept."""

from dataclasses import dataclass
from pathlib import Path

from ticketing_devtools.errors import SetupError


def _is_workspace_root(directory: Path) -> bool:
    pyproject = directory / "pyproject.toml"
    return pyproject.is_file() and "[tool.uv.workspace]" in pyproject.read_text()


def find_repo_root(start: Path | None = None) -> Path:
    """The workspace root: the package's own location first (it is installed editable from the
    repository), then the working directory and its parents."""
    candidates = [Path(__file__).resolve().parents[2]]
    here = (start or Path.cwd()).resolve()
    candidates += [here, *here.parents]
    for candidate in candidates:
        if _is_workspace_root(candidate):
            return candidate
    raise SetupError("cannot find the Ticketing repository: run this from inside it")


@dataclass(frozen=True)
class LocalState:
    """Files that belong to one local run only: by default the checkout's git-ignored `.local/`,
    or another directory (`--state-dir`) so that a second runner leaves the first one's alone."""

    directory: Path

    @classmethod
    def of_repo(cls, repo: Path) -> "LocalState":
        return cls(repo / ".local")

    @property
    def keys_dir(self) -> Path:
        return self.directory / "keys"

    @property
    def secret_key_file(self) -> Path:
        return self.directory / "secret-key"

    @property
    def gateway_dir(self) -> Path:
        return self.directory / "gateway"

    @property
    def static_dir(self) -> Path:
        return self.directory / "static"

    @property
    def celery_dir(self) -> Path:
        return self.directory / "celery"

    @property
    def redis_dir(self) -> Path:
        """A copy's own Redis data (the usual run uses the machine's Redis)."""
        return self.directory / "redis"

    @property
    def env_dir(self) -> Path:
        """`<service>.env`: what the runner gave each service, read by `manage.py` by hand."""
        return self.directory / "env"
