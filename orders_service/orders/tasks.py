from celery import shared_task

from orders.services import order_expire_due


@shared_task(ignore_result=True)
def orders_expire_due() -> int:
    """Beat's sweep: cancels every open order past its expiry (orders.services)."""
    return order_expire_due()
