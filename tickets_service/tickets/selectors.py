"""Reads of tickets (HackSoft's selectors)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from ticketing_shared.errors.exceptions import NotFound
from tickets.models import Ticket
from tickets.search import search_key


@dataclass(frozen=True)
class TicketPosition:
    """Where a ticket stands in the newest-first order: a page starts right after one."""

    created_at: datetime
    id: uuid.UUID

    @classmethod
    def of(cls, ticket: Ticket) -> "TicketPosition":
        return cls(created_at=ticket.created_at, id=ticket.id)


def ticket_get(*, ticket_id: uuid.UUID) -> Ticket:
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound()
    return ticket


def ticket_list_available(
    *, limit: int, after: TicketPosition | None = None, title_contains: str = ""
) -> QuerySet[Ticket]:
    """Up to `limit` available tickets, newest first, from just after `after` (keyset
    pagination: each page costs one index range scan, however deep it is, and tickets added
    meanwhile, all newer, never push one onto a page twice)."""
    tickets = Ticket.objects.filter(status=Ticket.Status.AVAILABLE)
    if title_contains:
        tickets = tickets.filter(title_search__contains=search_key(title_contains))
    return _after(tickets, after)[:limit]


def ticket_list_for_seller(*, user_id: uuid.UUID) -> QuerySet[Ticket]:
    """The seller's own tickets, every status, newest first."""
    return Ticket.objects.filter(user_id=user_id)


def _after(tickets: QuerySet[Ticket], position: TicketPosition | None) -> QuerySet[Ticket]:
    if position is None:
        return tickets
    # The first condition is implied by the second; it is the one the index can start from
    # (PostgreSQL does not derive it from the OR), so a page deep in the list is found by
    # seeking, not by reading every ticket before it.
    return tickets.filter(created_at__lte=position.created_at).filter(
        Q(created_at__lt=position.created_at)
        | Q(created_at=position.created_at, id__lt=position.id)
    )
