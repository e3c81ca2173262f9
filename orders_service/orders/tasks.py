import uuid

from celery import shared_task

from orders.services import ORDER_EXPIRY_TASK, order_expire_due
from orders.services import order_expire_if_due as order_expire_if_due_service


@shared_task(ignore_result=True)
def orders_expire_due() -> int:
    """Beat's sweep: cancels every open order past its expiry (orders.services)."""
    return order_expire_due()


@shared_task(name=ORDER_EXPIRY_TASK, ignore_result=True)
def order_expire_if_due(order_id: str) -> bool:
    """The fast path, sent at an order's creation to run at its expiry."""
    return order_expire_if_due_service(order_id=uuid.UUID(order_id))
