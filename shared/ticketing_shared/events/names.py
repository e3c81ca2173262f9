"""The names the bus and the workers agree on: each service's queues and the shared tasks.

Settings, the transport, consumers and the commands all take them from here.
"""

# The periodic task that relays what the relay after each commit could not send.
OUTBOX_SWEEP_TASK = "events.outbox_sweep"


def events_queue(service: str) -> str:
    """The queue of the events `service` consumes, one durable copy per consuming service."""
    return f"{service}.events"


def tasks_queue(service: str) -> str:
    """The queue of `service`'s own tasks (periodic housekeeping, the outbox sweep)."""
    return f"{service}.tasks"
