"""Prices as clients send them (contract §2): a JSON number or a numeric string, at most two
decimals, above 0 and at most 1,000,000. Nothing a client sends reaches the database unchecked:
a float's rounding, an exponent, `NaN`, `true`, a thousand digits are each a 400, never a 500."""

import re
from decimal import Decimal

from tickets.models import PRICE_MAX

PRICE_MUST_BE_POSITIVE = "Price must be greater than 0"
PRICE_TOO_PRECISE = "Price must have at most 2 decimal places"
PRICE_TOO_HIGH = "Price must be at most 1,000,000"
# Longer than any price could be written, even with zeros around it.
PRICE_STRING_MAX_LENGTH = 32
CENT = Decimal("0.01")
# Plain ASCII digits with an optional fraction: what Decimal() reads beyond that (`1_000`,
# `1e3`, other scripts' digits, `NaN`) is no price a person writes.
NUMERIC_STRING = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
# Spaces around the number are forgiven: ASCII ones, which the schema's pattern can name.
SPACES = " \t\n\r"


class InvalidPrice(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def price_parse(value) -> Decimal:
    """The price `value` names, with two places; raises `InvalidPrice` with the message the
    client is shown."""
    price = _decimal_of(value)
    if price is None or not price.is_finite() or price <= 0:
        raise InvalidPrice(PRICE_MUST_BE_POSITIVE)
    if price > PRICE_MAX:
        raise InvalidPrice(PRICE_TOO_HIGH)
    if price.quantize(CENT) != price:
        raise InvalidPrice(PRICE_TOO_PRECISE)
    return price.quantize(CENT)


def _decimal_of(value) -> Decimal | None:
    # bool is an int to Python, but `true` is no price.
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        # A JSON number with a fraction arrives as the Decimal it spells (the shared parser),
        # so 1.100000000000000000001 is refused, not rounded to 1.1 on the way.
        return Decimal(value)
    if isinstance(value, float):
        # The shortest text that reads back as this float, which is what the client wrote:
        # 19.99 is "19.99", not the binary value 19.98999999999999843680598...
        return Decimal(repr(value))
    if isinstance(value, str) and len(value) <= PRICE_STRING_MAX_LENGTH:
        text = value.strip(SPACES)
        return Decimal(text) if NUMERIC_STRING.fullmatch(text) else None
    return None
