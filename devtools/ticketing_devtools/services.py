"""The services as one local run places them: the shared registry's entries, on ports and
databases that a second run beside the usual one can move (`relocated`).

Names, prefixes, default ports, databases, workers and who signs tokens all come from
`ticketing_shared.registry`; nothing about a service is restated here.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ticketing_devtools.errors import SetupError
from ticketing_shared import registry

# The registry's ports start here; `relocated` moves the whole block.
DEFAULT_PORT_BASE = min(entry.port for entry in registry.SERVICES)
LAST_DEFAULT_PORT = max(entry.port for entry in registry.SERVICES)
# PostgreSQL silently truncates longer names, which would create a database nobody uses.
MAX_DATABASE_NAME = 63
DATABASE_SUFFIX = re.compile(r"[a-z0-9_]*")


@dataclass(frozen=True)
class Service:
    """A registry entry where this run puts it: its port and database may differ from the
    registry's defaults; everything else is the entry's."""

    entry: registry.Service
    port: int
    database: str

    @classmethod
    def of(cls, entry: registry.Service) -> "Service":
        return cls(entry=entry, port=entry.port, database=entry.database)

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def directory(self) -> str:
        return self.entry.directory

    @property
    def prefixes(self) -> tuple[str, ...]:
        return self.entry.prefixes

    @property
    def api_prefix(self) -> str | None:
        return self.entry.api_prefix

    @property
    def admin_prefix(self) -> str | None:
        return self.entry.admin_prefix

    @property
    def is_catch_all(self) -> bool:
        return self.entry.is_catch_all

    @property
    def runs_worker(self) -> bool:
        return self.entry.runs_worker

    @property
    def signs_tokens(self) -> bool:
        return self.entry.signs_tokens


SERVICES: tuple[Service, ...] = tuple(Service.of(entry) for entry in registry.SERVICES)
SERVICES_BY_NAME: dict[str, Service] = {service.name: service for service in SERVICES}


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


def relocated(
    services: Sequence[Service], *, port_base: int = DEFAULT_PORT_BASE, database_suffix: str = ""
) -> list[Service]:
    """The services on ports from `port_base` on, in registry order, with databases named
    `ticketing_<service><database_suffix>`: a second local run beside the usual one."""
    if not DATABASE_SUFFIX.fullmatch(database_suffix):
        raise SetupError(
            f"database suffix {database_suffix!r}: use lowercase letters, digits and _ only"
        )
    last_port = port_base + LAST_DEFAULT_PORT - DEFAULT_PORT_BASE
    if port_base < 1 or last_port > 65535:
        raise SetupError(f"service ports {port_base}-{last_port} are not all valid ports")
    moved = [
        replace(
            service,
            # A service keeps its slot in the block, whichever others exist yet.
            port=port_base + service.entry.port - DEFAULT_PORT_BASE,
            database=service.entry.database + database_suffix,
        )
        for service in services
    ]
    too_long = [s.database for s in moved if len(s.database) > MAX_DATABASE_NAME]
    if too_long:
        raise SetupError(f"database names longer than {MAX_DATABASE_NAME}: {', '.join(too_long)}")
    return moved
