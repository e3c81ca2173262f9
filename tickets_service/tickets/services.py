"""Writes of tickets (HackSoft's services). Each is one transaction that changes a ticket and
records the event announcing it in the outbox (`event_publish_on_commit`), sent on commit.

Every change of a ticket goes through `_ticket_change_publish_on_commit`: the version rises by
one in a conditional update and exactly one `ticket:updated` is recorded, so the copies other
services keep see every version, in order, with no gap.

Order events (`tickets.handlers`) reserve, free and sell tickets. They are applied in each
order's version order (`OrderCopy`), but for a cancellation, an order's last event, which
ends an order whose creation has not come yet (`ticket_release_for_order`).
"""

import uuid
from collections.abc import Callable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ticketing_shared.errors.exceptions import ApplicationError, NotAuthorized, NotFound
from ticketing_shared.events.outbox import event_publish_on_commit
from ticketing_shared.events.versions import EventArrivedEarly, version_is_next
from tickets.models import OrderCopy, Ticket
from tickets.search import search_key

CANNOT_EDIT_RESERVED = "Cannot edit a reserved ticket"
TICKET_CHANGED = "The ticket was changed meanwhile: load it again and retry"


class TicketVersionConflict(ApplicationError):
    """The ticket is no longer at the version the caller read: someone changed it since."""

    default_message = TICKET_CHANGED


class TicketNotYetKnown(EventArrivedEarly):
    """An order event names a ticket this service does not have (yet): retried, not dropped."""


class OrderCopyWrittenMeanwhile(EventArrivedEarly):
    """Another event of the same order recorded its copy while this one was being applied (a
    cancellation does not wait for the creation): retried, this event finds where the order
    is now, and is applied or ignored as an old version."""


class TicketHeldByAnotherOrder(EventArrivedEarly):
    """An order event wants a ticket another order still holds: that order's cancellation is
    still on its way, so the event is retried until it has been applied."""


def _ticket_created_event_data(ticket: Ticket) -> dict:
    return {
        "id": str(ticket.id),
        "version": ticket.version,
        "title": ticket.title,
        "price": _price_as_event_string(ticket.price),
        "userId": str(ticket.user_id),
    }


def _ticket_updated_event_data(ticket: Ticket) -> dict:
    return {
        **_ticket_created_event_data(ticket),
        "orderId": str(ticket.order_id) if ticket.order_id else None,
    }


def _price_as_event_string(price: Decimal) -> str:
    """Prices travel as decimal strings with two places (contract §7): `"20.00"`."""
    return f"{price:.2f}"


@transaction.atomic
def ticket_create(*, user_id: uuid.UUID, title: str, price: Decimal) -> Ticket:
    """A new ticket for sale, version 0, announced as `ticket:created` on commit."""
    ticket = Ticket.objects.create(
        user_id=user_id, title=title, title_search=search_key(title), price=price
    )
    event_publish_on_commit(subject="ticket:created", data=_ticket_created_event_data(ticket))
    return ticket


@transaction.atomic
def ticket_update(
    *, ticket_id: uuid.UUID, editor_id: uuid.UUID, title: str, price: Decimal
) -> Ticket:
    """The seller's edit of title and price, refused while an order holds the ticket.

    Rules go in the contract's order: existence (404), state (400), then ownership (401).
    """
    ticket = _ticket_locked(ticket_id)
    _ticket_editable_check(ticket)
    if ticket.user_id != editor_id:
        raise NotAuthorized()
    return _ticket_change_publish_on_commit(
        ticket, expected_version=ticket.version, title=title, price=price
    )


@transaction.atomic
def ticket_update_by_staff(
    *, ticket_id: uuid.UUID, expected_version: int, title: str, price: Decimal
) -> Ticket:
    """Staff's edit in the admin, announced as the seller's is. `expected_version` is the
    version the form was opened at: a ticket changed since is refused, not overwritten."""
    ticket = _ticket_locked(ticket_id)
    _ticket_editable_check(ticket)
    return _ticket_change_publish_on_commit(
        ticket, expected_version=expected_version, title=title, price=price
    )


@transaction.atomic
def ticket_reserve_for_order(
    *, order_id: uuid.UUID, order_version: int, ticket_id: uuid.UUID
) -> None:
    """`order:created`: the order holds the ticket until it is cancelled or completed."""

    def reserve(ticket: Ticket) -> dict:
        _not_held_by_another_order_check(ticket, order_id=order_id)
        if ticket.order_id == order_id:
            return {}
        return {"status": Ticket.Status.RESERVED, "order_id": order_id}

    _order_event_apply(
        order_id=order_id,
        order_version=order_version,
        ticket_id=ticket_id,
        order_status=OrderCopy.Status.CREATED,
        ticket_changes=reserve,
    )


