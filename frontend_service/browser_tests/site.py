"""What the browser tests do to the site as a person would: pages opened in Debian's chromium,
forms filled by their labels, buttons pressed by their names; and what they check on every page
(axe-core's accessibility rules, no script error) and keep (screenshots, page weights).
"""

import fcntl
import json
import re
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# Debian's chromium as it is (never a browser of Playwright's own), quiet: no calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct-Horse-battery-9"  # noqa: S105 (every test account's)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# axe-core's impacts that fail a page; moderate and minor ones are kept in the report.
FAILING_IMPACTS = {"serious", "critical"}
PHONE = {"width": 360, "height": 740}


def npm_packages_install(*, with_lighthouse: bool = False) -> Path:
    """The pinned npm packages (package-lock.json) in node_modules/, installed with `npm ci`
    unless the installed ones are already those: axe-core for the tests, Lighthouse too for
    scripts/lighthouse. Returns node_modules/."""
    lock = json.loads((HERE / "package-lock.json").read_text())["packages"]
    wanted = ["axe-core"] + (["lighthouse"] if with_lighthouse else [])
    node_modules = HERE / "node_modules"

    def installed(name: str) -> bool:
        manifest = node_modules / name / "package.json"
        return (
            manifest.is_file()
            and json.loads(manifest.read_text())["version"]
            == lock[f"node_modules/{name}"]["version"]
        )

    # One install at a time: `npm ci` empties node_modules/ first, under any other run's feet
    # (the browser tests and scripts/lighthouse side by side).
    with (HERE / ".npm-install.lock").open("w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if not all(installed(name) for name in wanted):
            argv = ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"]
            if not with_lighthouse:
                argv.append("--omit=dev")  # Lighthouse is a hundred packages the tests never use
            subprocess.run(argv, cwd=HERE, check=True)  # noqa: S603 (npm, our own arguments)
    return node_modules


def expect_at(page: Page, path: str) -> None:
    """The page's address is `path` (with its query, %-decoded) on this site, within the
    usual wait (a redirect after a form may still be on its way)."""

    def at(url: str) -> bool:
        parts = urlsplit(url)
        return unquote(parts.path + (f"?{parts.query}" if parts.query else "")) == path

    try:
        page.wait_for_url(at, timeout=5_000)
    except PlaywrightTimeoutError:
        raise AssertionError(f"at {page.url}, not {path}") from None


@dataclass
class PageWeight:
    """What a page made the browser fetch, cold: bytes by kind, decoded (as the browser holds
    them) and as sent (compressed), and every URL it asked for."""

    path: str
    status: int
    urls: list[str] = field(default_factory=list)
    decoded: dict[str, int] = field(default_factory=dict)
    transferred: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, decoded: int, transferred: int) -> None:
        self.decoded[kind] = self.decoded.get(kind, 0) + decoded
        self.transferred[kind] = self.transferred.get(kind, 0) + transferred


@dataclass
class AxeFinding:
    page: str
    rule: str
    impact: str
    help: str
    targets: list[str]


