"""Where a frontend page's time goes: the landing page and a ticket page called in-process,
their parts timed one by one, then cProfile of each whole request.

Run by `bench/http_reads.py --profile` (not by hand) as a process of its own, in
`frontend_service/` with the frontend's production environment, while the benchmark's tickets
gunicorn still serves its 10,000 tickets: the page's API call is the real one, over HTTP.

    python bench/frontend_profile.py --ticket-id UUID [--repeats 200] [--log-path PATH]

A page, signed out, is: the middleware, one call to the tickets API through the pooled urllib3
client (`web.backend.backend_call`; gunicorn's sync workers close every connection, so each
call opens a new one), the answer parsed into records (`web.records.Ticket`), and a template
rendered (`web/tickets/list.html` with 24 cards, or `web/tickets/detail.html`). The answer is
kept 2 s for signed-out visitors (`web.public_reads`): the whole page is timed with it found
there and with nothing kept; the parts and cProfile keep nothing, so each page calls the API.
"""

import argparse
import http.client
import io
import json
import logging
import os
import pstats
import sys
from pathlib import Path
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
SOCKET = ("connect", "send", "sendall", "recv", "recv_into")
FRONTEND_DIR = BENCH_DIR.parent / "frontend_service"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ticket-id", required=True, help="a ticket the tickets API has")
    parser.add_argument("--repeats", type=int, default=200, help="calls per part (200)")
    parser.add_argument("--log-path", type=Path, default=Path(os.devnull))
    return parser.parse_args()


def main() -> int:
    args = arguments()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path[:0] = [str(FRONTEND_DIR), str(BENCH_DIR)]
    import django

    django.setup()
    print("\n".join(profile_pages(args.ticket_id, args.repeats, args.log_path)))
    return 0


