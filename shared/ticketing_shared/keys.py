"""RS256 key material: reading it from the environment and generating development pairs."""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def read_pem(env, name: str, *, default_file: Path | None = None) -> str | None:
    """A PEM from `NAME` (the text itself) or `NAME_FILE` (a path), else from `default_file`.

    Orchestrators inject keys either way: as a variable holding the text (escaped newlines
    are accepted, since many secret stores cannot hold real ones) or as a mounted file.
    """
    value = env.str(name, default="")
    if value:
        return value.replace("\\n", "\n")
    path = env.str(f"{name}_FILE", default="") or default_file
    if path and Path(path).is_file():
        return Path(path).read_text()
    return None


def generate_key_pair() -> tuple[str, str]:
    """A new RSA-2048 pair as (private PEM, public PEM)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private_key.public_key()
        .public_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )
    return private_pem, public_pem
