"""Writes of orders (HackSoft's services). Each is one transaction that changes an order and
records the event announcing it in the outbox (`event_publish_on_commit`), sent on commit.

Every change of an order goes through `_order_change_publish_on_commit`: the version rises by
one in a conditional update and exactly one event is recorded, so the copies tickets and
payments keep see every version, in order, with no gap.

The copies of tickets (`TicketCopy`) are kept by tickets' events, in each ticket's version order.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from orders.models import Order, TicketCopy
from ticketing_shared.errors.exceptions import ApplicationError, NotAuthorized, NotFound
from ticketing_shared.events.envelope import utc_milliseconds
from ticketing_shared.events.outbox import event_publish_on_commit
from ticketing_shared.events.versions import version_is_next
from ticketing_shared.fast_path import fast_path_task_send

TICKET_ALREADY_RESERVED = "Ticket is already reserved"
OWN_TICKET = "You cannot buy your own ticket"
CANNOT_CANCEL_COMPLETED = "Cannot cancel a completed order"
ORDER_CHANGED = "The order was changed meanwhile: load it again and retry"
# The task that expires one order when it is due (orders.tasks).
ORDER_EXPIRY_TASK = "orders.tasks.order_expire_if_due"
# The constraint that keeps a ticket to one holding order (orders.models.Order.Meta).
ONE_HOLDING_ORDER_PER_TICKET = "order_one_holding_per_ticket"


class OrderVersionConflict(ApplicationError):
    """The order is no longer at the version the caller read: someone changed it since."""

    default_message = ORDER_CHANGED


def expires_at_as_event_string(order: Order) -> str:
    """ISO-8601 UTC with milliseconds and `Z` (contract §5), as the API shows it."""
    return utc_milliseconds(order.expires_at)


def _order_created_event_data(order: Order) -> dict:
    return {
        "id": str(order.id),
        "version": order.version,
        "status": order.status,
        "userId": str(order.user_id),
        "expiresAt": expires_at_as_event_string(order),
        "ticket": {"id": str(order.ticket_id), "price": f"{order.ticket_price:.2f}"},
    }


def _order_changed_event_data(order: Order) -> dict:
    return {"id": str(order.id), "version": order.version, "ticket": {"id": str(order.ticket_id)}}


@transaction.atomic
def order_create(*, buyer_id: uuid.UUID, ticket_id: uuid.UUID) -> Order:
    """A new order holding the ticket until it expires, announced as `order:created`.

    The database refuses a second order holding one ticket (`ONE_HOLDING_ORDER_PER_TICKET`):
    of simultaneous purchases, the first insert to commit wins and the others wait on the
    unique index, then fail, each a 400, never a 500 nor a second sale.
    """
    ticket = TicketCopy.objects.filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound()
    if ticket.user_id == buyer_id:
        raise ApplicationError(OWN_TICKET)
    now = timezone.now()
    expires_at = now + timedelta(seconds=settings.ORDERS_EXPIRATION_SECONDS)
    try:
        with transaction.atomic():
            order = Order.objects.create(
                user_id=buyer_id,
                ticket=ticket,
                ticket_title=ticket.title,
                ticket_price=ticket.price,
                ticket_version=ticket.version,
                # Milliseconds, as the contract shows it: what is stored is what is announced.
                expires_at=expires_at.replace(microsecond=expires_at.microsecond // 1000 * 1000),
                created_at=now,
                updated_at=now,
            )
    except IntegrityError as error:
        if _constraint_of(error) == ONE_HOLDING_ORDER_PER_TICKET:
            raise ApplicationError(TICKET_ALREADY_RESERVED) from error
        raise
    event_publish_on_commit(subject="order:created", data=_order_created_event_data(order))
    transaction.on_commit(lambda: _order_expiry_task_send(order))
    return order


def _order_expiry_task_send(order: Order) -> None:
    """The fast path of expiry: a task due when the order is (the sweep remains the truth:
    it cancels the order within one period of its being due whatever became of the task)."""
    due_in = (order.expires_at - timezone.now()).total_seconds()
    due_in += settings.ORDERS_EXPIRATION_GRACE_SECONDS
    fast_path_task_send(ORDER_EXPIRY_TASK, args=[str(order.id)], countdown=due_in)


@transaction.atomic
def order_cancel(*, order_id: uuid.UUID, user_id: uuid.UUID) -> Order:
    """The buyer's cancellation: the ticket is free again. A completed order cannot be
    cancelled; a cancelled one stays as it is (cancelling twice changes nothing).

    Rules go in the contract's order: existence (404), state (400), then ownership (401).
    """
    order = _order_locked(order_id)
    if order.status == Order.Status.COMPLETE:
        raise ApplicationError(CANNOT_CANCEL_COMPLETED)
    if order.user_id != user_id:
        raise NotAuthorized()
    if order.status == Order.Status.CANCELLED:
        return order
    return _order_change_publish_on_commit(
        order, subject="order:cancelled", status=Order.Status.CANCELLED
    )


@transaction.atomic
def order_complete_for_payment(*, order_id: uuid.UUID) -> None:
    """`payment:created`: an open order is complete. A cancelled order stays cancelled:
    payments refunds the charge when it learns of the cancellation (contract §6)."""
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise OrderNotYetKnown(f"order {order_id} is not known here")
    if order.status in Order.OPEN:
        _order_change_publish_on_commit(
            order, subject="order:completed", status=Order.Status.COMPLETE
        )


class OrderNotYetKnown(Exception):
    """A payment names an order this service does not have: it cannot be applied (a payment
    is only ever made for an order orders announced), so it ends as a dead letter to look at."""


@transaction.atomic
def order_expire_if_due(*, order_id: uuid.UUID) -> bool:
    """The expiry task: cancels the order if it is still open and due. A late task (the order
    paid, cancelled, expired by the sweep, or held by someone else right now) changes nothing;
    the sweep covers what it skips."""
    order = (
        Order.objects.select_for_update(skip_locked=True)
        .filter(pk=order_id, status__in=Order.OPEN, expires_at__lte=_expiry_due_before())
        .first()
    )
    if order is None:
        return False
    _order_change_publish_on_commit(order, subject="order:cancelled", status=Order.Status.CANCELLED)
    return True


def order_expire_due(*, batch_size: int = 100) -> int:
    """Cancels the open orders past their expiry (plus the grace that lets a payment begun
    in time finish), batch by batch; returns how many. Rows another process holds are skipped
    (SKIP LOCKED): a buyer's cancellation or a payment under way, or a second sweep."""
    expired = 0
    while True:
        batch = _order_expire_batch(batch_size=batch_size)
        expired += batch
        if batch < batch_size:
            return expired


