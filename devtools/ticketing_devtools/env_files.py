"""Each service's env file, `<state dir>/env/<service>.env`: where the runner put its database,
Redis and keys, so that `manage.py` run by hand in the service's folder uses the same ones.

The shared settings read it in development (from TICKETING_STATE_DIR, else the checkout's
`.local/`), without overriding what the process's environment already says. It is rewritten at
every start of the runner, and read by django-environ's `Env.read_env`.
"""

import os
from collections.abc import Mapping
from pathlib import Path

from ticketing_devtools.errors import SetupError
from ticketing_shared.registry import SERVICES

# What locates the runner's resources (for the frontend, where this run's APIs listen). Not how
# it serves them (TRUSTED_PROXY_COUNT describes the gateway in front of its processes,
# DJANGO_DEBUG and DJANGO_STATIC_ROOT its gunicorn mode): a command or a test run in the folder
# has none of that, and would be misled.
ENV_FILE_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "JWT_PUBLIC_KEY_FILE",
    "JWT_PRIVATE_KEY_FILE",
    "DJANGO_SECRET_KEY",
    *(service.api_url_variable for service in SERVICES if not service.is_catch_all),
)


def env_file_quote(name: str, value: str) -> str:
    """A value as `Env.read_env` reads it back unchanged: double quotes, with backslashes and
    double quotes escaped."""
    if "\n" in value or "\r" in value:
        raise SetupError(f"{name} has a line break: an env file cannot hold it")
    if value.startswith("$"):
        # django-environ reads a leading $ as a reference to another variable.
        raise SetupError(f"{name} starts with $: django-environ would read another variable")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def env_file_render(service_name: str, env: Mapping[str, str]) -> str:
    lines = [
        f"# What `scripts/dev` gave {service_name}: `manage.py` in its folder reads this, so it",
        "# uses the same database, Redis and keys. Rewritten at every start; edits are lost.",
    ]
    lines += [
        f"{name}={env_file_quote(name, env[name])}" for name in ENV_FILE_VARIABLES if name in env
    ]
    return "\n".join(lines) + "\n"


def env_file_write(path: Path, service_name: str, env: Mapping[str, str]) -> None:
    """Write it whole or not at all, readable by its owner only (it holds the secret key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    content = env_file_render(service_name, env)
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, content.encode())
    finally:
        os.close(fd)
    partial.replace(path)
