"""Run every test suite of the repository, each in its own pytest process, and sum them up."""

import os
import subprocess
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ticketing_devtools.programs import find_program
from ticketing_devtools.pytest_summary import PytestCounts, parse_output
from ticketing_devtools.services import existing_services

NO_TESTS_COLLECTED = 5


@dataclass(frozen=True)
class Suite:
    name: str
    cwd: Path
    args: tuple[str, ...] = ()
    # Every service must have tests; a library or the cross-service suite may have none yet.
    must_have_tests: bool = False
    # Programs its tests run, not installable from Debian's archive (the rest is installed by
    # scripts/system-packages): without one, the suite fails at once saying so.
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuiteResult:
    suite: Suite
    exit_code: int
    counts: PytestCounts | None
    seconds: float
    missing: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        if self.missing:
            return False
        if self.exit_code == NO_TESTS_COLLECTED:
            return self.none_selected or not self.suite.must_have_tests
        return self.exit_code == 0

    @property
    def none_selected(self) -> bool:
        """Tests there, but the caller's `-k` or `-m` chose none of them: not a failure."""
        return self.counts is not None and self.counts["deselected"] > 0

    @property
    def outcome(self) -> str:
        if self.missing:
            return f"FAILED: {', '.join(self.missing)} missing"
        if self.exit_code == NO_TESTS_COLLECTED:
            if self.none_selected:
                return "none selected"
            return "FAILED: no tests" if self.suite.must_have_tests else "no tests"
        return "passed" if self.ok else f"FAILED (exit {self.exit_code})"

    @property
    def passed(self) -> int:
        return self.counts.passed if self.counts else 0

    @property
    def failed(self) -> int:
        """Failed tests; a failed suite counts at least one, even when pytest could not say."""
        failed = self.counts.failed if self.counts else 0
        return failed if self.ok else max(failed, 1)


# A service's tests in a real browser against the whole system (they start their own copy of
# it): a suite of their own, apart from the service's quick tests, and timed on its own.
BROWSER_TESTS = "browser_tests"


def repository_suites(repo: Path) -> list[Suite]:
    suites = [Suite(name, repo / name) for name in ("shared", "devtools") if (repo / name).is_dir()]
    for service in existing_services(repo):
        directory = repo / service.directory
        suites.append(Suite(service.directory, directory, must_have_tests=True))
        if (directory / BROWSER_TESTS).is_dir():
            suites.append(
                Suite(
                    f"{service.directory}/{BROWSER_TESTS}",
                    directory,
                    (BROWSER_TESTS,),
                    must_have_tests=True,
                )
            )
    if (repo / "tests").is_dir():
        # The manifest tests render k8s/ with `kubectl kustomize`.
        suites.append(Suite("tests", repo, ("tests", "-p", "no:django"), needs=("kubectl",)))
    return suites


def run_suite(suite: Suite, extra_args: Sequence[str], out: TextIO) -> SuiteResult:
    """Run pytest for one suite, streaming its output as it comes."""
    missing = tuple(name for name in suite.needs if find_program(name) is None)
    if missing:
        out.write(
            f"\n==> {suite.name}: not run: {', '.join(missing)} not installed (not on PATH); "
            f"its tests need {'it' if len(missing) == 1 else 'them'}: install, then run again\n"
        )
        out.flush()
        return SuiteResult(suite, 1, None, 0.0, missing=missing)
    argv = [sys.executable, "-m", "pytest", *suite.args]
    if out.isatty():
        argv.append("--color=yes")  # pytest sees a pipe, not the terminal
    argv += extra_args
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    out.write(f"\n==> {suite.name}: {' '.join(argv[1:])}  (in {suite.cwd})\n")
    out.flush()
    tail: deque[str] = deque(maxlen=50)
    started = time.monotonic()
    with subprocess.Popen(
        argv, cwd=suite.cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as process:
        for raw in process.stdout:
            line = raw.decode(errors="replace")
            out.write(line)
            out.flush()
            tail.append(line)
    return SuiteResult(suite, process.returncode, parse_output(tail), time.monotonic() - started)


def summary_table(results: Sequence[SuiteResult]) -> str:
    rows = [("suite", "result", "passed", "failed", "time")]
    rows += [
        (r.suite.name, r.outcome, str(r.passed), str(r.failed), f"{r.seconds:.1f}s")
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for row in rows:
        left = [cell.ljust(width) for cell, width in zip(row[:2], widths, strict=False)]
        right = [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=False)]
        lines.append("  ".join(left + right).rstrip())
    return "\n".join(lines)


def closing_line(results: Sequence[SuiteResult]) -> str:
    # The plain form that tools reading the output count on, alone on its line.
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    return f"{passed} passed, {failed} failed"


def run_all(repo: Path, extra_args: Sequence[str], out: TextIO = sys.stdout) -> int:
    suites = repository_suites(repo)
    # Said first as well as in the summary: the run takes minutes before it gets there.
    missing = sorted({name for suite in suites for name in suite.needs if not find_program(name)})
    if missing:
        out.write(f"warning: not installed: {', '.join(missing)}; suites needing it will fail\n")
    results = [run_suite(suite, extra_args, out) for suite in suites]
    out.write("\n" + summary_table(results) + "\n\n" + closing_line(results) + "\n")
    out.flush()
    return 0 if all(r.ok for r in results) else 1
