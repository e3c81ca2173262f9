"""`manage.py demo_tickets --seller ID [--seller ID ...]`: the demo's tickets on a local system
(`scripts/dev --demo`, which gives it the ids of the demo's sellers in auth).

Each ticket is put on sale by the service's own `tickets.services.ticket_create`, so each one's
`ticket:created` goes out through the outbox as any other's, and orders learns of it. The
catalogue is dealt among the sellers in turn. A seller who already has tickets (the demo's,
or any sold or changed since) gets none: running it again changes nothing. It refuses to run
in production.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tickets.models import Ticket
from tickets.services import ticket_create

# (title, price): what a small marketplace might have on sale on a given evening.
DEMO_TICKETS = [
    ("Arctic Monkeys at Madison Square Garden: floor, general admission", "145.00"),
    ("Jazz at Lincoln Center, Wynton Marsalis Septet: balcony row C, seat 4", "55.00"),
    ("Hamilton, Richard Rodgers Theatre: orchestra row H, seat 12", "289.00"),
    ("The Book of Mormon, Prince of Wales Theatre: dress circle B7", "79.50"),
    ("Lakers vs. Celtics, Crypto.com Arena: section 111, row 8", "210.00"),
    ("Khruangbin at Red Rocks Amphitheatre: general admission", "120.00"),
    ("Bonobo at the Royal Albert Hall: stalls row F, seat 21", "68.50"),
    ("Stand-up night at the Comedy Cellar: the 9:30 pm show", "25.00"),
    ("Glastonbury Festival: weekend ticket with camping", "355.00"),
    ("Tour de France finale, Champs-Élysées grandstand: seat 44", "150.00"),
    ("Nils Frahm at the Elbphilharmonie: grand hall, block K", "95.00"),
    ("Chelsea vs. Arsenal, Stamford Bridge: Matthew Harding Lower", "110.00"),
]
NOT_IN_PRODUCTION = "Demo tickets are not for production"


class Command(BaseCommand):
    help = "Puts the demo's tickets on sale for the sellers given, unless they already sell some."

    def add_arguments(self, parser):
        parser.add_argument(
            "--seller",
            dest="sellers",
            action="append",
            type=uuid.UUID,
            required=True,
            metavar="USER_ID",
            help="a seller's id in auth (repeat for each; the catalogue is dealt among them)",
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError(NOT_IN_PRODUCTION)
        sellers = list(dict.fromkeys(options["sellers"]))  # each once, in the order given
        for seller, created in demo_tickets_ensure(sellers=sellers).items():
            if created is None:
                self.stdout.write(f"seller {seller}: already sells tickets, left as they are")
            else:
                self.stdout.write(f"seller {seller}: {len(created)} tickets put on sale")


def demo_tickets_ensure(*, sellers: list[uuid.UUID]) -> dict[uuid.UUID, list[Ticket] | None]:
    """Per seller, the tickets put on sale for them, or None for a seller who had some."""
    shares = {seller: DEMO_TICKETS[index :: len(sellers)] for index, seller in enumerate(sellers)}
    result = {}
    for seller, share in shares.items():
        # One seller at a time, all or nothing: a failure leaves no half share behind that a
        # second run would take for a done one. The events go out as the transaction commits.
        with transaction.atomic():
            if Ticket.objects.filter(user_id=seller).exists():
                result[seller] = None
                continue
            result[seller] = [
                ticket_create(user_id=seller, title=title, price=Decimal(price))
                for title, price in share
            ]
    return result
