"""The registry of Ticketing services: where each lives, its port, and what the gateway sends it."""

from dataclasses import dataclass, replace
from pathlib import Path

# The gateway's catch-all: whatever no other service claims goes to the frontend.
CATCH_ALL = "/"


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
