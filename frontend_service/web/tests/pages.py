"""Reading the pages the views render, as a browser or a test would."""

import re
from html import unescape

from django.test import Client

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_POST_FORM = re.compile(r'<form\b[^>]*\bmethod="post"[^>]*>(.*?)</form>', re.S | re.I)


def page_text(response) -> str:
    return response.content.decode()


def csrf_token_of(response) -> str:
    """The CSRF token a page's forms carry (its cookie is in the client already)."""
    match = _CSRF_INPUT.search(page_text(response))
    assert match, "the page has no CSRF token"
    return match.group(1)


def csrf_post(client: Client, form_page: str, path: str, data: dict | None = None, **extra):
    """Posts to `path` as a browser does: with the token of the form on `form_page`."""
    token = csrf_token_of(client.get(form_page))
    return client.post(path, {**(data or {}), "csrfmiddlewaretoken": token}, **extra)


def assert_post_forms_carry_csrf(response) -> None:
    """Every form that posts has Django's CSRF token."""
    forms = _POST_FORM.findall(page_text(response))
    assert forms, "no form that posts on the page"
    for body in forms:
        assert 'name="csrfmiddlewaretoken"' in body, body


def title_of(response) -> str:
    match = re.search(r"<title>(.*?)</title>", page_text(response), re.S)
    assert match, "no <title>"
    return unescape(match.group(1)).strip()


def hidden_value(response, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page_text(response))
    assert match, f"no hidden {name}"
    return unescape(match.group(1))


def input_value(response, name: str) -> str | None:
    """The value an input of the page holds (None when it has none)."""
    tag = re.search(rf'<input\b[^>]*\bname="{name}"[^>]*>', page_text(response))
    assert tag, f"no input {name}"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else None


def field_error(response, field_id: str) -> str | None:
    """The message beside a field (its `<id>-error` element), tied to the input."""
    text = page_text(response)
    match = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', text, re.S)
    if not match:
        return None
    message = re.sub(r"<[^>]+>", "", match.group(1))
    return unescape(message).replace("Error:", "", 1).strip()


def error_summary(response) -> list[str]:
    """The messages of the error summary at the top of the form."""
    text = page_text(response)
    match = re.search(r'<div class="error-summary".*?<ul>(.*?)</ul>', text, re.S)
    if not match:
        return []
    items = re.findall(r"<li>(.*?)</li>", match.group(1), re.S)
    return [unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


def messages_of(response) -> list[str]:
    """The flash messages the page shows (announced to screen readers)."""
    text = page_text(response)
    return [
        unescape(message).strip()
        for message in re.findall(r'<p class="message message-[^"]*">(.*?)</p>', text, re.S)
    ]


def text_of(html: str) -> str:
    """What a piece of HTML reads as: its tags dropped, its entities decoded."""
    return unescape(re.sub(r"<[^>]+>", "", html)).strip()


def heading(response) -> str:
    match = re.search(r"<h1\b[^>]*>(.*?)</h1>", page_text(response), re.S)
    assert match, "no <h1>"
    return text_of(match.group(1))


def card_titles(response) -> list[str]:
    """The titles of the ticket cards on a list page, in order."""
    cards = re.findall(r'<li class="card">(.*?)</li>', page_text(response), re.S)
    return [
        text_of(re.search(r'<a href="/tickets/[^"]+">(.*?)</a>', card, re.S).group(1))
        for card in cards
    ]


def row_statuses(response, kind: str) -> dict[str, str]:
    """A list page's table: each row's `/<kind>/<id>` link id and the status it reads."""
    statuses = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page_text(response), re.S):
        link = re.search(rf'href="/{kind}/([0-9a-f-]{{36}})"', row)
        status = re.search(r'<span class="visually-hidden">Status: </span>([^<]+)</span>', row)
        if link and status:
            statuses[link.group(1)] = status.group(1).strip()
    return statuses
