"""The registry's services as one local run places them: a second run beside the usual one
moves their ports and databases (`relocated`); everything else is the registry's entry."""

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ticketing_devtools.errors import SetupError
from ticketing_shared.registry import SERVICES, Service, service_get

# The registry's ports start here; `relocated` moves the whole block.
DEFAULT_PORT_BASE = min(service.port for service in SERVICES)
LAST_DEFAULT_PORT = max(service.port for service in SERVICES)
# PostgreSQL silently truncates longer names, which would create a database nobody uses.
MAX_DATABASE_NAME = 63
DATABASE_SUFFIX = re.compile(r"[a-z0-9_]*")


def declares_worker(service_dir: Path) -> bool:
    """Whether a service's files give a worker something to do: a Celery app plus tasks or
    event handlers in some app. Only a check that the folder agrees with the registry's
    `runs_worker`; the runner goes by the registry."""
    if not (service_dir / "config" / "celery_app.py").is_file():
        return False
    return any(service_dir.glob("*/tasks.py")) or any(service_dir.glob("*/handlers.py"))


def existing_services(repo: Path) -> list[Service]:
    """The services written so far, in registry order; a service exists once it has manage.py."""
    return [s for s in SERVICES if (repo / s.directory / "manage.py").is_file()]


def database_suffix_check(database_suffix: str) -> None:
    """A suffix is part of database names, and of a copy's folder name: no quoting, no path."""
    if not DATABASE_SUFFIX.fullmatch(database_suffix):
        raise SetupError(
            f"database suffix {database_suffix!r}: use lowercase letters, digits and _ only"
        )


def relocated(
    services: Sequence[Service], *, port_base: int = DEFAULT_PORT_BASE, database_suffix: str = ""
) -> list[Service]:
    """The services on ports from `port_base` on, in registry order, with databases named
    `ticketing_<service><database_suffix>`: a second local run beside the usual one."""
    database_suffix_check(database_suffix)
    last_port = port_base + LAST_DEFAULT_PORT - DEFAULT_PORT_BASE
    if port_base < 1 or last_port > 65535:
        raise SetupError(f"service ports {port_base}-{last_port} are not all valid ports")
    moved = []
    for service in services:
        # Moved from the registry's entry, so that moving a moved service does not add up.
        entry = service_get(service.name)
        moved.append(
            replace(
                entry,
                # A service keeps its slot in the block, whichever others exist yet.
                port=port_base + entry.port - DEFAULT_PORT_BASE,
                database=entry.database + database_suffix,
            )
        )
    too_long = [s.database for s in moved if len(s.database) > MAX_DATABASE_NAME]
    if too_long:
        raise SetupError(f"database names longer than {MAX_DATABASE_NAME}: {', '.join(too_long)}")
    return moved
