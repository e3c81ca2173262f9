"""Reads: what a page shows, each one API call."""

import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

from web.backend import BackendRefused, backend_call
from web.public_reads import kept_briefly_for_signed_out
from web.records import Order, Ticket


@dataclass(frozen=True)
class TicketPage:
    tickets: list[Ticket]
    # The `cursor` of the next page, when there is one (the API's `Link` header).
    next_cursor: str | None


@kept_briefly_for_signed_out
def ticket_list_available(
    request, *, search: str = "", cursor: str = "", limit: int | None = None
) -> TicketPage:
    """A page of the tickets on sale, newest first; `search` keeps titles that contain it."""
    params = {"limit": limit or settings.FRONTEND_PAGE_SIZE}
    if search:
        params["q"] = search
    if cursor:
        params["cursor"] = cursor
    response = backend_call(
        request, "tickets", "GET", "/api/tickets", params=params, authenticated=False
    )
    next_link = response.links.get("next")
    next_cursor = (
        parse_qs(urlsplit(next_link).query).get("cursor", [None])[0] if next_link else None
    )
    return TicketPage(tickets=response.records(Ticket.from_api), next_cursor=next_cursor)


@kept_briefly_for_signed_out
def ticket_get(request, *, ticket_id: str) -> Ticket | None:
    """The ticket, whatever its status; None when there is no such ticket."""
    try:
        response = backend_call(
            request, "tickets", "GET", f"/api/tickets/{ticket_id}", authenticated=False
        )
    except BackendRefused as refused:
        if refused.status == 404:
            return None
        raise
    return response.record(Ticket.from_api)


def ticket_list_mine(request) -> list[Ticket]:
    response = backend_call(request, "tickets", "GET", "/api/tickets/mine")
    return response.records(Ticket.from_api)


def order_list_mine(request) -> list[Order]:
    response = backend_call(request, "orders", "GET", "/api/orders")
    return response.records(Order.from_api)


def order_get(request, *, order_id: str) -> Order | None:
    """The signed-in user's order; None when there is none of theirs with that id (the API
    answers another user's order with 401, which the page shows as not found)."""
    try:
        response = backend_call(request, "orders", "GET", f"/api/orders/{order_id}")
    except BackendRefused as refused:
        if refused.status in (401, 404):
            return None
        raise
    return response.record(Order.from_api)


# Pauses between reads of an order just paid: its payment's event reaches orders within a
# second or so; a few reads, further apart each time, rather than one every moment.
SETTLE_READ_PAUSES = (0.1, 0.2, 0.4, 0.8, 1.5)


def order_get_once_settled(request, *, order_id: str, timeout: float) -> Order | None:
    """The order once it is no longer open (its payment's event reached orders), or as it is
    after `timeout` seconds: a page shown right after paying then reads "Paid"."""
    deadline = time.monotonic() + timeout
    pauses = iter(SETTLE_READ_PAUSES)
    while True:
        order = order_get(request, order_id=order_id)
        pause = next(pauses, None)
        if order is None or not order.is_open or pause is None:
            return order
        if time.monotonic() + pause > deadline:
            return order
        time.sleep(pause)