def profile_pages(ticket_id: str, repeats: int, log_path: Path) -> list[str]:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIRequest
    from django.core.wsgi import get_wsgi_application
    from django.template.loader import render_to_string
    from django.test import override_settings
    from http_reads import (
        parts_table,
        requests_profiled,
        wsgi_call,
        wsgi_environ,
    )

    from web import selectors
    from web.backend import backend_call, backend_client
    from web.middleware import ANONYMOUS
    from web.records import Ticket
    from web.views import tickets as ticket_views

    application = get_wsgi_application()  # sets logging up again: the log's stream after it
    log_file = log_path.open("a")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log_file)  # a file, as gunicorn's stderr in the benchmark

    landing, ticket_page = "/", f"/tickets/{ticket_id}"
    page_size = settings.FRONTEND_PAGE_SIZE
    api_list = f"/api/tickets?limit={page_size}"
    api_detail = f"/api/tickets/{ticket_id}"
    tickets_url = urlsplit(settings.FRONTEND_BACKEND_URLS["tickets"])

    def request_for(path: str):
        # What the middleware hands a view for a signed-out visitor.
        request = WSGIRequest(wsgi_environ(path))
        request.user, request.access_token = ANONYMOUS, None
        return request

    def view_alone(view, path: str, **kwargs) -> bytes:
        # The view and its template, without Django's handler, URL resolving and middleware.
        response = view(request_for(path), **kwargs)
        response.render()
        return response.content

    def plain_http_get(path: str) -> bytes:
        # One HTTP request with the standard library: the floor of any client.
        connection = http.client.HTTPConnection(tickets_url.hostname, tickets_url.port)
        try:
            connection.request("GET", path, headers={"Accept": "application/json"})
            return connection.getresponse().read()
        finally:
            connection.close()

    list_body = plain_http_get(api_list)
    detail_body = plain_http_get(api_detail)
    page = selectors.ticket_list_available(request_for(landing))
    ticket = selectors.ticket_get(request_for(ticket_page), ticket_id=ticket_id)
    list_context = {"page": page, "search": "", "is_first_page": True}
    detail_context = {
        "ticket": ticket,
        "structured_data": ticket_views._product_structured_data(request_for(ticket_page), ticket),
        "is_seller": False,
    }

    def kept_nothing(call):
        # The page as the first signed-out visitor in 2 s, or any signed-in one, has it.
        def call_keeping_nothing():
            with override_settings(FRONTEND_PUBLIC_READS_SECONDS=0):
                return call()

        return call_keeping_nothing

    parts = [
        (
            f"GET {landing} (landing): the whole WSGI call, its list kept (signed out)",
            lambda: wsgi_call(application, landing),
        ),
        (
            f"GET {landing} (landing): the whole WSGI call, nothing kept",
            kept_nothing(lambda: wsgi_call(application, landing)),
        ),
        (
            "  the view alone (no middleware, no URL resolving), template rendered",
            kept_nothing(lambda: view_alone(ticket_views.ticket_list, landing)),
        ),
        (
            f"    the selector: ticket_list_available ({page_size} tickets)",
            kept_nothing(lambda: selectors.ticket_list_available(request_for(landing))),
        ),
        (
            f"      of which the API call: backend_call, GET {api_list}",
            lambda: backend_call(request_for(landing), "tickets", "GET", api_list),
        ),
        (
            "        the same GET with http.client (no pool; the HTTP floor)",
            lambda: plain_http_get(api_list),
        ),
        (
            "        urllib3 alone: backend_client().request, no headers of ours",
            lambda: backend_client().request("GET", f"{tickets_url.geturl()}{api_list}"),
        ),
        (
            f"      json.loads and Ticket.from_api, {page_size} tickets",
            lambda: [Ticket.from_api(item) for item in json.loads(list_body)],
        ),
        (
            "    the template alone: web/tickets/list.html, context processors included",
            lambda: render_to_string(
                "web/tickets/list.html", list_context, request=request_for(landing)
            ),
        ),
        (
            f"GET {ticket_page}: the whole WSGI call, nothing kept (a random ticket's case)",
            kept_nothing(lambda: wsgi_call(application, ticket_page)),
        ),
        (
            "  the view alone, template rendered",
            kept_nothing(
                lambda: view_alone(ticket_views.ticket_detail, ticket_page, ticket_id=ticket_id)
            ),
        ),
        (
            "    the selector: ticket_get",
            kept_nothing(
                lambda: selectors.ticket_get(request_for(ticket_page), ticket_id=ticket_id)
            ),
        ),
        (
            f"      of which the API call: backend_call, GET {api_detail}",
            lambda: backend_call(request_for(ticket_page), "tickets", "GET", api_detail),
        ),
        (
            "        the same GET with http.client",
            lambda: plain_http_get(api_detail),
        ),
        (
            "      json.loads and Ticket.from_api, 1 ticket",
            lambda: Ticket.from_api(json.loads(detail_body)),
        ),
        (
            "    the template alone: web/tickets/detail.html, context processors included",
            lambda: render_to_string(
                "web/tickets/detail.html", detail_context, request=request_for(ticket_page)
            ),
        ),
        (
            "GET /healthz: the whole WSGI call (the middleware's floor, no template)",
            lambda: wsgi_call(application, "/healthz"),
        ),
        ("a request object (WSGIRequest) alone", lambda: request_for(landing)),
    ]
    lines = parts_table(parts, repeats, width=84)

    for label, path in [("landing", landing), ("ticket page", ticket_page)]:
        with override_settings(FRONTEND_PUBLIC_READS_SECONDS=0):
            stats, total = requests_profiled(application, path, repeats)
        lines += [
            "",
            f"cProfile of {repeats} {label} requests ({path}), nothing kept: "
            f"{total / repeats * 1000:.2f} ms each",
            "(cProfile slows Python calls far more than C ones: shares, not times)",
            "  where the request's time goes (cumulative, % of the whole):",
        ]
        lines += shares(
            stats,
            total,
            [
                ("the view (ticket_list / ticket_detail)", ["tickets.py:*(ticket_*)"]),
                ("  the API call (backend_call)", ["backend.py:*(backend_call)"]),
                (
                    "    of which in the socket: connect, send, recv (the tickets service's time)",
                    [f"~:0(<method '{name}' of '_socket.socket' objects>)" for name in SOCKET],
                ),
                ("  the answer as records (Ticket.from_api)", ["records.py:*(from_api)"]),
                ("the template (TemplateResponse.render)", ["response.py:*(render)"]),
                (
                    "  of which {% extends %} finding the layout's blocks (get_nodes_by_type)",
                    ["base.py:*(get_nodes_by_type)"],
                ),
                (
                    "  of which the context processors",
                    ["context_processors.py:*(*)", "context.py:*(bind_template)"],
                ),
                ("the rest: middleware, URL resolving, Django's handler", None),
                ("  of which the request log line", ["__init__.py:*(info)"]),
                ("  of which the ETag (ConditionalGetMiddleware)", ["http.py:*(process_response)"]),
                ("  of which CSRF's middleware", ["csrf.py:*(process_*)"]),
            ],
        )
        text = io.StringIO()
        stats.stream = text
        stats.sort_stats("tottime").print_stats(20)
        printed = text.getvalue().splitlines()
        header = next(index for index, line in enumerate(printed) if "ncalls" in line)
        lines += ["  the 20 functions with the most time of their own:"]
        lines += [f"  {line}" for line in printed[header:] if line.strip()]
    return lines


def shares(stats: pstats.Stats, total: float, parts: list) -> list[str]:
    """Each part's time as a share of `total`: the cumulative time of the functions its
    patterns name (`file:line(name)`; the largest match of each pattern, summed over the
    patterns); a part without patterns is what the view and the template leave."""
    from http_reads import cumulative_seconds

    def cumulative(patterns: list[str]) -> float:
        return sum(cumulative_seconds(stats, pattern) for pattern in patterns)

    view_and_template = cumulative(["tickets.py:*(ticket_*)"]) + cumulative(
        ["response.py:*(render)"]
    )
    lines = []
    for label, patterns in parts:
        spent = total - view_and_template if patterns is None else cumulative(patterns)
        lines.append(f"    {label:<76} {spent / total:>6.1%}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
