from django.core.exceptions import ValidationError


class PasswordLengthValidator:
    """Both bounds in one message, so a person sees the whole rule at once."""

    def __init__(self, min_length: int = 8, max_length: int = 128) -> None:
        self.min_length = min_length
        self.max_length = max_length

    def message(self) -> str:
        return f"Password must be between {self.min_length} and {self.max_length} characters"

    def validate(self, password, user=None) -> None:
        if not self.min_length <= len(password) <= self.max_length:
            raise ValidationError(self.message(), code="password_length")

    def get_help_text(self) -> str:
        return self.message()