@dataclass
class Site:
    """The running system's site as one browser sees it."""

    base_url: str
    browser: Browser
    axe_script: Path
    axe_findings: list[AxeFinding] = field(default_factory=list)
    pages_checked: list[str] = field(default_factory=list)
    weights: list[PageWeight] = field(default_factory=list)
    _contexts: list[BrowserContext] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def path_of(self, page: Page) -> str:
        parts = urlsplit(page.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def new_page(self, *, javascript: bool = True, phone: bool = False, dark: bool = False) -> Page:
        """A page in a context of its own (its own cookies: one person), which records script
        errors and console errors for `check`."""
        options = {"java_script_enabled": javascript, "base_url": self.base_url}
        if phone:
            options |= {"viewport": PHONE, "is_mobile": True, "has_touch": True}
        if dark:
            options["color_scheme"] = "dark"
        context = self.browser.new_context(**options)
        context.set_default_timeout(15_000)
        if javascript:
            # Before the page's own scripts, as the browser's own addition: the site's Content
            # Security Policy (scripts from its origin only) stays in force for everything else.
            context.add_init_script(path=self.axe_script)
        self._contexts.append(context)
        page = context.new_page()
        page.script_errors = []
        page.on("pageerror", lambda error: page.script_errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                # A page answered 404 or 400 on purpose says so in the console too.
                and "Failed to load resource" not in message.text
                and page.script_errors.append(message.text)
            ),
        )
        return page

    def close(self) -> None:
        for context in self._contexts:
            context.close()

    # ------------------------------------------------------------------------------------------
    # What every page visited is held to, and what is kept of it
    # ------------------------------------------------------------------------------------------
    def check(self, page: Page, name: str, *, screenshot: bool = False) -> None:
        """axe-core's rules (injected into every page of a `new_page`) on the page as it is:
        no serious or critical violation (the rest is kept for the report); no script error so
        far (a blocked script, a CSP violation); a screenshot kept as
        `artifacts/screenshots/<name>.png` if asked."""
        assert not page.script_errors, f"{name}: script errors: {page.script_errors}"
        if screenshot:
            self.screenshot(page, name)
        results = page.evaluate(
            """() => axe.run(document, {resultTypes: ["violations"]})
                .then(r => r.violations.map(v => ({
                    rule: v.id, impact: v.impact, help: v.help,
                    targets: v.nodes.map(n => n.target.join(" ")),
                })))"""
        )
        self.pages_checked.append(f"{name} ({self.path_of(page)})")
        findings = [AxeFinding(name, **violation) for violation in results]
        self.axe_findings += findings
        failing = [f for f in findings if f.impact in FAILING_IMPACTS]
        assert not failing, f"{name}: accessibility violations: " + "; ".join(
            f"{f.rule} ({f.impact}): {f.help} at {f.targets[:3]}" for f in failing
        )

    def screenshot(self, page: Page, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    def weigh(self, path: str) -> PageWeight:
        """Open `path` in a new browser context (nothing cached) and count what it loads."""
        context = self.browser.new_context(base_url=self.base_url)
        try:
            page = context.new_page()
            requests = []
            page.on("request", lambda request: requests.append(request))
            response = page.goto(path, wait_until="networkidle")
            weight = PageWeight(path, response.status)
            for request in requests:
                weight.urls.append(request.url)
                answer = request.response()
                if answer is None:
                    continue
                kind = request.resource_type
                weight.add(kind, len(answer.body()), request.sizes()["responseBodySize"])
        finally:
            context.close()
        self.weights.append(weight)
        return weight

    # ------------------------------------------------------------------------------------------
    # A person's steps
    # ------------------------------------------------------------------------------------------
    def sign_up(self, page: Page, *, check: bool = False) -> str:
        """A new account, signed in; its email."""
        email = f"person-{secrets.token_hex(5)}@example.com"
        page.goto("/auth/signup")
        if check:
            self.check(page, "sign-up", screenshot=True)
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        return email

    def sign_in(self, page: Page, email: str) -> None:
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    def sign_out(self, page: Page) -> None:
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    def sell(self, page: Page, title: str, price: str = "12.00", *, check: bool = False) -> str:
        """Through the header's "Sell tickets"; the new ticket's id, its page open."""
        page.get_by_role("link", name="Sell tickets").click()
        expect_at(page, "/tickets/new")
        if check:
            self.check(page, "sell-form", screenshot=True)
        page.get_by_label("Title").fill(title)
        page.get_by_label("Price (USD)").fill(price)
        page.get_by_role("button", name="Sell ticket").click()
        expect(page).to_have_url(re.compile(rf"/tickets/{UUID}$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        return page.url.rsplit("/", 1)[1]

    def purchase(self, page: Page, ticket_id: str) -> str:
        """From the ticket's page; the order's id, its page open."""
        page.goto(f"/tickets/{ticket_id}")
        page.get_by_role("button", name="Purchase").click()
        expect(page).to_have_url(re.compile(rf"/orders/{UUID}$"))
        return page.url.rsplit("/", 1)[1]

    def pay(self, page: Page, card: str, amount: str = "12.00 USD") -> None:
        page.get_by_role("radio", name=card).check()
        page.get_by_role("button", name=f"Pay {amount}").click()

    def seller_with_ticket(self, title: str, price: str = "12.00") -> str:
        """Someone else selling a ticket (a page of their own, closed after); its id."""
        page = self.new_page()
        self.sign_up(page)
        ticket_id = self.sell(page, title, price)
        page.context.close()
        self._contexts.remove(page.context)
        return ticket_id

    def listed_titles(self, page: Page, search: str) -> list[str]:
        """The titles the landing page's search lists for `search`, through its form."""
        page.goto("/")
        page.get_by_label("Search by title").fill(search)
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(r"\?q="))
        return page.locator(".card-title").all_inner_texts()
