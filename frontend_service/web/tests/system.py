"""The whole system for the frontend's tests (a pytest plugin, registered by the frontend's
conftest.py): a private copy of everything `scripts/dev` runs, started once per test session.

`running_system` is a `ticketing_devtools.system_copy.SystemCopy` serving every service: its
`base_url` is the gateway (the site as people reach it), its `service_urls` each service on its
own port (name -> URL, as the frontend reaches the APIs: view tests point an in-process frontend
at them through FRONTEND_<NAME>_URL, and verify its tokens with `public_key_file`). It runs
under gunicorn as production does (no debug pages, collected static files), with a short order
window, and is stopped, its databases dropped, when the session ends.
"""

import re
from collections.abc import Iterator

import pytest

from ticketing_devtools.system_copy import SystemCopy, system_copy_running

# Seconds a buyer has to pay: long enough for a test to buy and pay, short enough for a test
# to wait for an order to expire.
ORDER_WINDOW_SECONDS = 30
# How long after its expiry an order is cancelled (orders' grace), and how often the sweep
# that cancels it runs.
ORDER_EXPIRY_GRACE_SECONDS = 2
ORDER_EXPIRY_SWEEP_SECONDS = 1

SYSTEM_ENV = {
    "ORDERS_EXPIRATION_SECONDS": str(ORDER_WINDOW_SECONDS),
    "ORDERS_EXPIRATION_GRACE_SECONDS": str(ORDER_EXPIRY_GRACE_SECONDS),
    "ORDERS_EXPIRATION_SWEEP_SECONDS": str(ORDER_EXPIRY_SWEEP_SECONDS),
    # Every test signs up people of its own, all from 127.0.0.1: auth's limit of sign-ups per
    # address and hour would refuse them partway through a session.
    "SIGNUP_MAX_ATTEMPTS_PER_IP": "100000",
}


# Log lines of the workers' and beats' periodic sweeps, which say nothing about a failure.
ROUTINE = re.compile(r"^\S+-(beat|worker) +\|.*(outbox_sweep|orders_expire_due|Sending due task)")


@pytest.fixture(scope="session")
def running_system(tmp_path_factory) -> Iterator[SystemCopy]:
    directory = tmp_path_factory.mktemp("system")
    with system_copy_running(directory, "--gunicorn", tag="front", env=SYSTEM_ENV) as system:
        yield system


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that used the system gets the runner's last lines (every process's log,
    interleaved) in its report."""
    report = yield
    system = getattr(item, "funcargs", {}).get("running_system")
    if report.failed and system is not None:
        lines = [line for line in system.log_text().splitlines() if not ROUTINE.search(line)]
        report.sections.append(("system log (last lines)", "\n".join(lines[-80:])))
    return report
