"""Reads of orders (HackSoft's selectors)."""

import uuid

from django.db.models import QuerySet

from orders.models import Order
from ticketing_shared.errors.exceptions import NotAuthorized, NotFound


def order_list_for_buyer(*, user_id: uuid.UUID) -> QuerySet[Order]:
    """The buyer's orders, every status, newest first. Each keeps the ticket as bought, so
    the ticket copies are not read."""
    return Order.objects.filter(user_id=user_id).order_by("-created_at", "-id")


def order_get_for_buyer(*, order_id: uuid.UUID, user_id: uuid.UUID) -> Order:
    """The order, to its buyer only (404 unknown, 401 another's: contract §5)."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise NotFound()
    if order.user_id != user_id:
        raise NotAuthorized()
    return order
