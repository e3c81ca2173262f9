"""Known devices: a browser or API client that has signed in to an account before.

The per-email ceiling on failed sign-ins (users/throttles.py) bounds guessing spread over many
addresses, and so it lets anyone who sends enough wrong passwords lock the account, its owner
included. A successful sign-in therefore hands the client a device token (OWASP's "device
cookie"): the account's normalized email and the time it was issued, signed by auth (Django's
signing, with a salt of its own). A sign-in that presents a valid token for the email it signs
in to is not refused by that email's ceiling; it still counts against the per-email-and-address
and per-address limits, and its failures against a low limit per token, so a stolen token
opens no more guessing than one address has.

The token proves only that this client once knew the password: it signs nobody in.
"""

from django.conf import settings
from django.core import signing

KNOWN_DEVICE_SALT = "users.devices.known-device"


def known_device_token_mint(*, email: str) -> str:
    """A token naming `email` (normalized), issued now (the signer's timestamp)."""
    return signing.dumps({"email": email}, salt=KNOWN_DEVICE_SALT)


def known_device_email(token: object) -> str | None:
    """The email a presented device token names, if auth signed it and it is younger than
    `SIGNIN_DEVICE_MAX_AGE_SECONDS`; None for anything else."""
    if not isinstance(token, str) or not token:
        return None
    try:
        claims = signing.loads(
            token, salt=KNOWN_DEVICE_SALT, max_age=settings.SIGNIN_DEVICE_MAX_AGE_SECONDS
        )
    except (signing.BadSignature, ValueError):
        # ValueError: a string the signer cannot even encode (a lone surrogate).
        return None
    email = claims.get("email") if isinstance(claims, dict) else None
    return email if isinstance(email, str) else None


def known_device_cookie_set(response, *, email: str) -> None:
    """Remembers the client as a known device of `email`: HttpOnly, SameSite=Lax, Secure
    outside local development, like the session cookies, and on every path, since both the
    API's sign-in and the admin's read it."""
    response.set_cookie(
        settings.SIGNIN_DEVICE_COOKIE_NAME,
        known_device_token_mint(email=email),
        max_age=settings.SIGNIN_DEVICE_MAX_AGE_SECONDS,
        path="/",
        secure=settings.AUTH_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
