"""Stores every email in the form `users.emails.email_normalize` gives it.

Before, lookups compared emails with PostgreSQL's UPPER() and the unique index with lower():
they disagree on letters such as `ſ` and `ı`, so one address could belong to two accounts
(`ſam@x.com` and `sam@x.com`), and addresses the rule now refuses could be stored. Merging or
renaming accounts is not a migration's call: when any account is in the way, this stops and
lists them, and an operator decides (change the email of the others, or delete them) and
runs `migrate` again.
"""

import unicodedata
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import migrations


class EmailsNeedAnOperator(Exception):
    pass


# The rule as `users.emails.email_normalize` had it when this migration was written, copied
# here: history must not change when the live rule does (this migration also runs on every
# new database, and 0003 runs it again).
_EMAIL_MAX_LENGTH = 254
_PRINTABLE_ASCII = frozenset(chr(code) for code in range(0x21, 0x7F))


class InvalidEmail(ValueError):
    pass


def email_normalize(email: str) -> str:
    """Trimmed, printable ASCII, lower case, at most 254 characters, valid for Django."""
    if not isinstance(email, str):
        raise InvalidEmail(email)
    candidate = email.strip()
    if not candidate or len(candidate) > _EMAIL_MAX_LENGTH:
        raise InvalidEmail(email)
    if not set(candidate) <= _PRINTABLE_ASCII:
        raise InvalidEmail(email)
    normalized = candidate.lower()
    try:
        validate_email(normalized)
    except ValidationError as error:
        raise InvalidEmail(email) from error
    return normalized


def _lookalike(email: str) -> str:
    # How the old lookups saw an address: NFKC (Django's username normalization), then
    # PostgreSQL's UPPER(), then case folding; for an address the rule accepts, its stored form.
    return unicodedata.normalize("NFKC", email.strip()).upper().casefold()


def emails_normalize(apps, schema_editor):
    User = apps.get_model("users", "User")
    accounts = list(User.objects.order_by("date_joined").values_list("id", "email"))
    normalized = {}
    refused = []
    for user_id, email in accounts:
        try:
            normalized[user_id] = email_normalize(email)
        except InvalidEmail:
            refused.append(user_id)
    groups = defaultdict(list)
    for user_id, email in accounts:
        groups[normalized.get(user_id) or _lookalike(email)].append((user_id, email))

    problems = [
        "  - one address, several accounts: "
        + ", ".join(f"{email!r} (id {user_id})" for user_id, email in members)
        for members in groups.values()
        if len(members) > 1
    ]
    emails = dict(accounts)
    problems += [
        f"  - an address the rule refuses (printable ASCII only): {emails[user_id]!r} "
        f"(id {user_id})"
        for user_id in refused
        if len(groups[_lookalike(emails[user_id])]) == 1
    ]
    if problems:
        raise EmailsNeedAnOperator(
            "Some accounts' emails cannot be normalized without a decision. For each line, "
            "change the email of all but the account that keeps the address (or delete them), "
            "e.g. in `manage.py shell`, then run `migrate` again:\n" + "\n".join(problems)
        )
    for user_id, email in accounts:
        if normalized[user_id] != email:
            User.objects.filter(pk=user_id).update(email=normalized[user_id])


class Migration(migrations.Migration):
    dependencies = [("users", "0001_initial")]

    operations = [
        migrations.RunPython(emails_normalize, migrations.RunPython.noop, elidable=False),
    ]
