from celery import current_app
from celery.schedules import crontab
from django.conf import settings

from ticketing_shared.events import tasks
from ticketing_shared.events.names import OUTBOX_SWEEP_TASK, RETENTION_TASK


def test_every_task_on_the_shared_beat_schedule_is_one_a_worker_runs():
    registered = current_app.tasks  # the sample service's app, with the shared tasks bound
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in registered, entry


def test_the_sweep_and_the_retention_run_on_every_services_beat():
    by_task = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert OUTBOX_SWEEP_TASK in by_task
    retention = by_task[RETENTION_TASK]["schedule"]
    assert isinstance(retention, crontab)  # once a day, at a time of day
    assert (retention.hour, retention.minute) == ({3}, {30})
    assert tasks.retention_task.name == RETENTION_TASK
    assert tasks.outbox_sweep_task.name == OUTBOX_SWEEP_TASK
