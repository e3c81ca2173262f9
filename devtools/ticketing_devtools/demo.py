"""`scripts/dev --demo`: a few users and tickets on an empty local system, made by the services'
own management commands (auth's `demo_users`, tickets' `demo_tickets`), so that a newcomer
sees a living marketplace. Run after migrating, before serving; running it again changes
nothing (each command leaves what it finds).

The tickets' events are relayed to the broker as each one commits, as always. A copy's own
Redis runs only with its services, so for a copy it is started for the demo's while, and
stopped again (it keeps its data): orders' worker finds the events there once it starts.
"""

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from ticketing_devtools.errors import SetupError
from ticketing_devtools.runner import ProcessSpec, process_start, process_wait_until_ready
from ticketing_shared.registry import Service

BROKER_STOP_TIMEOUT = 30


def demo_fill(
    repo: Path,
    services: Sequence[Service],
    envs: Mapping[str, Mapping[str, str]],
    *,
    broker: ProcessSpec | None = None,
) -> None:
    """The demo's accounts in auth, then their tickets in tickets; prints who can sign in.
    `broker`: a copy's own Redis, started meanwhile (the usual run's is the machine's)."""
    by_name = {service.name: service for service in services}
    if not {"auth", "tickets"} <= by_name.keys():
        print("    skipped: the demo needs the auth and tickets services", flush=True)
        return
    said = _manage(repo / by_name["auth"].directory, envs["auth"], "demo_users", "--json")
    accounts = json.loads(said.strip().splitlines()[-1])  # the command's one line of JSON
    sellers = [account["id"] for account in accounts if account["sells"]]
    with _running(broker):
        said = _manage(
            repo / by_name["tickets"].directory,
            envs["tickets"],
            "demo_tickets",
            *(f"--seller={seller}" for seller in sellers),
        )
    for line in said.splitlines():
        print(f"    {line}", flush=True)
    print("    sign in as any of these (already there: its password left as it was):", flush=True)
    for account in accounts:
        role = "sells tickets" if account["sells"] else "buys"
        state = "created" if account["created"] else "already there"
        print(
            f"      {account['email']}  password {account['password']}  ({role}; {state})",
            flush=True,
        )


@contextlib.contextmanager
def _running(spec: ProcessSpec | None) -> Iterator[None]:
    """`spec`'s process while the block runs, once it says it is ready; stopped after."""
    if spec is None:
        yield
        return
    process = process_start(spec, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        not_ready = process_wait_until_ready(spec, process)
        if not_ready is not None:
            raise SetupError(not_ready)
        yield
    finally:
        process.terminate()  # Redis saves its data as it stops
        try:
            process.wait(timeout=BROKER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _manage(service_dir: Path, env: Mapping[str, str], *args: str) -> str:
    """What `manage.py <args>` printed; its warnings and errors pass through to the terminal
    (its INFO lines, one per event sent, would bury the accounts printed after them)."""
    argv = [sys.executable, "manage.py", *args]
    result = subprocess.run(
        argv,
        cwd=service_dir,
        env={**env, "LOG_LEVEL": "WARNING"},
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SetupError(
            f"`{' '.join(argv[1:])}` failed in {service_dir} (exit {result.returncode})"
        )
    return result.stdout