@transaction.atomic
def ticket_release_for_order(
    *, order_id: uuid.UUID, order_version: int, ticket_id: uuid.UUID
) -> None:
    """`order:cancelled`: the ticket is available again, but only if this very order still
    holds it; a cancellation never frees a ticket another order has reserved since.

    A cancellation is an order's last event, so it does not wait for the order's creation:
    an order never applied here holds no ticket, and now never will. It is recorded as
    cancelled, and its creation, if it comes, is then an old version, ignored. Waiting would
    deadlock when another order's creation came first and took the ticket: this order's
    creation would wait for the ticket, and its cancellation for its creation.
    """
    if not OrderCopy.objects.select_for_update().filter(pk=order_id).exists():
        # A creation being applied at this moment inserts the same row: one of the two
        # transactions then fails on the key, and its event is retried after the other.
        OrderCopy.objects.create(
            id=order_id,
            ticket_id=ticket_id,
            version=order_version,
            status=OrderCopy.Status.CANCELLED,
        )
        return

    def release(ticket: Ticket) -> dict:
        if ticket.order_id == order_id and ticket.status == Ticket.Status.RESERVED:
            return {"status": Ticket.Status.AVAILABLE, "order_id": None}
        return {}

    _order_event_apply(
        order_id=order_id,
        order_version=order_version,
        ticket_id=ticket_id,
        order_status=OrderCopy.Status.CANCELLED,
        ticket_changes=release,
    )


@transaction.atomic
def ticket_sell_to_order(*, order_id: uuid.UUID, order_version: int, ticket_id: uuid.UUID) -> None:
    """`order:completed`: the order paid, the ticket is sold to it."""

    def sell(ticket: Ticket) -> dict:
        _not_held_by_another_order_check(ticket, order_id=order_id)
        return {"status": Ticket.Status.SOLD, "order_id": order_id}

    _order_event_apply(
        order_id=order_id,
        order_version=order_version,
        ticket_id=ticket_id,
        order_status=OrderCopy.Status.COMPLETE,
        ticket_changes=sell,
    )


def _order_event_apply(
    *,
    order_id: uuid.UUID,
    order_version: int,
    ticket_id: uuid.UUID,
    order_status: str,
    ticket_changes: Callable[[Ticket], dict],
) -> None:
    """Applies an order's event if it is that order's next: the changes `ticket_changes` asks
    of the locked ticket (none: the event changes nothing here), then the order's copy."""
    # Locked until the event's transaction ends, so that two events of one order are never
    # applied at once (a copy not there yet locks nothing: see the insert below).
    copy = OrderCopy.objects.select_for_update().filter(pk=order_id).first()
    if not version_is_next(current=copy.version if copy else None, incoming=order_version):
        return
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        raise TicketNotYetKnown(f"ticket {ticket_id} is not known here yet")
    changes = ticket_changes(ticket)
    if changes:
        _ticket_change_publish_on_commit(ticket, expected_version=ticket.version, **changes)
    if copy is not None:
        copy.version, copy.status = order_version, order_status
        copy.save(update_fields=["version", "status", "updated_at"])
        return
    try:
        with transaction.atomic():
            OrderCopy.objects.create(
                id=order_id, ticket_id=ticket_id, version=order_version, status=order_status
            )
    except IntegrityError as error:
        # The order's cancellation, or this same event delivered twice, recorded the copy
        # since it was read: what this event changed of the ticket is undone with it.
        raise OrderCopyWrittenMeanwhile(f"order {order_id} was recorded meanwhile") from error


def _not_held_by_another_order_check(ticket: Ticket, *, order_id: uuid.UUID) -> None:
    if ticket.order_id not in (None, order_id):
        raise TicketHeldByAnotherOrder(
            f"ticket {ticket.id} is held by order {ticket.order_id}, not {order_id}"
        )


def _ticket_editable_check(ticket: Ticket) -> None:
    # Once an order holds it, the buyer has chosen this ticket as it is: it stays so until
    # the order ends.
    if not ticket.is_available:
        raise ApplicationError(CANNOT_EDIT_RESERVED)


def _ticket_locked(ticket_id: uuid.UUID) -> Ticket:
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound()
    return ticket


def _ticket_change_publish_on_commit(ticket: Ticket, *, expected_version: int, **changes) -> Ticket:
    """Applies `changes` if the ticket is still at `expected_version`, one version up, and
    records its `ticket:updated`. Raises `TicketVersionConflict` if it is not: the update's
    own condition decides, so two writers holding the same version can never both succeed."""
    now = timezone.now()
    if "title" in changes:
        changes["title_search"] = search_key(changes["title"])
    changed = Ticket.objects.filter(pk=ticket.pk, version=expected_version).update(
        **changes, version=F("version") + 1, updated_at=now
    )
    if not changed:
        raise TicketVersionConflict()
    for field, value in changes.items():
        setattr(ticket, field, value)
    ticket.version, ticket.updated_at = expected_version + 1, now
    event_publish_on_commit(subject="ticket:updated", data=_ticket_updated_event_data(ticket))
    return ticket
