from celery import shared_task

from ticketing_shared.events.names import OUTBOX_SWEEP_TASK, RETENTION_TASK
from ticketing_shared.events.outbox import outbox_sweep
from ticketing_shared.events.retention import events_retention_apply


@shared_task(name=OUTBOX_SWEEP_TASK, ignore_result=True)
def outbox_sweep_task() -> int:
    """Sends what the relay after each commit could not (a crash, a broker outage)."""
    return outbox_sweep()


@shared_task(name=RETENTION_TASK, ignore_result=True)
def retention_task() -> dict[str, int]:
    """Deletes sent outbox rows and inbox rows past their retention windows (daily, on beat)."""
    return events_retention_apply()
