"""A stand-in producer: publishes events as a real service's change is announced, recorded in
its outbox in a transaction and sent by the relay on commit.

    python -m ticketing_shared.testing.bus.publish

runs in a stand-in's environment (`harness.StandinPublisher` starts it) and reads one request a
line on stdin, `{"subject": ..., "data": {...}}`, answering each on stdout with `{"id": ...}`
once the relay sent the event, or `{"error": ...}`. One process serves a whole test run: a
Django start costs seconds, a publish milliseconds.
"""

import json
import sys

import django


def main() -> None:
    django.setup()
    from django.db import transaction

    # The relay sends through Celery's current app: the stand-in's, on the broker the
    # environment names.
    import ticketing_shared.testing.bus.celery_app  # noqa: F401
    from ticketing_shared.events.models import OutboxEvent
    from ticketing_shared.events.outbox import event_publish_on_commit

    def publish(subject: str, data: dict) -> dict:
        with transaction.atomic():
            event = event_publish_on_commit(subject=subject, data=data)
        row = OutboxEvent.objects.get(event_id=event.id)
        if row.published_at is None:
            return {"error": f"{subject} {event.id} was not sent: {row.last_error}"}
        return {"id": str(event.id)}

    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = publish(request["subject"], request["data"])
        except Exception as error:  # the test that asked reads it; the process serves on
            answer = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
