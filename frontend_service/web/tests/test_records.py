"""What the APIs answer, as the pages read it: an order's state and time left."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from web.records import Order, Ticket


def _order(status: str, expires_in: timedelta) -> Order:
    expires_at = (timezone.now() + expires_in).isoformat(timespec="milliseconds")
    return Order.from_api(
        {
            "id": "o-1",
            "userId": "u-1",
            "status": status,
            "expiresAt": expires_at.replace("+00:00", "Z"),
            "version": 0,
            "ticket": {"id": "t-1", "title": "Concert", "price": 20.5, "version": 0},
        }
    )


@pytest.mark.parametrize(
    ("status", "expires_in", "state", "payable"),
    [
        ("created", timedelta(minutes=5), "open", True),
        ("awaiting:payment", timedelta(minutes=5), "open", True),
        ("created", -timedelta(seconds=1), "expired", False),
        ("complete", timedelta(minutes=5), "paid", False),
        ("complete", -timedelta(minutes=5), "paid", False),
        ("cancelled", timedelta(minutes=5), "cancelled", False),
        ("cancelled", -timedelta(minutes=5), "cancelled", False),
    ],
)
def test_an_orders_state(status, expires_in, state, payable):
    order = _order(status, expires_in)
    assert order.state == state
    assert order.is_payable is payable


def test_an_orders_time_left_is_never_negative():
    assert 290 <= _order("created", timedelta(minutes=5)).seconds_left <= 300
    assert _order("created", -timedelta(minutes=5)).seconds_left == 0


def test_an_orders_price_is_exact():
    assert _order("created", timedelta(minutes=5)).ticket.price == Decimal("20.5")


def test_a_tickets_price_from_a_json_number_is_exact():
    ticket = Ticket.from_api(
        {"id": "t", "title": "x", "price": 0.1, "userId": "u", "version": 0, "orderId": None}
    )
    assert ticket.price == Decimal("0.1")
    # A ticket answered without a status (older tickets service) is on sale.
    assert ticket.is_available
