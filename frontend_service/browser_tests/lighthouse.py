"""Lighthouse (mobile) on the landing page and a ticket page, in Debian's chromium; prints the
four scores against the frontend brief's targets, and what each page lost points for.

    scripts/lighthouse                               # a private copy of the system, with tickets
    scripts/lighthouse --base-url http://127.0.0.1:8000   # a running system, e.g. scripts/dev's

Exit status 1 when a score is below its target. Reports (JSON and HTML) are kept in
browser_tests/artifacts/lighthouse/.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from browser_tests.site import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, npm_packages_install
from ticketing_devtools.system_copy import system_copy_running
from web.tests.system import SYSTEM_ENV

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 90, "accessibility": 95, "best-practices": 95, "seo": 100}
DEMO_TICKETS = [
    ("Jazz at the Barbican", "48.50"),
    ("Hamilton, Victoria Palace Theatre", "159.50"),
    ("Arsenal v Spurs, North Bank", "95.00"),
    ("Glastonbury Sunday pass", "120.00"),
    ("Royal Opera House: La Bohème", "75.00"),
    ("Stand-up at the Comedy Store", "18.00"),
    ("Wimbledon Centre Court, day 3", "210.00"),
    ("Coldplay, Wembley Stadium", "89.99"),
]
REPORTS = ARTIFACTS / "lighthouse"


def api_call(opener, url: str, payload: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 (our own http URL)
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with opener.open(request, timeout=15) as response:
        return json.loads(response.read())


def tickets_sell(base_url: str) -> str:
    """A seller of its own puts a few tickets on sale through the APIs; the last one's id."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    email = f"lighthouse-{secrets.token_hex(4)}@example.com"
    api_call(
        opener, f"{base_url}/api/users/signup", {"email": email, "password": "Lighthouse-seller-1"}
    )
    ticket = {}
    for title, price in DEMO_TICKETS:
        ticket = api_call(opener, f"{base_url}/api/tickets", {"title": title, "price": price})
    return ticket["id"]


def ticket_find(base_url: str) -> str:
    """An available ticket of a running system, from its tickets API."""
    with urllib.request.urlopen(f"{base_url}/api/tickets?limit=1", timeout=15) as response:  # noqa: S310
        tickets = json.loads(response.read())
    if not tickets:
        raise SystemExit(
            f"{base_url} has no ticket on sale to audit: sell one, or run without --base-url "
            "(a copy of the system with tickets of its own)"
        )
    return tickets[0]["id"]


def lighthouse_run(node_modules: Path, url: str, name: str) -> dict:
    REPORTS.mkdir(parents=True, exist_ok=True)
    output = REPORTS / name
    argv = [
        "node",
        str(node_modules / "lighthouse" / "cli" / "index.js"),
        url,
        "--form-factor=mobile",
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        "--output=html",
        f"--output-path={output}",
        f"--chrome-flags={' '.join(CHROMIUM_ARGS)}",
        "--quiet",
    ]
    with tempfile.TemporaryDirectory() as home:
        # Chromium's profile and Lighthouse's own files in a throwaway home.
        env = {**os.environ, "CHROME_PATH": str(CHROMIUM), "HOME": home}
        subprocess.run(argv, env=env, check=True)  # noqa: S603 (node, our own arguments)
    return json.loads(output.with_suffix(".report.json").read_text())


def lost_points(report: dict, category: str) -> list[str]:
    """The audits of a category that did not pass, heaviest first."""
    refs = sorted(report["categories"][category]["auditRefs"], key=lambda r: -r["weight"])
    lost = []
    for ref in refs:
        audit = report["audits"][ref["id"]]
        if ref["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
            value = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
            lost.append(f"{audit['title']}{value}, score {audit['score']:.2f}")
    return lost


def audit(base_url: str, ticket_id: str, node_modules: Path) -> bool:
    pages = {"landing": f"{base_url}/", "ticket": f"{base_url}/tickets/{ticket_id}"}
    met = True
    print(f"{'page':<10}" + "".join(f"{c:>16}" for c in CATEGORIES))
    reports = {}
    for name, url in pages.items():
        report = reports[name] = lighthouse_run(node_modules, url, name)
        scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
        met &= all(scores[c] >= TARGETS[c] for c in CATEGORIES)
        print(f"{name:<10}" + "".join(f"{scores[c]:>16}" for c in CATEGORIES), flush=True)
    print("targets   " + "".join(f"{'>= ' + str(TARGETS[c]):>16}" for c in CATEGORIES))
    for name, report in reports.items():
        for category in CATEGORIES:
            lost = lost_points(report, category)
            if lost:
                print(f"\n{name}, {category}: short of full marks on")
                for line in lost:
                    print(f"  - {line}")
    print(f"\nreports: {REPORTS}")
    return met


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/lighthouse", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--base-url",
        help="a running system's gateway (e.g. http://127.0.0.1:8000); without it, a private "
        "copy of the system is started, given a few tickets, audited and stopped",
    )
    args = parser.parse_args(argv)
    if not CHROMIUM.is_file():
        raise SystemExit(f"{CHROMIUM} is missing: scripts/system-packages installs chromium")
    node_modules = npm_packages_install(with_lighthouse=True)
    if args.base_url:
        base_url = args.base_url.rstrip("/")
        return 0 if audit(base_url, ticket_find(base_url), node_modules) else 1
    with tempfile.TemporaryDirectory(prefix="lighthouse-system-") as directory:
        print("starting a private copy of the system (gunicorn, as production serves)...")
        with system_copy_running(
            Path(directory), "--gunicorn", tag="lighthouse", env=SYSTEM_ENV
        ) as system:
            ticket_id = tickets_sell(system.base_url)
            return 0 if audit(system.base_url, ticket_id, node_modules) else 1


if __name__ == "__main__":
    sys.exit(main())
