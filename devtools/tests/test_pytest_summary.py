import pytest

from ticketing_devtools.pytest_summary import parse_closing_line, parse_output


@pytest.mark.parametrize(
    ("line", "passed", "failed", "counts"),
    [
        ("3 passed in 1.2s", 3, 0, {"passed": 3}),
        ("========== 3 passed in 0.05s ==========", 3, 0, {"passed": 3}),
        (
            "1 failed, 2 passed, 1 skipped in 0.41s",
            2,
            1,
            {"failed": 1, "passed": 2, "skipped": 1},
        ),
        ("no tests ran in 0.01s", 0, 0, {}),
        ("===== no tests ran in 0.01s =====", 0, 0, {}),
        ("1 error in 0.12s", 0, 1, {"error": 1}),
        (
            "===== 2 failed, 5 passed, 3 errors in 2.00s =====",
            5,
            5,
            {"failed": 2, "passed": 5, "error": 3},
        ),
        ("4 passed, 2 warnings in 61.23s (0:01:01)", 4, 0, {"passed": 4, "warning": 2}),
        (
            "1 passed, 1 xfailed, 1 xpassed, 2 deselected in 0.3s",
            1,
            0,
            {"passed": 1, "xfailed": 1, "xpassed": 1, "deselected": 2},
        ),
        (
            "\x1b[32m===== \x1b[32m\x1b[1m7 passed\x1b[0m"
            "\x1b[32m in 0.10s\x1b[0m\x1b[32m =====\x1b[0m",
            7,
            0,
            {"passed": 7},
        ),
    ],
)
def test_closing_line_variants(line, passed, failed, counts):
    parsed = parse_closing_line(line)
    assert parsed is not None
    assert (parsed.passed, parsed.failed) == (passed, failed)
    assert parsed.counts == counts


@pytest.mark.parametrize(
    "line",
    [
        "",
        "collected 3 items",
        "tests/test_x.py ...F                                         [100%]",
        "FAILED tests/test_x.py::test_y - assert 1 in 2.5s",
        "Interrupted: 1 error during collection",
    ],
)
def test_other_lines_are_not_closing_lines(line):
    assert parse_closing_line(line) is None


def test_output_uses_the_last_closing_line():
    output = [
        "collected 2 items",
        "FAILED tests/test_x.py::test_y - assert 0 in 1s",
        "!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!",
        "========================= 1 error in 0.21s =========================",
    ]
    parsed = parse_output(output)
    assert parsed is not None
    assert (parsed.passed, parsed.failed) == (0, 1)


def test_output_without_closing_line():
    assert parse_output(["Traceback (most recent call last):", "ImportError: boom"]) is None
