"""Writes of accounts: creating them, signing in and up, deactivating them.

Signing in, by credentials or at sign-up, is one thing wherever it happens (the API, the
admin's form): a new session (`users.services.sessions`) and `last_login`, decided here.
"""

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ticketing_shared.errors.exceptions import ApplicationError, TooManyAttempts
from users.devices import known_device_email
from users.emails import EMAIL_MUST_BE_VALID, InvalidEmail, email_normalize
from users.models import User
from users.services.sessions import (
    TokenPair,
    session_start,
    user_sessions_lock,
    user_sessions_revoke,
)
from users.throttles import signin_attempt_count, signin_attempt_succeeded, signup_attempt_record

EMAIL_IN_USE = "Email in use"
INVALID_CREDENTIALS = "Invalid credentials"
TOO_MANY_SIGNIN_FAILURES = "Too many failed sign-in attempts, try again later"
TOO_MANY_SIGNUPS = "Too many sign-up attempts, try again later"


@transaction.atomic
def user_create(*, email: str, password: str, is_staff: bool = False) -> User:
    user = _user_checked(email=email, password=password, is_staff=is_staff)
    return _user_insert(user=user, password=password)


@transaction.atomic
def user_sign_up(*, email: str, password: str, ip: str) -> tuple[User, TokenPair]:
    """A new account, signed in. Attempts are limited per client address, counted once the
    input is valid: past that point each one costs a password hash and tells whether the
    email has an account."""
    user = _user_checked(email=email, password=password)
    throttle = signup_attempt_record(ip=ip)
    if throttle.blocked:
        raise TooManyAttempts(TOO_MANY_SIGNUPS, retry_after=throttle.retry_after)
    user = _user_insert(user=user, password=password)
    return user, _signed_in(user=user)


@transaction.atomic
def user_sign_in(
    *,
    email: str,
    password: str,
    ip: str,
    device_token: str | None = None,
    staff_only: bool = False,
) -> tuple[User, TokenPair]:
    """Signs the user these credentials name in: a new session, and `last_login` set.
    Every attempt is counted against the sign-in limits before the password is checked; a
    success takes back its own count.

    Unknown email, wrong password and deactivated account give one answer, and Django's
    backend hashes a dummy password for unknown emails, so timing tells nothing either.
    `device_token` is the client's known-device token, if it sent one (users/devices.py): one
    that auth signed for this email exempts the attempt from the email's ceiling.
    `staff_only` (the admin's sign-in) answers an account that is not staff alike, and counts
    it as a failure: the answer must not tell whether its password was right.
    """
    email = _email_normalized(email)
    known_device = device_token if known_device_email(device_token) == email else None
    attempt = signin_attempt_count(email=email, ip=ip, known_device=known_device)
    if attempt.blocked:
        raise TooManyAttempts(TOO_MANY_SIGNIN_FAILURES, retry_after=attempt.retry_after)
    user = authenticate(request=None, email=email, password=password)
    if user is None or (staff_only and not user.is_staff):
        raise ApplicationError(INVALID_CREDENTIALS)  # the attempt stays counted
    signin_attempt_succeeded(attempt)
    return user, _signed_in(user=user)


def _signed_in(*, user: User) -> TokenPair:
    """What signing in does, by credentials or at sign-up: a new session, and `last_login`."""
    # The session first: it takes the user's sessions lock, which every write to their
    # sessions takes before the user's row (a deactivation racing this sign-in), and the row
    # is written only once it is held.
    tokens = session_start(user=user)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    return tokens


@transaction.atomic
def user_deactivate(*, user: User) -> User:
    """Deactivates the user and ends their sessions: they can no longer sign in or refresh."""
    user_sessions_lock(user_id=user.pk)  # before the user's row is written
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_sessions_revoke(user=user)
    return user


@transaction.atomic
def user_reactivate(*, user: User) -> User:
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


def _user_checked(*, email: str, password: str, is_staff: bool = False) -> User:
    """The unsaved user, its email normalized and its password checked against the rules
    (not hashed yet: that is the expensive part)."""
    user = User(email=_email_normalized(email), is_staff=is_staff)
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    return user


def _user_insert(*, user: User, password: str) -> User:
    if User.objects.filter(email=user.email).exists():
        raise ApplicationError(EMAIL_IN_USE, field="email")
    user.set_password(password)
    try:
        # The check above is only the polite answer; the unique index settles races.
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError as error:
        raise ApplicationError(EMAIL_IN_USE, field="email") from error
    return user


def _email_normalized(email: str) -> str:
    try:
        return email_normalize(email)
    except InvalidEmail as error:
        raise ApplicationError(EMAIL_MUST_BE_VALID, field="email") from error
