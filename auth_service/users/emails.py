"""The one rule that turns what a person typed into the email an account is stored and found by.

Every path goes through `email_normalize`: sign-up, sign-in, the throttle's keys, the admin's
forms, `createsuperuser`, the manager's lookups and the migration that normalized older rows.
The database then compares normalized strings with plain equality, so no second notion of
"the same letter" (PostgreSQL's `UPPER()`, Python's `lower()`) can disagree with this one.

Only printable ASCII is accepted, in the local part and in the domain. Unicode letters that
fold into ASCII letters (U+017F, the long s, folds to `s`; U+212A, the Kelvin sign, to `k`;
U+0131, the dotless i, upper-cases to `I`) made one address reachable by several spellings;
Django's email regex, compiled with `re.IGNORECASE`, even accepts them as ASCII letters. Mail
servers treat such local parts as different mailboxes, so folding them into the ASCII address
would hand one person's address to another, and keeping them apart would let them pass for
it: refusing them is the only answer that is safe both ways. An internationalized domain is
accepted in its ASCII (`xn--`) form, the one mail is routed by. For printable ASCII, NFKC
and case folding amount to `lower()`.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# The longest address SMTP carries (RFC 5321's 256-octet path, less its angle brackets).
EMAIL_MAX_LENGTH = 254
EMAIL_MUST_BE_VALID = "Email must be valid"

_PRINTABLE_ASCII = frozenset(chr(code) for code in range(0x21, 0x7F))


class InvalidEmail(ValueError):
    """The address is not one an account can have."""


def email_normalize(email: str) -> str:
    """The stored form of `email`: trimmed, printable ASCII, lower case, at most 254 characters.

    Raises `InvalidEmail` for anything else, including addresses Django's validator refuses.
    """
    if not isinstance(email, str):
        raise InvalidEmail(EMAIL_MUST_BE_VALID)
    candidate = email.strip()
    if not candidate or len(candidate) > EMAIL_MAX_LENGTH:
        raise InvalidEmail(EMAIL_MUST_BE_VALID)
    if not set(candidate) <= _PRINTABLE_ASCII:
        raise InvalidEmail(EMAIL_MUST_BE_VALID)
    normalized = candidate.lower()
    try:
        validate_email(normalized)
    except ValidationError as error:
        raise InvalidEmail(EMAIL_MUST_BE_VALID) from error
    return normalized


def validate_normalizable_email(value: str) -> None:
    """The model field's validator: forms and `createsuperuser` refuse what the rule refuses."""
    try:
        email_normalize(value)
    except InvalidEmail as error:
        raise ValidationError(EMAIL_MUST_BE_VALID, code="invalid") from error
