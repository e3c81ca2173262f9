"""People using the site against the real services: each a browser of their own (cookies,
an address), who signs up, sells and buys through the frontend's own pages and forms."""

import base64
import json
import random
import re
import time
import uuid
from dataclasses import dataclass
from html import unescape

from django.test import Client

from web.tests.pages import page_text

PASSWORD = "a-long-passphrase-42"
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def unique(prefix: str = "") -> str:
    """Words no other test's data holds (a title to search for, an email)."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def _address() -> str:
    # Each browser from an address of its own, as people are: auth counts sign-in attempts
    # per address, and a whole session from one would reach its limits.
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


_INPUT = re.compile(r"<input\b([^>]*)>", re.I)


def _attribute(attributes: str, name: str) -> str | None:
    match = re.search(rf'\b{name}="([^"]*)"', attributes)
    return unescape(match.group(1)) if match else None


def _form_values(body: str) -> dict[str, str]:
    """The values a form sends as it is: its inputs' values, its checked radios."""
    values = {}
    for attributes in _INPUT.findall(body):
        name = _attribute(attributes, "name")
        kind = _attribute(attributes, "type") or "text"
        if not name or kind in ("submit", "button"):
            continue
        if kind in ("radio", "checkbox") and not re.search(r"\bchecked\b", attributes):
            continue
        values[name] = _attribute(attributes, "value") or ""
    return values


class Browser:
    """A browser on the in-process frontend: it keeps its cookies, checks CSRF as a real one
    is checked, and submits forms as they are on its pages (their action, their token)."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True, REMOTE_ADDR=_address())

    def get(self, path: str, data=None, **extra):
        return self._forgetting_expired(self.client.get(path, data, **extra))

    def post(self, path: str, data: dict | None = None, **extra):
        """A post as it is sent, whatever page it came from (a stale page's form, one edited
        by hand): `data` must carry the CSRF token (`csrf_token`) if it is to pass."""
        return self._forgetting_expired(self.client.post(path, data or {}, **extra))

    def csrf_token(self, page: str = "/auth/signout") -> str:
        """The CSRF token of the forms on `page`."""
        match = _CSRF.search(page_text(self.get(page)))
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def _forgetting_expired(self, response):
        # Django's test client keeps a cookie a response deletes (sent empty from then on); a
        # browser forgets it, and the pages tell "no messages cookie" from an empty one.
        for name, morsel in list(self.client.cookies.items()):
            if str(morsel["max-age"]) == "0" or morsel["expires"].endswith("1970 00:00:00 GMT"):
                del self.client.cookies[name]
        return response

    def submit(self, page: str, data: dict | None = None, *, action: str | None = None):
        """Fills the form on `page` that posts to `action` (the page itself by default) and
        sends it: the form must be on the page, with its CSRF token."""
        shown = self.get(page)
        assert shown.status_code == 200, f"{page}: {shown.status_code}"
        target = action or page.split("?", 1)[0]
        for attributes, body in _FORM.findall(page_text(shown)):
            if 'method="post"' not in attributes:
                continue
            form_action = re.search(r'action="([^"]*)"', attributes)
            if (unescape(form_action.group(1)) if form_action else page.split("?", 1)[0]) != (
                target
            ):
                continue
            assert _CSRF.search(body), f"the form posting to {target} has no CSRF token"
            # What the browser sends: the form's own values (its hidden inputs, the CSRF
            # token and `next` among them), then what the person typed or chose.
            return self.post(target, {**_form_values(body), **(data or {})})
        raise AssertionError(f"no form posting to {target} on {page}")

    def follow(self, response):
        assert response.status_code in (301, 302, 303), response.status_code
        return self.get(response["Location"])

    @property
    def cookies(self):
        return self.client.cookies


@dataclass
class Person:
    email: str
    browser: Browser
    id: str

    def get(self, path: str, data=None, **extra):
        return self.browser.get(path, data, **extra)

    def submit(self, page: str, data: dict | None = None, *, action: str | None = None):
        return self.browser.submit(page, data, action=action)

    def post(self, path: str, data: dict | None = None):
        """Posts `data` with a valid CSRF token, as a form of a page opened earlier would."""
        return self.browser.post(path, {**(data or {}), "csrfmiddlewaretoken": self.csrf_token()})

    def csrf_token(self) -> str:
        return self.browser.csrf_token()


def token_claims(token: str) -> dict:
    """A JWT's claims, unverified: for a test to read who it names."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def person_signed_up(email: str | None = None, password: str = PASSWORD) -> Person:
    """A new account, made on the sign-up page; its browser signed in."""
    browser = Browser()
    email = email or f"{unique('person-')}@example.com"
    response = browser.submit("/auth/signup", {"email": email, "password": password})
    assert response.status_code == 302, page_text(response)[:2000]
    user_id = token_claims(browser.cookies["access_token"].value)["id"]
    # On to the page it leads to, as a browser goes (which shows, and so ends, the welcome).
    assert browser.follow(response).status_code == 200
    return Person(email=email, browser=browser, id=user_id)


def ticket_on_sale(seller: Person, *, title: str | None = None, price: str = "25.00") -> str:
    """A ticket sold on the sell page: its id."""
    response = seller.submit("/tickets/new", {"title": title or unique("Concert "), "price": price})
    assert response.status_code == 302, page_text(response)[:2000]
    match = re.fullmatch(r"/tickets/([0-9a-f-]{36})", response["Location"])
    assert match, response["Location"]
    assert seller.browser.follow(response).status_code == 200
    return match.group(1)


def order_placed(buyer: Person, ticket_id: str) -> str:
    """The ticket bought with its page's Purchase button: the order's id."""
    response = buyer.submit(f"/tickets/{ticket_id}", action=f"/tickets/{ticket_id}/purchase")
    assert response.status_code == 302, page_text(response)[:2000]
    match = re.fullmatch(r"/orders/([0-9a-f-]{36})", response["Location"])
    assert match, f"{response['Location']}: {page_text(buyer.get(response['Location']))[:500]}"
    assert buyer.browser.follow(response).status_code == 200
    return match.group(1)


PAYMENT_NOT_READY = "Your order is still being set up"


def order_pay(buyer: Person, order_id: str, card: str = "tok_visa", *, within: float = 15):
    """Pays with the order page's form; pays again, as a person would, while payments has not
    heard of the order yet (its event is on its way)."""
    deadline = time.monotonic() + within
    while True:
        response = buyer.submit(
            f"/orders/{order_id}", {"token": card}, action=f"/orders/{order_id}/pay"
        )
        if PAYMENT_NOT_READY not in page_text(response) or time.monotonic() > deadline:
            return response
        time.sleep(0.3)


def eventually(check, *, within: float = 15, every: float = 0.3):
    """`check()`'s first truthy answer, asked again until `within` seconds have passed (an
    event between services takes a moment); its last answer otherwise."""
    deadline = time.monotonic() + within
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(every)


def ticket_json(title: str, *, ticket_id: str | None = None, status: str = "available") -> dict:
    """A ticket as the tickets API answers it (contract §4), for a stand-in API."""
    return {
        "id": ticket_id or str(uuid.uuid4()),
        "title": title,
        "price": 20,
        "userId": str(uuid.uuid4()),
        "version": 0,
        "orderId": None,
        "status": status,
    }