@transaction.atomic
def _order_expire_batch(*, batch_size: int) -> int:
    orders = list(
        Order.objects.select_for_update(skip_locked=True)
        .filter(status__in=Order.OPEN, expires_at__lte=_expiry_due_before())
        .order_by("expires_at")[:batch_size]
    )
    for order in orders:
        _order_change_publish_on_commit(
            order, subject="order:cancelled", status=Order.Status.CANCELLED
        )
    return len(orders)


@transaction.atomic
def ticket_copy_apply(
    *, ticket_id: uuid.UUID, version: int, title: str, price: Decimal, user_id: uuid.UUID
) -> None:
    """`ticket:created` and `ticket:updated`: the copy takes the ticket's version if it is the
    next one (an older one is ignored; a newer one raises `VersionGap` and is retried)."""
    copy = TicketCopy.objects.select_for_update().filter(pk=ticket_id).first()
    if not version_is_next(current=copy.version if copy else None, incoming=version):
        return
    TicketCopy.objects.update_or_create(
        pk=ticket_id,
        defaults={"version": version, "title": title, "price": price, "user_id": user_id},
    )


def _expiry_due_before():
    """Orders that expired before this are cancelled: their expiry plus the grace is past."""
    return timezone.now() - timedelta(seconds=settings.ORDERS_EXPIRATION_GRACE_SECONDS)


def _order_locked(order_id: uuid.UUID) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound()
    return order


def _order_change_publish_on_commit(order: Order, *, subject: str, **changes) -> Order:
    """Applies `changes` if the order is still at the version read, one version up, and
    records its event. Raises `OrderVersionConflict` if it is not: the update's own condition
    decides, so two writers holding the same version can never both succeed."""
    now = timezone.now()
    changed = Order.objects.filter(pk=order.pk, version=order.version).update(
        **changes, version=F("version") + 1, updated_at=now
    )
    if not changed:
        raise OrderVersionConflict()
    for field, value in changes.items():
        setattr(order, field, value)
    order.version, order.updated_at = order.version + 1, now
    event_publish_on_commit(subject=subject, data=_order_changed_event_data(order))
    return order


def _constraint_of(error: IntegrityError) -> str | None:
    diagnostics = getattr(error.__cause__, "diag", None)
    return getattr(diagnostics, "constraint_name", None)
