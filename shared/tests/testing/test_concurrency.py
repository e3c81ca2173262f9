import threading

import pytest
from django.db import connections

from ticketing_shared.testing.concurrency import concurrently


def test_results_come_in_the_order_of_the_calls():
    assert concurrently(5, lambda n: n * n) == [0, 1, 4, 9, 16]


def test_every_call_runs_at_once():
    # Each call waits for all the others: calls run one after another would never meet.
    everyone = threading.Barrier(6, timeout=10)

    def meet(n: int) -> int:
        everyone.wait()
        return n

    assert concurrently(6, meet) == list(range(6))


def test_an_exception_of_a_call_is_raised():
    def fail_once(n: int) -> int:
        if n == 2:
            raise ValueError("the third call")
        return n

    with pytest.raises(ValueError, match="the third call"):
        concurrently(4, fail_once)


@pytest.mark.django_db(transaction=True)
def test_each_thread_closes_its_database_connection():
    used = []

    def query(_n: int) -> int:
        own = connections["default"]  # this thread's (`connection` would resolve later)
        used.append(own)
        with own.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0]

    assert concurrently(3, query) == [1, 1, 1]
    assert len(used) == 3
    assert all(wrapper.connection is None for wrapper in used)
