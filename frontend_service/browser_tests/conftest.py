"""Browser tests: Playwright drives Debian's chromium against the whole system, started once for
the session as `scripts/dev` starts it (`running_system`, web/tests/system.py).

Artifacts (git-ignored) land in browser_tests/artifacts/: screenshots of the main pages, the
page weights and every axe-core finding (also those below serious).
"""

import json
from collections.abc import Iterator
from dataclasses import asdict

import pytest
from playwright.sync_api import sync_playwright

from browser_tests.site import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Site, npm_packages_install

# The session's Site, for the summary at the end.
_SITES: list[Site] = []


@pytest.fixture(scope="session")
def axe_script():
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: scripts/system-packages installs Debian's chromium")
    return npm_packages_install() / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def site_session(running_system, browser, axe_script) -> Iterator[Site]:
    site = Site(running_system.base_url, browser, axe_script)
    _SITES.append(site)
    yield site
    site.close()
    report_write(site)


@pytest.fixture
def site(site_session) -> Iterator[Site]:
    """The site, with the pages a test opened closed after it."""
    yield site_session
    site_session.close()
    site_session._contexts.clear()


def report_write(site: Site) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe-findings.json").write_text(
        json.dumps(
            {
                "pages_checked": site.pages_checked,
                "violations": [asdict(f) for f in site.axe_findings],
            },
            indent=2,
        )
    )
    (ARTIFACTS / "page-weights.json").write_text(
        json.dumps([asdict(w) for w in site.weights], indent=2)
    )


def pytest_terminal_summary(terminalreporter):
    for site in _SITES:
        if site.weights:
            terminalreporter.section("page weight (bytes decoded / sent, cold cache)")
            for weight in site.weights:
                kinds = ", ".join(
                    f"{kind} {weight.decoded[kind]}/{weight.transferred[kind]}"
                    for kind in sorted(weight.decoded)
                )
                terminalreporter.write_line(f"{weight.path} [{weight.status}]: {kinds}")
        terminalreporter.section("axe-core")
        terminalreporter.write_line(f"{len(site.pages_checked)} page states checked")
        seen = set()
        for finding in site.axe_findings:
            key = (finding.rule, finding.impact)
            if key not in seen:
                seen.add(key)
                pages = sorted({f.page for f in site.axe_findings if f.rule == finding.rule})
                terminalreporter.write_line(
                    f"{finding.impact}: {finding.rule} ({finding.help}) on {', '.join(pages)}"
                )
        if not site.axe_findings:
            terminalreporter.write_line("no violations of any impact")
