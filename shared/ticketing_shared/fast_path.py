"""Tasks sent as a fast path in front of a periodic sweep that remains the truth (orders'
expiry, payments' refunds): sent when they can be, never at the cost of the request that
sends them, and never where the broker would run them more than once.
"""

import logging

from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)


def fast_path_task_send(task_name: str, *, args: list, countdown: float = 0) -> bool:
    """Sends `task_name` to run in `countdown` seconds; returns whether it was sent.

    Not sent when the countdown reaches the broker's visibility timeout: Redis hands a message
    left unacknowledged for longer to a second worker, so it would run several times. Nor when
    the broker refuses it (an outage): logged, and left to the sweep. Either way nothing is
    lost, only later.
    """
    if countdown >= settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]:
        return False
    try:
        current_app.send_task(task_name, args=args, countdown=max(countdown, 0))
    except Exception as error:  # the broker's: its failures must not fail the caller
        logger.warning("task %s not sent; its sweep will do the work", task_name, exc_info=error)
        return False
    return True
