"""Writes of the auth service (HackSoft's services): accounts (`accounts`) and their token
sessions (`sessions`). Callers import from here."""

from users.services.accounts import (
    EMAIL_IN_USE,
    INVALID_CREDENTIALS,
    TOO_MANY_SIGNIN_FAILURES,
    TOO_MANY_SIGNUPS,
    user_create,
    user_deactivate,
    user_reactivate,
    user_sign_in,
    user_sign_up,
)
from users.services.sessions import (
    TokenPair,
    refresh_successor_cache_key,
    session_access_renew,
    session_end,
    session_refresh,
    session_start,
    user_sessions_lock,
    user_sessions_revoke,
)

__all__ = [
    "EMAIL_IN_USE",
    "INVALID_CREDENTIALS",
    "TOO_MANY_SIGNIN_FAILURES",
    "TOO_MANY_SIGNUPS",
    "TokenPair",
    "refresh_successor_cache_key",
    "session_access_renew",
    "session_end",
    "session_refresh",
    "session_start",
    "user_create",
    "user_deactivate",
    "user_reactivate",
    "user_sessions_lock",
    "user_sessions_revoke",
    "user_sign_in",
    "user_sign_up",
]
