"""Applying an aggregate's events in version order.

Every versioned event carries its aggregate's version after the change (0 when created). A
consumer keeps the version of its copy and applies only the next one: an older one was already
applied (a redelivery), and a newer one means one in between is still on its way.
"""


class EventArrivedEarly(Exception):
    """This event cannot be applied yet: it depends on another one, not yet applied, that is
    still on its way (its aggregate's previous version, or an event about another aggregate).

    Not a failure: the consumer retries it with backoff on a budget of its own,
    `EVENTS_MAX_EARLY_ATTEMPTS`, larger than a failing handler's, since under a backlog of
    the queue the event it waits for can take far longer than a retried failure should.
    A service raises a subclass naming what its event waits for.
    """


class VersionGap(EventArrivedEarly):
    """An event arrived before the one it follows; it is retried after a pause."""

    def __init__(self, *, current: int | None, incoming: int) -> None:
        expected = 0 if current is None else current + 1
        super().__init__(f"version {incoming} arrived before version {expected}")


def version_is_next(*, current: int | None, incoming: int) -> bool:
    """True to apply, False to ignore a stale event; raises `VersionGap` for an early one.

    `current` is the copy's version, None when there is no copy yet.
    """
    expected = 0 if current is None else current + 1
    if incoming < expected:
        return False
    if incoming > expected:
        raise VersionGap(current=current, incoming=incoming)
    return True
