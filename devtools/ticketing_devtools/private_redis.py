"""The Redis of a copy of the runner beside the usual one.

The usual run (state in the checkout's `.local/`) uses the machine's Redis, as the services'
defaults do. A copy with a state directory of its own gets a redis-server of its own, run with
its services: the sign-in counters in its cache and the events on its broker are then its own,
and never mix with the usual run's.
"""

from dataclasses import dataclass
from pathlib import Path

from ticketing_devtools import infra
from ticketing_devtools.errors import SetupError
from ticketing_devtools.programs import require_program
from ticketing_devtools.runner import ProcessSpec
from ticketing_devtools.services import DEFAULT_PORT_BASE, LAST_DEFAULT_PORT

# The same database numbers as the services' defaults on the machine's Redis.
CACHE_DATABASE = 1
BROKER_DATABASE = 0


def private_redis_port(service_port_base: int) -> int:
    """The port right after the copy's block of service ports."""
    port = service_port_base + LAST_DEFAULT_PORT - DEFAULT_PORT_BASE + 1
    if port > 65535:
        raise SetupError(f"no port left after the service ports for Redis ({port})")
    return port


@dataclass(frozen=True)
class PrivateRedis:
    port: int
    # Its data (an RDB snapshot written when it stops), kept across restarts of the copy.
    directory: Path

    @property
    def endpoint(self) -> infra.Endpoint:
        return infra.Endpoint("private Redis", "127.0.0.1", self.port)

    def urls(self) -> dict[str, str]:
        """What the copy's services are given instead of the machine's Redis."""
        base = f"redis://127.0.0.1:{self.port}"
        return {
            "REDIS_URL": f"{base}/{CACHE_DATABASE}",
            "CELERY_BROKER_URL": f"{base}/{BROKER_DATABASE}",
        }

    def process(self) -> ProcessSpec:
        """redis-server in the foreground, logging to the runner; the services start once it
        answers, since workers connect to their broker at start."""
        redis_server = require_program(
            "redis-server", package="redis-server", needed_for="a copy's own Redis"
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        argv = [
            redis_server,
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.directory),
            "--daemonize", "no",
            "--logfile", "",
        ]  # fmt: skip
        return ProcessSpec(
            "redis", argv, cwd=self.directory, ready=lambda: infra.answers(self.endpoint, 0.2)
        )
