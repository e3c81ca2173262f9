"""One handler for every versioned subject this stand-in consumes: keep a versioned copy, and
log each apply. Two user ids (`switches`) make it fail every time, or announce itself and
linger so a test can kill the worker in the middle of it."""

import os
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

from ticketing_shared.events.catalog import subjects_consumed_by
from ticketing_shared.events.consumers import event_handler
from ticketing_shared.events.versions import version_is_next
from ticketing_shared.testing.bus.copies.models import Application, Copy
from ticketing_shared.testing.bus.switches import POISON_USER_ID, SLOW_HANDLER_SECONDS, SLOW_USER_ID


def copy_apply(event) -> None:
    user_id = event.data.get("userId")
    if user_id == str(POISON_USER_ID):
        raise RuntimeError("this event always fails")
    if user_id == str(SLOW_USER_ID):
        Path(os.environ["BUS_MARKER_DIR"], f"{event.id}.started").touch()
        time.sleep(SLOW_HANDLER_SECONDS)

    aggregate_id = uuid.UUID(event.data["id"])
    version = event.data["version"]
    copy = Copy.objects.select_for_update().filter(aggregate_id=aggregate_id).first()
    if not version_is_next(current=copy.version if copy else None, incoming=version):
        return
    if copy is None:
        Copy.objects.create(aggregate_id=aggregate_id, version=version, subject=event.subject)
    else:
        copy.version, copy.subject = version, event.subject
        copy.save(update_fields=["version", "subject"])
    Application.objects.create(
        aggregate_id=aggregate_id,
        version=version,
        subject=event.subject,
        event_id=event.id,
        connection_pid=connection.connection.get_backend_pid(),
    )


def nothing_apply(event) -> None:
    """The bus alone, for the benchmark (`BUS_HANDLER=none`): the inbox row and nothing else."""


HANDLER_CHOICES = {"copy": copy_apply, "none": nothing_apply}

for subject in subjects_consumed_by(settings.TICKETING_SERVICE):
    if "version" in subject.shape.fields:
        event_handler(subject.name)(HANDLER_CHOICES[os.environ.get("BUS_HANDLER", "copy")])
