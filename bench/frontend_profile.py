"""Where a frontend page's time goes: the landing page and a ticket page called in-process,
their parts timed one by one, then cProfile of each whole request.

Run by `bench/http_reads.py --profile` (not by hand) as a process of its own, in
`frontend_service/` with the frontend's production environment, while the benchmark's tickets
gunicorn still serves its 10,000 tickets: the page's API call is the real one, over HTTP.

    python bench/frontend_profile.py --ticket-id UUID [--repeats 200] [--log-path PATH]

A page, signed out, is: the middleware, one call to the tickets API through the pooled httpx
client (`web.backend.backend_call`; gunicorn's sync workers close every connection, so each
call opens a new one), the answer parsed into records (`web.records.Ticket`), and a template
rendered (`web/tickets/list.html` with 24 cards, or `web/tickets/detail.html`).
"""

import argparse
import http.client
import inspect
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
    from django.template.loader_tags import IncludeNode
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

    list_body = backend_call(request_for(landing), "tickets", "GET", api_list).content
    detail_body = backend_call(request_for(ticket_page), "tickets", "GET", api_detail).content
    page = selectors.ticket_list_available(request_for(landing))
    ticket = selectors.ticket_get(request_for(ticket_page), ticket_id=ticket_id)
    list_context = {"page": page, "search": "", "is_first_page": True}
    detail_context = {
        "ticket": ticket,
        "structured_data": ticket_views._product_structured_data(request_for(ticket_page), ticket),
        "is_seller": False,
    }

    def rendered_list() -> str:
        return render_to_string("web/tickets/list.html", list_context, request=request_for(landing))

    variants = []
    for label, options in [
        ("the cards inlined, no {% include %}", {"inlined": True, "links_written": False}),
        ("the cards' links written, not {% url %}", {"inlined": False, "links_written": True}),
        ("both", {"inlined": True, "links_written": True}),
    ]:
        template = landing_variant(**options)
        if template is not None:
            same = template.render(list_context, request_for(landing)) == rendered_list()
            variants.append((f"{label} (same page: {same})", template))

    parts = [
        (f"GET {landing} (landing): the whole WSGI call", lambda: wsgi_call(application, landing)),
        (
            "  the view alone (no middleware, no URL resolving), template rendered",
            lambda: view_alone(ticket_views.ticket_list, landing),
        ),
        (
            f"    the selector: ticket_list_available ({page_size} tickets)",
            lambda: selectors.ticket_list_available(request_for(landing)),
        ),
        (
            f"      of which the API call: backend_call, GET {api_list}",
            lambda: backend_call(request_for(landing), "tickets", "GET", api_list),
        ),
        (
            "        the same GET with http.client (no httpx; the HTTP floor)",
            lambda: plain_http_get(api_list),
        ),
        (
            "        httpx alone: backend_client().get, no headers of ours",
            lambda: backend_client().get(f"{tickets_url.geturl()}{api_list}"),
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
        *(
            (
                f"    not the frontend's: {label}",
                lambda template=template: template.render(list_context, request_for(landing)),
            )
            for label, template in variants
        ),
        (f"GET {ticket_page}: the whole WSGI call", lambda: wsgi_call(application, ticket_page)),
        (
            "  the view alone, template rendered",
            lambda: view_alone(ticket_views.ticket_detail, ticket_page, ticket_id=ticket_id),
        ),
        (
            "    the selector: ticket_get",
            lambda: selectors.ticket_get(request_for(ticket_page), ticket_id=ticket_id),
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

    # Django's {% include %}, named by where it is defined (every node's method is `render`).
    include_line = inspect.getsourcelines(IncludeNode.render)[1]
    for label, path in [("landing", landing), ("ticket page", ticket_page)]:
        stats, total = requests_profiled(application, path, repeats)
        lines += [
            "",
            f"cProfile of {repeats} {label} requests ({path}): "
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
                    "  of which the {% include %} of each card",
                    [f"loader_tags.py:{include_line}(render)"],
                ),
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


CARD_INCLUDE = '{% include "web/includes/ticket_card.html" %}'
CARD_LINK_REVERSED = "{% url 'ticket-detail' ticket.id %}"
CARD_LINK_WRITTEN = "/tickets/{{ ticket.id }}"


def landing_variant(*, inlined: bool, links_written: bool):
    """The landing's template changed as suggested (measured; not the frontend's code): each
    card's markup written in the loop rather than included, and/or each card's link written
    as its path rather than reversed by name (`{% url %}`); None when the templates no longer
    have what the change replaces."""
    from django.template import engines

    templates = FRONTEND_DIR / "web" / "templates" / "web"
    page = (templates / "tickets" / "list.html").read_text()
    card = (templates / "includes" / "ticket_card.html").read_text()
    if CARD_INCLUDE not in page or not page.startswith("{% extends "):
        return None
    if links_written:
        if CARD_LINK_REVERSED not in card:
            return None
        card = card.replace(CARD_LINK_REVERSED, CARD_LINK_WRITTEN)
    if inlined:
        extends, rest = page.split("\n", 1)
        # `{% extends %}` stays the first tag; the card's filters are loaded once, after it.
        page = (
            extends
            + "{% load web %}\n"
            + rest.replace(CARD_INCLUDE, card.replace("{% load web %}", ""))
        )
    else:
        # The card as a template of its own, included by the page as before.
        engine = engines["django"].engine
        card_template = engine.from_string(card)
        page = page.replace(CARD_INCLUDE, "{% include card_template %}")
        return _WithCard(engines["django"].from_string(page), card_template)
    return engines["django"].from_string(page)


class _WithCard:
    """A page template that includes `card_template` (a Template object in its context)."""

    def __init__(self, page, card_template) -> None:
        self.page, self.card_template = page, card_template

    def render(self, context: dict, request) -> str:
        return self.page.render({**context, "card_template": self.card_template}, request)


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
