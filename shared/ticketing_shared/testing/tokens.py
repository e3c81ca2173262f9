"""Access tokens minted for tests, as the auth service would mint them."""

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from ticketing_shared.testing.keys import jwt_test_key_pair


def access_token_mint(
    *,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
    lifetime: timedelta = timedelta(minutes=15),
    signing_key: str | None = None,
    algorithm: str = "RS256",
    **extra_claims,
) -> str:
    user_id = user_id or uuid.uuid4()
    now = datetime.now(UTC)
    claims = {
        "token_type": "access",
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "id": str(user_id),
        "email": email or f"user-{user_id.hex[:8]}@example.com",
        "is_staff": is_staff,
        "is_superuser": is_superuser,
        **extra_claims,
    }
    return jwt.encode(claims, signing_key or jwt_test_key_pair()[0], algorithm=algorithm)
