"""Read the counts from pytest's closing line ("1 failed, 2 passed, 1 skipped in 0.50s")."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

ANSI = re.compile(r"\x1b\[[0-9;]*m")
CLOSING_LINE = re.compile(r"^=*\s*(?P<body>.+?) in [\d.]+s\b.*?=*$")
COUNT = re.compile(r"(\d+) (\w+)")
# pytest says "1 error" but "2 errors", "1 warning" but "2 warnings".
SINGULAR = {"errors": "error", "warnings": "warning"}


@dataclass(frozen=True)
class PytestCounts:
    counts: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, outcome: str) -> int:
        return self.counts.get(outcome, 0)

    @property
    def passed(self) -> int:
        return self["passed"]

    @property
    def failed(self) -> int:
        """Failures and errors alike: either means a test did not pass."""
        return self["failed"] + self["error"]


def parse_closing_line(line: str) -> PytestCounts | None:
    match = CLOSING_LINE.match(ANSI.sub("", line).strip())
    if match is None:
        return None
    body = match["body"].strip()
    if body == "no tests ran":
        return PytestCounts()
    counts = {}
    for part in body.split(", "):
        count = COUNT.fullmatch(part.strip())
        if count is None:
            return None
        outcome = SINGULAR.get(count[2], count[2])
        counts[outcome] = counts.get(outcome, 0) + int(count[1])
    return PytestCounts(counts)


def parse_output(lines: Iterable[str]) -> PytestCounts | None:
    """The counts from the last closing line in pytest's output, if it printed one."""
    found = None
    for line in lines:
        counts = parse_closing_line(line)
        if counts is not None:
            found = counts
    return found
