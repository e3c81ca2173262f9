"""JSON request bodies, read without letting their shape crash the process.

Python's `json` module recurses once per level of nesting: a 2 KB body of a thousand `[`
exhausts the interpreter's recursion limit (RecursionError, a 500 on every endpoint), and
anything that walks the parsed data later (serializers, the error format, the renderer)
recurses again. No request of the contract nests more than a few levels, so deeper bodies are
refused before they are parsed. `NaN` and `Infinity` are no JSON and are refused too.

A number with a fraction or an exponent is read as the `decimal.Decimal` it spells, not as a
float: `1.100000000000000000001` would otherwise arrive as 1.1, and a rule such as "at most two
decimal places" could not see what the client wrote. A Decimal has no infinity to overflow
into, so `1e999` arrives as the finite number it is, for the view's own limits to refuse. DRF's
number fields take a Decimal as they took a float (`FloatField` refuses one beyond a float's
range); `CharField` refuses it, as the strings-only fields (`fields.py`) refuse any number.
"""

import json
import re
from decimal import Decimal, InvalidOperation
from itertools import accumulate

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding

# Far beyond any body of the contract (an order nests two levels), far below the recursion limit.
MAX_JSON_DEPTH = 32

# A JSON string (its escapes included), taken whole so that brackets inside it are not counted.
# An unterminated one runs to the end of the text: were the closing quote required, every later
# quote would start a new attempt to the end (quadratic on `"\"\"\"...`); this way each quote
# starts one match at most, and the text is read once.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"?', re.DOTALL)
_NOT_A_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class MalformedJSON(ParseError):
    default_detail = "Malformed JSON"


class JSONNestedTooDeeply(MalformedJSON):
    default_detail = f"JSON nested too deeply (at most {MAX_JSON_DEPTH} levels)"


def json_loads_bounded(text: str):
    """`json.loads` for untrusted text, for any view that reads JSON itself: MalformedJSON for
    what `json` refuses, JSONNestedTooDeeply beyond MAX_JSON_DEPTH levels."""
    if nests_deeper_than(text, MAX_JSON_DEPTH):
        raise JSONNestedTooDeeply()
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_decimal)
    except RecursionError:
        # Only reachable when the caller already runs deep in the stack; still the body's fault.
        raise JSONNestedTooDeeply() from None
    except ValueError:
        raise MalformedJSON() from None


def nests_deeper_than(text: str, levels: int) -> bool:
    """Whether arrays and objects nest more than `levels` deep in `text`: counted in a flat
    pass over its brackets, without parsing (and so without recursion). Malformed text gets
    some answer, and `json` refuses it afterwards."""
    # Outside strings JSON is ASCII: the brackets are picked out of bytes, at C speed.
    outside_strings = _JSON_STRING.sub("", text).encode("ascii", "ignore")
    brackets = outside_strings.translate(None, delete=_NOT_A_BRACKET)
    if brackets.count(b"[") + brackets.count(b"{") <= levels:
        return False  # the usual body: too few brackets to nest that deep
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets))) > levels


def _refuse_constant(name: str):
    # `NaN`, `Infinity` and `-Infinity` are not JSON (DRF's strict mode refuses them too).
    raise ValueError(f"{name} is not valid JSON")


def _decimal(text: str) -> Decimal:
    # `json` hands over only the text of a JSON number (never `NaN`: that is a constant, above),
    # so the Decimal is finite; an exponent beyond what Decimal can hold is no number either.
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text} is out of range") from None


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser (the default of every service's APIs), over `json_loads_bounded`."""

    def parse(self, stream, media_type=None, parser_context=None):
        # DRF's own check: a text encoding only (a compression codec would inflate the body
        # after its size was checked).
        encoding = get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError:
            raise MalformedJSON() from None
        return json_loads_bounded(text)
