from decimal import Decimal

import pytest

from tickets.prices import (
    PRICE_MUST_BE_POSITIVE,
    PRICE_TOO_HIGH,
    PRICE_TOO_PRECISE,
    InvalidPrice,
    price_parse,
)


@pytest.mark.parametrize(
    ("value", "price"),
    [
        (1, "1.00"),
        (19.99, "19.99"),
        ("20", "20.00"),
        ("20.5", "20.50"),
        (" 3.25\n", "3.25"),
        (".5", "0.50"),
        ("5.", "5.00"),
        (1_000_000, "1000000.00"),
        (Decimal("20.50"), "20.50"),
    ],
    ids=repr,
)
def test_prices_read(value, price):
    assert price_parse(value) == Decimal(price)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, PRICE_MUST_BE_POSITIVE),
        (-0.0, PRICE_MUST_BE_POSITIVE),
        ("-5", PRICE_MUST_BE_POSITIVE),
        (float("nan"), PRICE_MUST_BE_POSITIVE),
        (float("inf"), PRICE_MUST_BE_POSITIVE),
        ("sNaN", PRICE_MUST_BE_POSITIVE),
        (True, PRICE_MUST_BE_POSITIVE),
        (None, PRICE_MUST_BE_POSITIVE),
        ("1" * 33, PRICE_MUST_BE_POSITIVE),
        ("1_000", PRICE_MUST_BE_POSITIVE),
        ("١٢", PRICE_MUST_BE_POSITIVE),
        (0.1 + 0.2, PRICE_TOO_PRECISE),
        ("0.005", PRICE_TOO_PRECISE),
        ("1e3", PRICE_MUST_BE_POSITIVE),
        ("0.000000001", PRICE_TOO_PRECISE),
        ("99999999999", PRICE_TOO_HIGH),
        (1e30, PRICE_TOO_HIGH),
        (Decimal("1.100000000000000000001"), PRICE_TOO_PRECISE),
        (Decimal("1E+400"), PRICE_TOO_HIGH),
        (Decimal("NaN"), PRICE_MUST_BE_POSITIVE),
        (10**400, PRICE_TOO_HIGH),
    ],
    ids=repr,
)
def test_prices_refused(value, message):
    with pytest.raises(InvalidPrice) as refused:
        price_parse(value)

    assert refused.value.message == message
