"""A small process manager: run named processes together, interleave their logs, stop them as one.

Processes are meant to run until stopped: one that ends by itself, whatever its exit code, ends
the whole session as a failure, because the rest rarely works without it.
"""

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

COLOURS = (36, 33, 32, 35, 34, 31, 96, 93, 92, 95, 94, 91)
RESET = "\033[0m"


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: Sequence[str]
    cwd: Path | None = None
    env: Mapping[str, str] | None = None
    # For a process the ones after it depend on (a Redis they connect to at start): the runner
    # starts the rest only once this says it is ready.
    ready: Callable[[], bool] | None = None
    ready_timeout: float = 30


def process_start(spec: ProcessSpec, *, stdout, stderr) -> subprocess.Popen:
    """`spec`'s process, reading nothing from stdin, in its own process group (so that stopping
    reaches its children too, and a terminal's Ctrl-C reaches only us, the shutdown staying
    orderly)."""
    return subprocess.Popen(
        list(spec.argv),
        cwd=spec.cwd,
        env=None if spec.env is None else dict(spec.env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
    )


def process_wait_until_ready(
    spec: ProcessSpec, popen: subprocess.Popen, *, stop: threading.Event | None = None
) -> str | None:
    """Waits for `spec.ready()` (if it has one): None once ready, or as soon as `stop` is set;
    otherwise why it never will be (the process exited, or its time ran out)."""
    deadline = time.monotonic() + spec.ready_timeout
    while not (spec.ready is None or spec.ready()):
        if stop is not None and stop.is_set():
            return None
        if popen.poll() is not None:
            return f"{spec.name} exited with code {popen.returncode}"
        if time.monotonic() >= deadline:
            return f"{spec.name} was not ready within {spec.ready_timeout:g}s"
        time.sleep(0.05)
    return None


@dataclass
class _Running:
    spec: ProcessSpec
    popen: subprocess.Popen
    prefix: str
    pump: threading.Thread = field(init=False)


class Runner:
    def __init__(
        self, specs: Sequence[ProcessSpec], *, out: TextIO | None = None, stop_timeout: float = 10
    ):
        self.specs = list(specs)
        self.out = out or sys.stdout
        self.stop_timeout = stop_timeout
        self._lock = threading.Lock()
        self._colour = self.out.isatty()
        self._width = max((len(spec.name) for spec in self.specs), default=0)
        self._stop_requested = threading.Event()

    def say(self, message: str) -> None:
        """A line of our own, safe to call from any thread while processes log."""
        self._write(f"{'*' * self._width} | {message}")

    def request_stop(self) -> None:
        self._stop_requested.set()

    def run(self) -> int:
        """Run until a signal or until a process ends; 0 only for a clean stop on request."""
        handlers = {
            sig: signal.signal(sig, lambda *_: self.request_stop())
            for sig in (signal.SIGINT, signal.SIGTERM)
        }
        running: list[_Running] = []
        try:
            failed = not self._start_all(running)
            if not failed:
                ended = self._wait_for_stop_or_exit(running)
                if ended is None:
                    self.say("stopping")
                else:
                    code = ended.popen.returncode
                    self.say(f"{ended.spec.name} exited with code {code}; stopping")
                    failed = True
        finally:
            # Also on an unexpected error here: never leave the processes behind.
            killed = self._stop_all(running)
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        return 1 if failed or killed else 0

    def _start_all(self, running: list[_Running]) -> bool:
        for spec, colour in zip(self.specs, itertools.cycle(COLOURS), strict=False):
            if self._stop_requested.is_set():
                break  # stopped while an earlier one got ready: a stop on request, not a failure
            try:
                running.append(self._start(spec, colour))
            except OSError as error:
                self.say(f"cannot start {spec.name}: {error}")
                return False
            not_ready = process_wait_until_ready(spec, running[-1].popen, stop=self._stop_requested)
            if not_ready is not None:
                self.say(f"{not_ready}; stopping")
                return False
        return True

    def _start(self, spec: ProcessSpec, colour: int) -> _Running:
        popen = process_start(spec, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        prefix = spec.name.ljust(self._width)
        if self._colour:
            prefix = f"\033[{colour}m{prefix}{RESET}"
        proc = _Running(spec, popen, prefix)
        proc.pump = threading.Thread(target=self._pump, args=(proc,), daemon=True)
        proc.pump.start()
        return proc

    def _pump(self, proc: _Running) -> None:
        for raw in iter(proc.popen.stdout.readline, b""):
            text = raw.decode(errors="replace").rstrip("\r\n")
            self._write(f"{proc.prefix} | {text}")

    def _write(self, line: str) -> None:
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()

    def _wait_for_stop_or_exit(self, running: list[_Running]) -> _Running | None:
        while not self._stop_requested.wait(0.1):
            for proc in running:
                if proc.popen.poll() is not None:
                    return proc
        return None

    def _stop_all(self, running: list[_Running]) -> bool:
        """SIGTERM every process group, SIGKILL what is left at the deadline; True if needed."""
        for proc in running:
            _signal_group(proc.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while time.monotonic() < deadline and any(_group_alive(p) for p in running):
            time.sleep(0.05)
        killed = False
        for proc in running:
            if _group_alive(proc):
                self.say(f"{proc.spec.name} did not stop within {self.stop_timeout:.0f}s; killing")
                _signal_group(proc.popen.pid, signal.SIGKILL)
                killed = True
        for proc in running:
            proc.popen.wait()
            proc.pump.join(timeout=5)
        return killed


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _group_alive(proc: _Running) -> bool:
    # Reap the leader first: a zombie leader would keep its group "alive" forever.
    proc.popen.poll()
    try:
        os.killpg(proc.popen.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, running as another user (nginx's workers when started as root)
    return True
