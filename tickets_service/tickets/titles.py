"""Titles as clients send them: text a person can read on one line. Stored trimmed and in
Unicode's composed form (NFC), so one title is stored one way however it was typed."""

import unicodedata

from tickets.models import TITLE_MAX_LENGTH

TITLE_REQUIRED = "Title is required"
TITLE_NOT_TEXT = "Title must be a string"
TITLE_TOO_LONG = f"Title must be at most {TITLE_MAX_LENGTH} characters"
TITLE_CONTROL_CHARACTERS = "Title must not contain control characters"
# Letters, marks on them, numbers, punctuation, symbols: what a reader sees. Spaces, format
# characters (zero-width joiners, direction marks) and marks alone show nothing by themselves.
_VISIBLE_CATEGORIES = ("L", "N", "P", "S")


class InvalidTitle(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def title_clean(value) -> str:
    """The title `value` names; raises `InvalidTitle` with the message the client is shown."""
    if value is None:
        raise InvalidTitle(TITLE_REQUIRED)
    if not isinstance(value, str):
        raise InvalidTitle(TITLE_NOT_TEXT)
    title = unicodedata.normalize("NFC", value.strip())
    if not any(unicodedata.category(char)[0] in _VISIBLE_CATEGORIES for char in title):
        raise InvalidTitle(TITLE_REQUIRED)
    # Line breaks, escapes, NUL (which PostgreSQL cannot store): a title is one line of text.
    if any(unicodedata.category(char) == "Cc" for char in title):
        raise InvalidTitle(TITLE_CONTROL_CHARACTERS)
    if len(title) > TITLE_MAX_LENGTH:
        raise InvalidTitle(TITLE_TOO_LONG)
    return title
