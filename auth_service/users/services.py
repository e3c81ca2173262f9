"""Writes of the auth service: accounts and their token sessions."""

from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from ticketing_shared.errors.exceptions import ApplicationError, NotAuthorized, TooManyAttempts
from users.models import User, email_normalize
from users.signin_throttle import (
    signin_failure_record,
    signin_failures_clear,
    signin_throttle_state,
)

EMAIL_IN_USE = "Email in use"
INVALID_CREDENTIALS = "Invalid credentials"
TOO_MANY_SIGNIN_FAILURES = "Too many failed sign-in attempts, try again later"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


@transaction.atomic
def user_create(*, email: str, password: str, is_staff: bool = False) -> User:
    user = User(email=email_normalize(email), is_staff=is_staff)
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    if User.objects.filter(email__iexact=user.email).exists():
        raise ApplicationError(EMAIL_IN_USE, field="email")
    user.set_password(password)
    try:
        # The check above is only the polite answer; the unique index settles races.
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError as error:
        raise ApplicationError(EMAIL_IN_USE, field="email") from error
    return user


@transaction.atomic
def user_sign_up(*, email: str, password: str) -> tuple[User, TokenPair]:
    user = user_create(email=email, password=password)
    return user, session_start(user=user)


def user_sign_in(*, email: str, password: str, ip: str) -> User:
    """The user these credentials name, counting failures against the sign-in limit.

    Unknown email, wrong password and deactivated account give one answer, and Django's
    backend hashes a dummy password for unknown emails, so timing tells nothing either.
    """
    throttle = signin_throttle_state(email=email, ip=ip)
    if throttle.blocked:
        raise TooManyAttempts(TOO_MANY_SIGNIN_FAILURES, retry_after=throttle.retry_after)
    user = authenticate(request=None, email=email, password=password)
    if user is None:
        signin_failure_record(email=email, ip=ip)
        raise ApplicationError(INVALID_CREDENTIALS)
    signin_failures_clear(email=email)
    return user


@transaction.atomic
def session_start(*, user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    # Claims every service reads without asking us: who, their email, and admin rights.
    refresh["email"] = user.email
    refresh["is_staff"] = user.is_staff
    refresh["is_superuser"] = user.is_superuser
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


@transaction.atomic
def session_refresh(*, refresh: str) -> tuple[User, TokenPair]:
    """A new token pair for a valid refresh token, which is used up (rotation).

    The outstanding-token row is locked, so two requests racing with one refresh token
    cannot both rotate it. Presented again within `JWT_REFRESH_REUSE_SECONDS` of its rotation,
    it gets the pair it was rotated into, so that a browser's parallel requests, which carry
    the same cookies, all stay signed in; after that it is refused.
    """
    try:
        old_refresh = _RefreshTokenToRotate(refresh)
    except TokenError as error:
        raise NotAuthorized() from error
    jti = old_refresh[jwt_settings.JTI_CLAIM]
    outstanding = (
        OutstandingToken.objects.select_for_update()
        .filter(jti=jti)
        .order_by()  # the model orders by its nullable user, an outer join FOR UPDATE refuses
        .first()
    )
    if outstanding is None:
        raise NotAuthorized()
    user = User.objects.filter(pk=old_refresh[jwt_settings.USER_ID_CLAIM], is_active=True).first()
    if user is None:
        raise NotAuthorized()
    if BlacklistedToken.objects.filter(token=outstanding).exists():
        successor = cache.get(_successor_key(jti))
        if successor is None:
            raise NotAuthorized()
        return user, TokenPair(**successor)
    BlacklistedToken.objects.create(token=outstanding)
    tokens = session_start(user=user)
    # Written while the row is still locked: a request waiting on the lock finds it when it
    # gets the row. Should this transaction roll back, the new refresh token is not
    # outstanding and refuses to rotate.
    if settings.JWT_REFRESH_REUSE_SECONDS > 0:
        cache.set(_successor_key(jti), asdict(tokens), timeout=settings.JWT_REFRESH_REUSE_SECONDS)
    return user, tokens


class _RefreshTokenToRotate(RefreshToken):
    """A refresh token checked as simplejwt checks one (signature, expiry, type), but not
    against the blacklist: `session_refresh` does that itself, under the row lock, since a
    blacklisted token may still be within its reuse window."""

    def check_blacklist(self) -> None:
        return


def _successor_key(jti: str) -> str:
    return f"auth:refresh-successor:{jti}"


@transaction.atomic
def session_end(*, refresh: str | None) -> None:
    if not refresh:
        return
    try:
        RefreshToken(refresh).blacklist()
    except TokenError:
        return  # already expired, blacklisted or forged: there is no session to end


@transaction.atomic
def user_deactivate(*, user: User) -> User:
    """Deactivates the user and revokes every refresh token they hold: their sessions end
    within one access-token lifetime, and they can no longer sign in."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    outstanding = OutstandingToken.objects.filter(user=user)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return user


@transaction.atomic
def user_reactivate(*, user: User) -> User:
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user
