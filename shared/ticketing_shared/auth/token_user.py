import uuid

from django.utils.functional import cached_property
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.models import TokenUser as SimpleJWTTokenUser

# The claims a user is described by, each with the type auth mints it with; a claim left
# out means its default.
_FLAG_CLAIMS = ("is_staff", "is_superuser")


class TokenUser(SimpleJWTTokenUser):
    """The signed-in user as the access token describes them: no database behind it.

    Made from a verified token only, whose claims are checked here, once, rather than failing
    (a 500) or misleading wherever one is first read: an `id` that is not a UUID, an
    `is_staff` or `is_superuser` that is not a boolean (`"yes"` would read as true, and so
    would `"false"`), an `email` that is not a string (an object would be echoed back as one)
    make the token an InvalidToken. Only the key holder can mint such a token, but a slip
    there must not break or open every service.
    """

    def __init__(self, token) -> None:
        super().__init__(token)
        try:
            self._id = uuid.UUID(str(token["id"]))
        except (KeyError, ValueError):
            raise InvalidToken("Token contained no recognizable user identification") from None
        if any(not isinstance(token.get(claim, False), bool) for claim in _FLAG_CLAIMS):
            raise InvalidToken("Token's staff claims are not booleans")
        if not isinstance(token.get("email", ""), str):
            raise InvalidToken("Token's email is not a string")

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
