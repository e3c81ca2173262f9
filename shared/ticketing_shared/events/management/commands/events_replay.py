"""Republishes this service's recorded events to one consumer, to rebuild its copies."""

import itertools
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from ticketing_shared.events.catalog import subjects_consumed_by
from ticketing_shared.events.models import OutboxEvent
from ticketing_shared.events.transport import envelopes_send

BATCH_SIZE = 500  # events per round trip to the broker, and per progress line


class Command(BaseCommand):
    help = (
        "Send this service's recorded events again to one consuming service, oldest first. "
        "The consumer applies them as a replay: versions decide what changes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, help="the consuming service, e.g. orders")
        parser.add_argument("--subject", action="append", help="only these subjects (repeatable)")
        parser.add_argument("--since", type=datetime.fromisoformat, help="ISO time, inclusive")
        parser.add_argument("--until", type=datetime.fromisoformat, help="ISO time, exclusive")
        parser.add_argument("--dry-run", action="store_true", help="count, send nothing")

    def handle(self, *args, to, subject, since, until, dry_run, **options):
        consumed = {subject.name for subject in subjects_consumed_by(to)}
        if not consumed:
            raise CommandError(f"{to!r} consumes no event subject")
        subjects = set(subject or consumed)
        if not subjects <= consumed:
            raise CommandError(f"{to} does not consume: {', '.join(sorted(subjects - consumed))}")
        events = OutboxEvent.objects.filter(subject__in=subjects).order_by("position")
        if since:
            events = events.filter(occurred_at__gte=since)
        if until:
            events = events.filter(occurred_at__lt=until)
        total = events.count()
        self.stdout.write(f"{total} event(s) of {', '.join(sorted(subjects))} for {to}")
        if dry_run or not total:
            return
        sent = 0
        envelopes = events.values_list("envelope", flat=True).iterator(chunk_size=BATCH_SIZE)
        while batch := list(itertools.islice(envelopes, BATCH_SIZE)):
            envelopes_send(((envelope, to) for envelope in batch), replay=True)
            sent += len(batch)
            self.stdout.write(f"  sent {sent}/{total}")
        self.stdout.write(self.style.SUCCESS(f"replayed {total} event(s) to {to}"))
