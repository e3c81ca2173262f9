"""Authentication from RS256 access tokens, verified locally with the public key alone."""

import logging

from django.conf import settings
from rest_framework_simplejwt.authentication import (
    AUTH_HEADER_TYPE_BYTES,
    JWTStatelessUserAuthentication,
)
from rest_framework_simplejwt.exceptions import InvalidToken

from ticketing_shared.auth.token_user import TokenUser

logger = logging.getLogger(__name__)


class JWTAuthentication(JWTStatelessUserAuthentication):
    """An access token from `Authorization: Bearer` or the access cookie.

    A bad bearer token is the caller's explicit mistake: 401. A stale or damaged cookie is
    not: the browser is treated as signed out, so public pages keep working for it. An
    `Authorization` header of another scheme (`Basic ...`, which some proxies and tools add)
    names no token of ours, and leaves the cookie to decide.

    Whatever fails while a presented token is checked makes it an InvalidToken, not only the
    failures the libraries expect: a validly signed `"exp": 1e300` passes PyJWT and then
    overflows simplejwt's date conversion. The claims themselves are checked by TokenUser.
    """

    www_authenticate_realm = "api"

    def authenticate(self, request):
        if _is_bearer(self.get_header(request)):
            authenticated = super().authenticate(request)
        else:
            authenticated = self._authenticate_cookie(request)
        if authenticated is not None:
            request._request.authenticated_user_id = authenticated[0].id
        return authenticated

    def get_validated_token(self, raw_token):
        return _invalid_on_any_failure(super().get_validated_token, raw_token)

    def _authenticate_cookie(self, request):
        raw_token = request.COOKIES.get(settings.ACCESS_COOKIE_NAME)
        if not raw_token:
            return None
        return self.token_user_and_token(raw_token)

    def token_user_and_token(self, raw_token):
        """(user, token) for a valid access token, else None."""
        try:
            validated_token = self.get_validated_token(raw_token)
            return self.get_user(validated_token), validated_token
        except InvalidToken:
            return None


def _invalid_on_any_failure(check, argument):
    try:
        return check(argument)
    except InvalidToken:
        raise
    except Exception as exc:
        # Worth a look (the libraries' expected refusals are InvalidToken already), never a 500.
        logger.warning("access token refused: %s: %s", type(exc).__name__, exc)
        raise InvalidToken("Token is invalid") from exc


def _is_bearer(header: bytes | None) -> bool:
    parts = header.split() if header else []
    return bool(parts) and parts[0] in AUTH_HEADER_TYPE_BYTES


def token_user_from_raw(raw_token: str | None) -> TokenUser | None:
    """The user of a valid access token, or None: for code outside DRF views."""
    if not raw_token:
        return None
    authenticated = JWTAuthentication().token_user_and_token(raw_token)
    return authenticated[0] if authenticated is not None else None
