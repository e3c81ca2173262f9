import uuid

import pytest
from django.db import connection
from django.utils import timezone

from tickets.models import Ticket
from tickets.selectors import TicketPosition, ticket_list_available
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def walk(*, limit: int, between_pages=lambda: None, **filters) -> list[uuid.UUID]:
    """Every page of the public list, as a client following `Link` would read it."""
    seen, after = [], None
    while True:
        page = list(ticket_list_available(limit=limit + 1, after=after, **filters))
        seen += [ticket.id for ticket in page[:limit]]
        if len(page) <= limit:
            return seen
        after = TicketPosition.of(page[limit - 1])
        between_pages()


class TestKeysetPages:
    def test_no_ticket_twice_or_missed_while_new_ones_are_added(self):
        existing = TicketFactory.create_batch(25)

        seen = walk(limit=7, between_pages=lambda: TicketFactory.create_batch(3))

        assert seen == [ticket.id for ticket in reversed(existing)]

    def test_tickets_of_one_instant_are_each_read_once(self):
        instant = timezone.now()
        tickets = TicketFactory.create_batch(9, created_at=instant)

        seen = walk(limit=2)

        assert sorted(seen) == sorted(ticket.id for ticket in tickets)
        assert len(seen) == len(set(seen))

    def test_a_ticket_reserved_meanwhile_drops_out_without_moving_the_others(self):
        tickets = list(reversed(TicketFactory.create_batch(10)))
        reserve_later = tickets[7]

        def reserve():
            Ticket.objects.filter(pk=reserve_later.pk).update(
                status="reserved", order_id=uuid.uuid4()
            )

        seen = walk(limit=3, between_pages=reserve)

        assert seen == [ticket.id for ticket in tickets if ticket != reserve_later]

    def test_search_walks_its_own_pages(self):
        jazz = TicketFactory.create_batch(5, title="Jazz at night")
        TicketFactory.create_batch(5, title="Opera")

        seen = walk(limit=2, title_contains="JAZZ")

        assert seen == [ticket.id for ticket in reversed(jazz)]


def plan(queryset) -> str:
    """The plan PostgreSQL would use if it had many rows (few rows make a scan of the whole
    table cheapest, whatever the indexes)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


class TestIndexes:
    def test_a_deep_page_starts_in_the_index_not_at_its_top(self):
        ticket = TicketFactory()

        explained = plan(ticket_list_available(limit=100, after=TicketPosition.of(ticket)))

        assert "ticket_available_newest" in explained
        # An Index Cond bounds the scan; a plain Filter would read every ticket before it.
        assert "Index Cond: (created_at <=" in explained

    def test_the_title_search_uses_the_trigram_index(self):
        TicketFactory()

        # The search's own condition alone: with the status too, a table this small is best
        # read through the (tiny) index of available tickets.
        explained = plan(Ticket.objects.filter(title_search__contains="jazz").order_by())

        assert "ticket_title_search_trgm" in explained
