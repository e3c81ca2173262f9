"""Reads of the auth service."""

from users.models import User


def user_get_for_admin(token_user) -> User | None:
    """The admin's user for a valid access token: the account itself, if still active."""
    return User.objects.filter(pk=token_user.id, is_active=True).first()


def current_user_from_claims(claims) -> dict:
    """What `currentuser` shows: the token's view of the user, as the original did."""
    return {
        "id": claims["id"],
        "email": claims.get("email", ""),
        "isStaff": bool(claims.get("is_staff", False)),
        "iat": claims.get("iat"),
        "exp": claims.get("exp"),
    }
