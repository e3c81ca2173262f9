"""Reads of tickets (HackSoft's selectors)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db.models import FloatField, Q, QuerySet, TextField
from django.db.models.functions import Cast

from ticketing_shared.errors.exceptions import NotFound
from tickets.models import Ticket
from tickets.search import search_key

# Stated here, not left to the model's default ordering: keyset pages (`_after`) depend on it.
NEWEST_FIRST = ("-created_at", "-id")


@dataclass(frozen=True)
class TicketPosition:
    """Where a ticket stands in the newest-first order: a page starts right after one."""

    created_at: datetime
    id: uuid.UUID

    @classmethod
    def of(cls, ticket: "Ticket | TicketRow") -> "TicketPosition":
        return cls(created_at=ticket.created_at, id=uuid.UUID(str(ticket.id)))


class TicketRow(NamedTuple):
    """A ticket as the API shows it, read without a model instance: ids as text and the price
    as the JSON number it becomes, converted by PostgreSQL. The public list is the busiest
    read of the system, and instances cost as much as the query (bench/README.md)."""

    id: str
    title: str
    price: float
    user_id: str
    version: int
    order_id: str | None
    status: str
    created_at: datetime


_ROW_COLUMNS = (
    Cast("id", TextField()),
    "title",
    # Exact for every price there is (at most 7 digits and 2 decimals): the double nearest
    # to 19.99 is the one Python writes as 19.99.
    Cast("price", FloatField()),
    Cast("user_id", TextField()),
    "version",
    Cast("order_id", TextField()),
    "status",
    "created_at",
)


def ticket_get_row(*, ticket_id: uuid.UUID) -> TicketRow:
    """One ticket, whatever its status, as the API shows it (a read as busy as the list's)."""
    rows = ticket_rows(Ticket.objects.filter(pk=ticket_id).order_by())
    if not rows:
        raise NotFound()
    return rows[0]


def ticket_list_available(
    *, limit: int, after: TicketPosition | None = None, title_contains: str = ""
) -> QuerySet[Ticket]:
    """Up to `limit` available tickets, newest first, from just after `after` (keyset
    pagination: each page costs one index range scan, however deep it is, and a ticket
    added meanwhile never pushes another onto a page twice or off the pages). A ticket is
    placed by its creation time, taken before its transaction commits: one that commits
    while a client is paging, later than tickets created after it, can be missed by that
    client's walk, never shown twice."""
    tickets = Ticket.objects.filter(status=Ticket.Status.AVAILABLE).order_by(*NEWEST_FIRST)
    if title_contains:
        tickets = tickets.filter(title_search__contains=search_key(title_contains))
    return _after(tickets, after)[:limit]


def ticket_list_for_seller(*, user_id: uuid.UUID) -> QuerySet[Ticket]:
    """The seller's own tickets, every status, newest first."""
    return Ticket.objects.filter(user_id=user_id).order_by(*NEWEST_FIRST)


def ticket_rows(tickets: QuerySet[Ticket]) -> list[TicketRow]:
    return [TicketRow(*row) for row in tickets.values_list(*_ROW_COLUMNS)]


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
