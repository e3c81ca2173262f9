"""Access tokens that must never sign anyone in: each forges or bends one part of a real one.

Every way in (the Bearer header, the access cookie, the admin's single sign-on) is tested
with all of them, so that a path that skipped the signature check would be caught.
"""

import base64
import hashlib
import hmac
import json
from datetime import timedelta

from ticketing_shared.keys import generate_key_pair
from ticketing_shared.testing.keys import jwt_test_key_pair
from ticketing_shared.testing.tokens import access_token_mint


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def forged_token(header: dict, claims: dict, sign) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{sign(signing_input.encode())}"


def tampered(**claims) -> str:
    """A real token of a user who is not staff, its payload rewritten to the forger's wishes
    (staff, by default) under the original signature."""
    token = access_token_mint()
    header, _payload, signature = token.split(".")
    forged_claims = {**claims_of(token), "is_staff": True, "is_superuser": True, **claims}
    return f"{header}.{b64(json.dumps(forged_claims).encode())}.{signature}"


def signed_with_another_key(**claims) -> str:
    other_private_key, _ = generate_key_pair()
    return access_token_mint(signing_key=other_private_key, **_staff(claims))


def algorithm_none(**claims) -> str:
    return forged_token(
        {"alg": "none", "typ": "JWT"}, claims_of(access_token_mint(**_staff(claims))), lambda _: ""
    )


def hs256_keyed_with_the_public_key(**claims) -> str:
    # The classic confusion attack: a verifier that lets the token pick the algorithm would
    # check this HMAC with the public key it holds, and accept it.
    public_key = jwt_test_key_pair()[1].encode()
    return forged_token(
        {"alg": "HS256", "typ": "JWT"},
        claims_of(access_token_mint(**_staff(claims))),
        lambda data: b64(hmac.new(public_key, data, hashlib.sha256).digest()),
    )


def expired(**claims) -> str:
    return access_token_mint(lifetime=-timedelta(seconds=5), **_staff(claims))


def a_refresh_token(**claims) -> str:
    return access_token_mint(token_type="refresh", **_staff(claims))


def _staff(claims: dict) -> dict:
    return {"is_staff": True, "is_superuser": True, **claims}


FORGERIES = [tampered, signed_with_another_key, algorithm_none, hs256_keyed_with_the_public_key]
REFUSED_TOKENS = [*FORGERIES, expired, a_refresh_token]


# Claims only the key holder could sign, each of which once made a 500 or was misread:
# simplejwt turns `exp` into a date after PyJWT checked it (1e300 and 10**30 overflow, 10**12
# is past year 9999), a string `is_staff` reads as true, and an object `email` was echoed.
SIGNED_BAD_CLAIMS = {
    "exp 1e300": {"exp": 1e300},
    "exp 10**30": {"exp": 10**30},
    "exp past year 9999": {"exp": 10**12},
    "is_staff a string": {"is_staff": "yes"},
    "is_staff 'false'": {"is_staff": "false"},
    "is_staff 1": {"is_staff": 1},
    "is_superuser a string": {"is_staff": True, "is_superuser": "yes"},
    "email an object": {"email": {"address": "a@example.com"}},
    "email a list": {"email": ["a@example.com"]},
}
