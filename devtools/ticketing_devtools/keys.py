"""Development secrets: the JWT signing key pair and Django's secret key, made once per checkout."""

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from ticketing_devtools.errors import SetupError
from ticketing_shared.keys import generate_key_pair

PRIVATE_KEY_NAME = "jwt-private.pem"
PUBLIC_KEY_NAME = "jwt-public.pem"


def _write_new(path: Path, content: str, mode: int) -> None:
    # O_EXCL: never overwrite, even if another process wrote the file since we looked.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # the umask may have narrowed the mode; set exactly what we mean
        os.write(fd, content.encode())
    finally:
        os.close(fd)


def ensure_jwt_keys(directory: Path, say: Callable[[str], None] = print) -> tuple[Path, Path]:
    """(private, public) key files in `directory`, generated if neither exists yet.

    Existing keys are kept: tokens already handed out stay valid across restarts.
    """
    private, public = directory / PRIVATE_KEY_NAME, directory / PUBLIC_KEY_NAME
    if private.exists() and public.exists():
        say(f"    using the existing JWT key pair in {directory}")
        return private, public
    if private.exists() or public.exists():
        present = private if private.exists() else public
        raise SetupError(f"only {present} exists; delete it to have a new JWT key pair generated")
    directory.mkdir(parents=True, exist_ok=True)
    private_pem, public_pem = generate_key_pair()
    _write_new(private, private_pem, 0o600)
    _write_new(public, public_pem, 0o644)
    say(f"    generated a JWT key pair: {private} (mode 600) and {public}")
    return private, public


def ensure_secret_key(path: Path, say: Callable[[str], None] = print) -> str:
    """Django's secret key, kept in a file so sessions survive restarts."""
    if path.exists():
        say(f"    using the existing Django secret key in {path}")
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    _write_new(path, key + "\n", 0o600)
    say(f"    generated a Django secret key in {path}")
    return key
