from celery import shared_task

from ticketing_shared.events.names import OUTBOX_SWEEP_TASK
from ticketing_shared.events.outbox import outbox_sweep


@shared_task(name=OUTBOX_SWEEP_TASK, ignore_result=True)
def outbox_sweep_task() -> int:
    """Sends what the relay after each commit could not (a crash, a broker outage)."""
    return outbox_sweep()
