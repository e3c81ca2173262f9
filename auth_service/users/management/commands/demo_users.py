"""`manage.py demo_users`: the demo's accounts on a local system (`scripts/dev --demo`).

Each one is created by the service's own `users.services.user_create` (the email normalized,
the password checked against the rules and hashed); an account that already has the email is
left as it is, its password too, so running it again changes nothing. It refuses to run in
production: the password is printed, and in the README.
"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from users.models import User
from users.services import user_create

# One password for every demo account, shown to whoever starts the demo: it only ever opens
# accounts on their own machine.
DEMO_PASSWORD = "ticketing-demo-2026"  # noqa: S105 (a demo's, printed on purpose)
# (email, whether the tickets demo gives them tickets to sell)
DEMO_USERS = [
    ("demo-seller@example.com", True),
    ("demo-promoter@example.com", True),
    ("demo-buyer@example.com", False),
]
NOT_IN_PRODUCTION = "Demo accounts, with a password everyone knows, are not for production"


class Command(BaseCommand):
    help = "Creates the demo's accounts (idempotent by email) and prints their ids."

    def add_arguments(self, parser):
        parser.add_argument(
            "--json",
            action="store_true",
            help="print the accounts as one JSON list (for scripts/dev --demo)",
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError(NOT_IN_PRODUCTION)
        accounts = demo_users_ensure()
        if options["json"]:
            self.stdout.write(json.dumps(accounts))
            return
        for account in accounts:
            state = "created" if account["created"] else "already there"
            role = "sells tickets" if account["sells"] else "buys"
            self.stdout.write(f"{account['email']}  {account['id']}  {role}, {state}")
        self.stdout.write(f"password of each: {DEMO_PASSWORD}")


@transaction.atomic
def demo_users_ensure() -> list[dict]:
    """The demo's accounts, created where their email has none: email, id, password, whether
    they sell, whether this call created them."""
    accounts = []
    for email, sells in DEMO_USERS:
        user = User.objects.filter(email=email).first()
        created = user is None
        if created:
            user = user_create(email=email, password=DEMO_PASSWORD)
        accounts.append(
            {
                "email": user.email,
                "id": str(user.id),
                "password": DEMO_PASSWORD,
                "sells": sells,
                "created": created,
            }
        )
    return accounts
