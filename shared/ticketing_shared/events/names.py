"""The names the bus and the workers agree on: each service's queues and the shared tasks.

Settings, the transport, consumers and the commands all take them from here.
"""

import re

# The periodic task that relays what the relay after each commit could not send.
OUTBOX_SWEEP_TASK = "events.outbox_sweep"
# The daily task that deletes the outbox and inbox rows older than their retention windows.
RETENTION_TASK = "events.retention"

# As the registry names services: a queue named after anything else would be one no worker
# ever reads, so a message sent there would wait forever without a word.
_SERVICE_NAME = re.compile(r"[a-z][a-z0-9_]*")


def events_queue(service: str) -> str:
    """The queue of the events `service` consumes, one durable copy per consuming service."""
    return f"{_service_name_checked(service)}.events"


def tasks_queue(service: str) -> str:
    """The queue of `service`'s own tasks (periodic housekeeping, the outbox sweep)."""
    return f"{_service_name_checked(service)}.tasks"


def _service_name_checked(service) -> str:
    if not isinstance(service, str) or not _SERVICE_NAME.fullmatch(service):
        raise ValueError(f"not a service name: {service!r}")
    return service
