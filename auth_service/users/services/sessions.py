"""Writes of token sessions: minting, rotating, renewing and revoking refresh tokens.

A session is every refresh token rotated from one sign-in (a token family). Each refresh
token's outstanding row is linked to its session (`SessionToken`), so that signing out, and a
rotated token presented again after its reuse window (a sign that the token was stolen and
one party is using the other's tokens), end the session as a whole.

Every write to one user's sessions (minting, rotating, revoking) holds that user's sessions
lock (`user_sessions_lock`) until its transaction ends, so a revocation sees every token a
concurrent rotation minted, and a rotation after a revocation finds its token revoked.
"""

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from ticketing_shared.errors.exceptions import NotAuthorized
from users.models import SessionToken, User
from users.tokens import PresentedRefreshToken, SessionAccessToken, SessionRefreshToken

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def user_sessions_lock(*, user_id: uuid.UUID) -> None:
    """Holds the lock on `user_id`'s sessions until the current transaction ends.

    Every write to a user's sessions takes it before any row lock (so that two of them never
    wait on each other in opposite orders). Without it a revocation listed the user's tokens
    while a rotation's new token was not yet committed, and that token outlived the sign-out,
    the password change or the reuse detection; the blacklist insert for the rotated token
    itself, which the rotation had just made, then did nothing.
    """
    if not connection.in_atomic_block:
        # A transaction-scoped lock outside a transaction is released at once.
        raise RuntimeError("user_sessions_lock needs a transaction")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"auth:user-sessions:{user_id}"],
        )


@transaction.atomic
def session_start(*, user: User) -> TokenPair:
    """A new session for `user`: its first refresh token and an access token."""
    user_sessions_lock(user_id=user.pk)
    refresh = _refresh_token_mint(user=user, session_id=uuid.uuid4())
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def session_refresh(*, refresh: str) -> tuple[User, TokenPair]:
    """A new token pair for a valid refresh token, which is used up (rotation).

    Presented again within `JWT_REFRESH_REUSE_SECONDS` of its rotation, a token gets the pair
    it was rotated into, so that a browser's parallel requests, which carry the same cookies,
    all stay signed in; after that its whole session is revoked (reuse detection).

    Not atomic itself: a refusal must not roll back the revocation that comes with it.
    """
    rotated = _refresh_token_rotate(refresh=refresh)
    if rotated is None:
        raise NotAuthorized()
    return rotated


def session_access_renew(*, refresh: str) -> tuple[User, str]:
    """A new access token for a valid refresh token, which stays as it is (no rotation).

    For `currentuser`: a server-side renderer forwards the browser's cookies and may drop the
    answer's, so a refresh token rotated there would be lost and the browser signed out. A
    rotated token presented after its reuse window revokes its session, as on refresh.
    """
    renewed = _access_token_renew(refresh=refresh)
    if renewed is None:
        raise NotAuthorized()
    return renewed


@transaction.atomic
def session_end(*, refresh: str | None) -> None:
    """Signing out: ends the session of `refresh`, every token rotated from its sign-in.

    A token rotated out moments ago (a browser that signs out while a parallel request
    rotated its cookie) thus ends its successor too.
    """
    if not refresh:
        return
    claims = _refresh_token_read(refresh)
    if claims is None:
        return  # expired or forged: there is no session to end
    user_sessions_lock(user_id=claims.user_id)
    outstanding = OutstandingToken.objects.filter(jti=claims.jti, user_id=claims.user_id).first()
    if outstanding is not None:
        _session_revoke(outstanding=outstanding)


@transaction.atomic
def user_sessions_revoke(*, user: User) -> None:
    """Revokes every refresh token `user` holds: their sessions end within one access-token
    lifetime. `User.save` calls it when the password changes."""
    user_sessions_lock(user_id=user.pk)
    _blacklist(OutstandingToken.objects.filter(user=user))


@dataclass(frozen=True)
class _Presented:
    user: User
    outstanding: OutstandingToken
    # The pair it was rotated into, if it was rotated within the reuse window and that
    # pair's session is still alive.
    successor: TokenPair | None
    rotated_out: bool


@transaction.atomic
def _refresh_token_rotate(*, refresh: str) -> tuple[User, TokenPair] | None:
    presented = _refresh_token_presented(refresh=refresh)
    if presented is None:
        return None
    if presented.rotated_out:
        return presented.user, presented.successor
    BlacklistedToken.objects.create(token=presented.outstanding)
    new_refresh = _refresh_token_mint(
        user=presented.user, session_id=_session_id_of(presented.outstanding)
    )
    tokens = TokenPair(access=str(new_refresh.access_token), refresh=str(new_refresh))
    # Written while the row is still locked: a request waiting on the lock finds it when it
    # gets the row. Should this transaction roll back, the new refresh token is not
    # outstanding and refuses to rotate.
    if settings.JWT_REFRESH_REUSE_SECONDS > 0:
        cache.set(
            refresh_successor_cache_key(presented.outstanding.jti),
            {"access": tokens.access, "refresh": tokens.refresh, "jti": new_refresh["jti"]},
            timeout=settings.JWT_REFRESH_REUSE_SECONDS,
        )
    return presented.user, tokens


@transaction.atomic
def _access_token_renew(*, refresh: str) -> tuple[User, str] | None:
    presented = _refresh_token_presented(refresh=refresh)
    if presented is None:
        return None
    return presented.user, str(_access_token_mint(user=presented.user))


