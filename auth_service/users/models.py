import contextlib
import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from users.emails import (
    EMAIL_MAX_LENGTH,
    EMAIL_MUST_BE_VALID,
    InvalidEmail,
    email_normalize,
    validate_normalizable_email,
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # Django's sign-in backend and `createsuperuser` look accounts up through here.
        try:
            normalized = email_normalize(email)
        except InvalidEmail:
            raise self.model.DoesNotExist from None
        return self.get(email=normalized)

    def create_user(self, email, password=None, **extra_fields):
        user = self.model(email=email_normalize(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A ticketing account, signed in by email; the id is what every token carries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(
        max_length=EMAIL_MAX_LENGTH,
        unique=True,
        validators=[validate_normalizable_email],
        help_text="Stored in its normalized form: printable ASCII, lower case.",
    )
    is_staff = models.BooleanField(
        default=False, help_text="Staff can use the admin of every service."
    )
    is_active = models.BooleanField(
        default=True, help_text="Inactive users can neither sign in nor refresh their session."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["-date_joined"]
        constraints = [
            # Every write stores `email_normalize`'s output, so the plain unique index on the
            # column is the uniqueness of normalized addresses; this refuses any write that
            # skipped the rule (bulk_create, raw SQL) instead of letting it dodge the index.
            models.CheckConstraint(
                condition=models.Q(email=Lower("email"), email__regex=r"^[!-~]+$"),
                name="users_user_email_normalized",
                violation_error_message=EMAIL_MUST_BE_VALID,
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self):
        super().clean()
        # Forms (the admin's) save through here rather than through the manager. A value the
        # rule refuses is reported by the field's validator.
        with contextlib.suppress(InvalidEmail):
            self.email = email_normalize(self.email)

    def set_unusable_password(self):
        super().set_unusable_password()
        # Django marks only `set_password` as a change (`_password`); this ends sessions too.
        self._password_made_unusable = True

    def save(self, *args, **kwargs):
        # `_password` is set by `set_password` and cleared again by the hash upgrade
        # `check_password` performs, which is no change of password.
        password_changed = not self._state.adding and (
            self._password is not None or getattr(self, "_password_made_unusable", False)
        )
        with transaction.atomic(using=kwargs.get("using")):
            if password_changed:
                from users.services import user_sessions_lock, user_sessions_revoke

                # Before the user's row is written, as every write to their sessions does.
                user_sessions_lock(user_id=self.pk)
            super().save(*args, **kwargs)
            if password_changed:
                # Here, where every path passes (the admin's forms, the `changepassword`
                # command, `set_password` and `save` in a shell): a new password ends every
                # session the old one opened.
                user_sessions_revoke(user=self)
        self._password_made_unusable = False


class SessionToken(models.Model):
    """The session a refresh token belongs to: every token rotated from one sign-in.

    Reuse detection and signing out end a session as a whole, the tokens already rotated out
    and the one still current alike.
    """

    token = models.OneToOneField(
        OutstandingToken,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="session_link",
    )
    session_id = models.UUIDField(db_index=True)

    def __str__(self) -> str:
        return f"{self.session_id}: {self.token_id}"
