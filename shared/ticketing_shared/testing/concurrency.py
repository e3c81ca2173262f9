"""Races on purpose: the same work started on many threads at one instant.

    statuses = concurrently(12, lambda n: APIClient().post(...).status_code)

Each thread waits at a barrier until all of them are ready, so their requests overlap as
closely as threads can make them (a pool that started them one by one would mostly run them
in turn), and closes its database connections when done: a thread's connection is its own,
and one left open would keep the test database from being dropped.
"""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def concurrently(n: int, fn: Callable[[int], T], *, timeout: float = 30) -> list[T]:
    """`fn(0)` … `fn(n - 1)`, each on its own thread, released together; their results in
    that order. An exception of any call is raised here once all have ended; a thread that
    never reaches the barrier (or a call that hangs) fails the others after `timeout` seconds
    instead of hanging the test."""
    start = threading.Barrier(n, timeout=timeout)

    def run(index: int) -> T:
        try:
            start.wait()
            return fn(index)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(run, index) for index in range(n)]
        return [future.result(timeout=timeout) for future in futures]