@dataclass(frozen=True)
class _TokenClaims:
    jti: str
    user_id: uuid.UUID


def _refresh_token_read(refresh: str) -> _TokenClaims | None:
    """The id and user of a presented refresh token that verifies; None when it opens nothing.

    The string is untrusted, and so are the types of the claims of a token that verifies
    (our key signs them, but a claim's type is not what a signature checks). No failure to
    read one may be more than a token that opens nothing: simplejwt lets an `exp` of 1e300
    overflow (OverflowError) and a lone surrogate fail to encode (UnicodeEncodeError).
    """
    try:
        token = PresentedRefreshToken(refresh)
    except TokenError:
        return None
    except Exception as error:  # any: see the docstring
        logger.warning("refresh token unreadable: %s", type(error).__name__)
        return None
    jti = token.payload.get(jwt_settings.JTI_CLAIM)
    user_id = token.payload.get(jwt_settings.USER_ID_CLAIM)
    # PostgreSQL refuses a NUL in a string: such an id names no row.
    if not isinstance(jti, str) or "\x00" in jti or not isinstance(user_id, str):
        return None
    try:
        return _TokenClaims(jti=jti, user_id=uuid.UUID(user_id))
    except ValueError:
        return None


def _refresh_token_presented(*, refresh: str) -> _Presented | None:
    """The presented refresh token's user and row, locked; None when it opens nothing.

    A token already rotated out, presented after its reuse window, revokes its session
    before the answer: whoever holds the other tokens of the session, the thief or the
    owner, is signed out with it.
    """
    claims = _refresh_token_read(refresh)
    if claims is None:
        return None
    user_sessions_lock(user_id=claims.user_id)
    outstanding = (
        OutstandingToken.objects.select_for_update()
        .filter(jti=claims.jti, user_id=claims.user_id)  # the lock taken is its user's
        .order_by()  # the model orders by its nullable user, an outer join FOR UPDATE refuses
        .first()
    )
    if outstanding is None:
        return None
    user = User.objects.filter(pk=claims.user_id, is_active=True).first()
    if user is None:
        return None
    if not BlacklistedToken.objects.filter(token=outstanding).exists():
        return _Presented(user=user, outstanding=outstanding, successor=None, rotated_out=False)
    successor = _successor_alive(outstanding.jti)
    if successor is None:
        _session_revoke(outstanding=outstanding, untracked_reused=True)
        return None
    return _Presented(user=user, outstanding=outstanding, successor=successor, rotated_out=True)


def _successor_alive(jti: str) -> TokenPair | None:
    successor = cache.get(refresh_successor_cache_key(jti))
    if successor is None:
        return None
    if BlacklistedToken.objects.filter(token__jti=successor["jti"]).exists():
        return None  # its session ended since (signed out, reuse detected)
    return TokenPair(access=successor["access"], refresh=successor["refresh"])


def refresh_successor_cache_key(jti: str) -> str:
    """Where the pair a refresh token was rotated into is kept for its reuse window."""
    return f"auth:refresh-successor:{jti}"


def _refresh_token_mint(*, user: User, session_id: uuid.UUID) -> SessionRefreshToken:
    refresh = SessionRefreshToken()
    for claim, value in _claims(user).items():
        refresh[claim] = value
    outstanding = OutstandingToken.objects.create(
        user=user,
        jti=refresh[jwt_settings.JTI_CLAIM],
        token=str(refresh),
        created_at=refresh.current_time,
        expires_at=datetime_from_epoch(refresh["exp"]),
    )
    SessionToken.objects.create(token=outstanding, session_id=session_id)
    return refresh


def _access_token_mint(*, user: User) -> SessionAccessToken:
    access = SessionAccessToken()
    for claim, value in _claims(user).items():
        access[claim] = value
    return access


def _claims(user: User) -> dict:
    # What every service reads without asking us: who, their email, and admin rights.
    return {
        jwt_settings.USER_ID_CLAIM: str(user.id),
        "email": user.email,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }


def _session_id_of(outstanding: OutstandingToken) -> uuid.UUID:
    link = SessionToken.objects.filter(token=outstanding).first()
    if link is not None:
        return link.session_id
    # A token minted before sessions were tracked starts one at its first rotation.
    session_id = uuid.uuid4()
    SessionToken.objects.create(token=outstanding, session_id=session_id)
    return session_id


def _session_revoke(*, outstanding: OutstandingToken, untracked_reused: bool = False) -> None:
    """Blacklists every refresh token of the session `outstanding` belongs to. The caller
    holds the sessions lock of its user.

    A token minted before sessions were tracked is a session of its own, unless it was
    rotated before then (`untracked_reused`): its successors are unknown, so every token of
    its user is revoked (one sign-in more for the owner, none left for a thief).
    """
    link = SessionToken.objects.filter(token=outstanding).first()
    if link is not None:
        tokens = OutstandingToken.objects.filter(session_link__session_id=link.session_id)
    elif untracked_reused:
        tokens = OutstandingToken.objects.filter(user_id=outstanding.user_id)
    else:
        tokens = [outstanding]
    _blacklist(tokens)


def _blacklist(tokens) -> None:
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in tokens], ignore_conflicts=True
    )
