import uuid

from django.utils.functional import cached_property
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.models import TokenUser as SimpleJWTTokenUser


class TokenUser(SimpleJWTTokenUser):
    """The signed-in user as the access token describes them: no database behind it.

    Made from a verified token only; one whose `id` claim is not a UUID is refused as an
    InvalidToken here, once, rather than failing (a 500) wherever the id is first read. Only
    the key holder can mint such a token, but a slip there must not break every service.
    """

    def __init__(self, token) -> None:
        super().__init__(token)
        try:
            self._id = uuid.UUID(str(token["id"]))
        except (KeyError, ValueError):
            raise InvalidToken("Token contained no recognizable user identification") from None

    @property
    def id(self) -> uuid.UUID:
        return self._id

    @property
    def pk(self) -> uuid.UUID:
        return self._id

    @cached_property
    def email(self) -> str:
        return self.token.get("email", "")

    @cached_property
    def username(self) -> str:
        return self.email

    def __str__(self) -> str:
        return self.email or str(self.id)
