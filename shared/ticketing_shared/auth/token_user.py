import uuid

from django.utils.functional import cached_property
from rest_framework_simplejwt.models import TokenUser as SimpleJWTTokenUser


class TokenUser(SimpleJWTTokenUser):
    """The signed-in user as the access token describes them: no database behind it."""

    @cached_property
    def id(self) -> uuid.UUID:
        return uuid.UUID(str(self.token["id"]))

    @cached_property
    def pk(self) -> uuid.UUID:
        return self.id

    @cached_property
    def email(self) -> str:
        return self.token.get("email", "")

    @cached_property
    def username(self) -> str:
        return self.email

    def __str__(self) -> str:
        return self.email or str(self.id)
