import io
import textwrap

from ticketing_devtools.pytest_summary import PytestCounts
from ticketing_devtools.suites import (
    Suite,
    SuiteResult,
    closing_line,
    repository_suites,
    run_suite,
    summary_table,
)

ISOLATED = ("-p", "no:cacheprovider")


def write_tests(directory, source):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "test_sample.py").write_text(textwrap.dedent(source))


def test_runs_a_suite_streaming_and_counting(tmp_path):
    write_tests(
        tmp_path,
        """
        def test_one(): pass
        def test_two(): pass
        def test_three(): assert False
        """,
    )
    out = io.StringIO()

    result = run_suite(Suite("sample", tmp_path), ISOLATED, out)

    assert result.exit_code == 1
    assert not result.ok
    assert (result.passed, result.failed) == (2, 1)
    assert "test_three" in out.getvalue()


def test_no_tests_fails_a_service_but_not_a_library(tmp_path):
    out = io.StringIO()

    library = run_suite(Suite("lib", tmp_path), ISOLATED, out)
    service = run_suite(Suite("svc", tmp_path, must_have_tests=True), ISOLATED, out)

    assert library.exit_code == service.exit_code == 5
    assert library.ok
    assert (library.passed, library.failed) == (0, 0)
    assert not service.ok
    assert service.failed == 1
    assert service.outcome == "FAILED: no tests"


def test_a_service_whose_tests_the_callers_filter_deselects_does_not_fail(tmp_path):
    write_tests(tmp_path, "def test_signin(): pass\n")

    result = run_suite(
        Suite("svc", tmp_path, must_have_tests=True), (*ISOLATED, "-k", "gateway"), io.StringIO()
    )

    assert result.exit_code == 5
    assert result.ok
    assert result.outcome == "none selected"
    assert (result.passed, result.failed) == (0, 0)


def test_closing_line_and_table_total_every_suite(tmp_path):
    results = [
        SuiteResult(Suite("a", tmp_path), 0, PytestCounts({"passed": 3}), 1.0),
        SuiteResult(Suite("b", tmp_path), 1, PytestCounts({"passed": 2, "error": 1}), 2.0),
        SuiteResult(Suite("c", tmp_path), 2, None, 0.1),
    ]

    assert closing_line(results) == "5 passed, 2 failed"
    table = summary_table(results).splitlines()
    assert table[0].split() == ["suite", "result", "passed", "failed", "time"]
    assert table[2].split() == ["b", "FAILED", "(exit", "1)", "2", "1", "2.0s"]


def test_suites_in_order(tmp_path):
    for directory in ("shared", "devtools", "orders_service", "auth_service", "tests"):
        (tmp_path / directory).mkdir()
    for service in ("orders_service", "auth_service"):
        (tmp_path / service / "manage.py").touch()

    suites = repository_suites(tmp_path)

    assert [s.name for s in suites] == [
        "shared",
        "devtools",
        "auth_service",
        "orders_service",
        "tests",
    ]
    assert [s.must_have_tests for s in suites] == [False, False, True, True, False]
    assert suites[-1].cwd == tmp_path
    assert suites[-1].args == ("tests", "-p", "no:django")
    assert suites[-1].needs == ("kubectl",)


def test_a_service_with_browser_tests_has_a_suite_for_them_after_its_own(tmp_path):
    (tmp_path / "frontend_service" / "browser_tests").mkdir(parents=True)
    (tmp_path / "frontend_service" / "manage.py").touch()

    [service, browser] = repository_suites(tmp_path)

    assert (service.name, service.args) == ("frontend_service", ())
    assert browser.name == "frontend_service/browser_tests"
    assert browser.cwd == tmp_path / "frontend_service"
    assert browser.args == ("browser_tests",)
    assert browser.must_have_tests


def test_a_suite_whose_program_is_missing_fails_saying_so_without_running(tmp_path):
    write_tests(tmp_path, "def test_would_pass(): pass\n")
    out = io.StringIO()

    result = run_suite(Suite("manifests", tmp_path, needs=("no-such-program-here",)), ISOLATED, out)

    assert not result.ok
    assert result.outcome == "FAILED: no-such-program-here missing"
    assert (result.passed, result.failed) == (0, 1)
    assert "manifests: not run: no-such-program-here not installed" in out.getvalue()
    assert "test_would_pass" not in out.getvalue()
