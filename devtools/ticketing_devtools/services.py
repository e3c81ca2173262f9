"""The registry of Ticketing services: where each lives, its port, and what the gateway sends it."""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ticketing_devtools.errors import SetupError

# The gateway's catch-all: whatever no other service claims goes to the frontend.
CATCH_ALL = "/"
# The registry's ports start here; `relocated` moves the whole block.
DEFAULT_PORT_BASE = 8001
# PostgreSQL silently truncates longer names, which would create a database nobody uses.
MAX_DATABASE_NAME = 63
DATABASE_SUFFIX = re.compile(r"[a-z0-9_]*")


@dataclass(frozen=True)
class Service:
    name: str
    directory: str
    port: int
    prefixes: tuple[str, ...]
    database: str
    # Whether the service runs a Celery worker and beat; only known once the repo is looked at.
    has_worker: bool = False

    @property
    def is_catch_all(self) -> bool:
        return CATCH_ALL in self.prefixes

    @property
    def api_prefix(self) -> str | None:
        return next((p for p in self.prefixes if p.startswith("/api/")), None)

    @property
    def admin_prefix(self) -> str | None:
        return next((p for p in self.prefixes if p.startswith("/admin/")), None)


def _api_service(name: str, port: int, resource: str) -> Service:
    return Service(
        name=name,
        directory=f"{name}_service",
        port=port,
        prefixes=(f"/api/{resource}/", f"/admin/{resource}/"),
        database=f"ticketing_{name}",
    )


SERVICES: tuple[Service, ...] = (
    _api_service("auth", 8001, "users"),
    _api_service("tickets", 8002, "tickets"),
    _api_service("orders", 8003, "orders"),
    _api_service("payments", 8004, "payments"),
    Service("frontend", "frontend_service", 8005, (CATCH_ALL,), "ticketing_frontend"),
)

SERVICES_BY_NAME = {service.name: service for service in SERVICES}


def declares_worker(service_dir: Path) -> bool:
    """A Celery app plus something for it to run (tasks or event handlers in any app)."""
    if not (service_dir / "config" / "celery_app.py").is_file():
        return False
    return any(service_dir.glob("*/tasks.py")) or any(service_dir.glob("*/handlers.py"))


def existing_services(repo: Path) -> list[Service]:
    """The services written so far, in registry order; a service exists once it has manage.py."""
    found = []
    for service in SERVICES:
        service_dir = repo / service.directory
        if (service_dir / "manage.py").is_file():
            found.append(replace(service, has_worker=declares_worker(service_dir)))
    return found


def relocated(
    services: Sequence[Service], *, port_base: int = DEFAULT_PORT_BASE, database_suffix: str = ""
) -> list[Service]:
    """The services on ports from `port_base` on, in registry order, with databases named
    `ticketing_<service><database_suffix>`: a second local run beside the usual one."""
    if not DATABASE_SUFFIX.fullmatch(database_suffix):
        raise SetupError(
            f"database suffix {database_suffix!r}: use lowercase letters, digits and _ only"
        )
    last_port = port_base + max(s.port for s in SERVICES) - DEFAULT_PORT_BASE
    if port_base < 1 or last_port > 65535:
        raise SetupError(f"service ports {port_base}-{last_port} are not all valid ports")
    moved = [
        replace(
            service,
            port=port_base + service.port - DEFAULT_PORT_BASE,
            database=service.database + database_suffix,
        )
        for service in services
    ]
    too_long = [s.database for s in moved if len(s.database) > MAX_DATABASE_NAME]
    if too_long:
        raise SetupError(f"database names longer than {MAX_DATABASE_NAME}: {', '.join(too_long)}")
    return moved
