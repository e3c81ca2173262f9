"""The JWTs auth mints, with the lifetimes in force when each is minted.

simplejwt reads its lifetimes once, when it is imported; these read Django's settings per
token, so a settings change (an override in a test, a process's own settings) is honoured.
"""

from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken


class SessionAccessToken(AccessToken):
    @property
    def lifetime(self):
        return settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]


class SessionRefreshToken(RefreshToken):
    access_token_class = SessionAccessToken

    @property
    def lifetime(self):
        return settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]


class PresentedRefreshToken(SessionRefreshToken):
    """A refresh token checked as simplejwt checks one (signature, expiry, type), but not
    against the blacklist: the services look at that themselves, under the row lock, since a
    blacklisted token may be within its reuse window, or a rotated one presented again."""

    def check_blacklist(self) -> None:
        return
