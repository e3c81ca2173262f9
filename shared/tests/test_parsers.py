import json
import sys
import time
from decimal import Decimal

import pytest
from rest_framework import serializers

from ticketing_shared.fields import StringField
from ticketing_shared.parsers import (
    MAX_JSON_DEPTH,
    JSONNestedTooDeeply,
    MalformedJSON,
    json_loads_bounded,
    nests_deeper_than,
)

TOO_DEEP = {"errors": [{"message": f"JSON nested too deeply (at most {MAX_JSON_DEPTH} levels)"}]}
MALFORMED = {"errors": [{"message": "Malformed JSON"}]}


def nested_lists(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    "body",
    [nested_lists(1000), nested_objects(1000), nested_lists(100_000)],
    ids=["lists", "objects", "a hundred thousand lists"],
)
def test_a_body_nested_a_thousand_levels_deep_is_a_400(api_client, body):
    # A 2 KB body that used to exhaust the recursion limit: a 500 on every endpoint.
    response = api_client.post("/api/sample/echo", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == TOO_DEEP


def test_the_limit_is_the_first_level_too_many(api_client):
    def echo(extra: str):
        body = '{"title": "concert", "price": "10", "extra": ' + extra + "}"
        return api_client.post("/api/sample/echo", body, content_type="application/json")

    # The object around the lists is one level.
    assert echo(nested_lists(MAX_JSON_DEPTH - 1)).status_code == 201
    assert echo(nested_lists(MAX_JSON_DEPTH)).json() == TOO_DEEP


def test_brackets_inside_strings_do_not_count(api_client):
    title = '[{"[' * 200 + '\\"]' * 200
    body = json.dumps({"title": title, "price": "10"})

    response = api_client.post("/api/sample/echo", body, content_type="application/json")

    assert response.status_code == 201
    assert response.json() == {"title": title}


@pytest.mark.parametrize(
    "body",
    [
        '{"title": "x", "price": NaN}',
        '{"title": "x", "price": -Infinity}',
        '{"title": "x", "price": Infinity}',
        '{"title": "x", "price": ' + "9" * 5000 + "}",  # over Python's digit limit
        '{"title": "x", "price": 1e99999999999999999999}',  # beyond what a Decimal holds
        '{"title": "x", "price": "10"',
        "[" * 10,
        '"unterminated',
    ],
    ids=[
        "NaN",
        "-Infinity",
        "Infinity",
        "5000 digits",
        "exponent beyond Decimal",
        "unclosed",
        "brackets",
        "string",
    ],
)
def test_what_json_refuses_is_malformed(api_client, body):
    response = api_client.post("/api/sample/echo", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == MALFORMED


def test_a_body_that_is_not_in_its_charset_is_malformed(api_client):
    body = '{"title": "caf\xe9", "price": "10"}'.encode("latin-1")

    response = api_client.post("/api/sample/echo", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == MALFORMED


def test_a_named_text_charset_is_honoured(api_client):
    body = '{"title": "caf\xe9", "price": "10"}'.encode("utf-16")

    response = api_client.post(
        "/api/sample/echo", body, content_type="application/json; charset=utf-16"
    )

    assert response.status_code == 201
    assert response.json() == {"title": "caf\xe9"}


@pytest.mark.parametrize("charset", ["bz2_codec", "rot13"])
def test_a_charset_that_is_not_a_text_encoding_is_refused(api_client, charset):
    # A compression codec would inflate the body after its size was checked.
    response = api_client.post(
        "/api/sample/echo", b"{}", content_type=f"application/json; charset={charset}"
    )

    assert response.status_code == 400
    assert response.json() == MALFORMED


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["]]]]", "[[[["]', 1),
        ('["\\"[[[["]', 1),
        ("[[]][[[]]]", 3),
    ],
)
def test_depth_is_counted_without_parsing(text, depth):
    assert not nests_deeper_than(text, depth)
    assert depth == 0 or nests_deeper_than(text, depth - 1)


@pytest.mark.parametrize(
    "text",
    ['"\\' * 200_000, '"' * 400_000, '"' + "a" * 400_000, "[]," * 130_000],
    ids=["quote and backslash", "quotes", "unterminated string", "many brackets"],
)
def test_depth_is_counted_in_one_pass_whatever_the_text(text):
    # A scan that restarted at every quote would take minutes on the first of these.
    started = time.monotonic()

    nests_deeper_than(text, MAX_JSON_DEPTH)

    assert time.monotonic() - started < 1


def test_json_loads_bounded_refuses_too_deep_before_parsing():
    with pytest.raises(JSONNestedTooDeeply):
        json_loads_bounded(nested_lists(MAX_JSON_DEPTH + 1))


def test_a_recursion_error_while_parsing_is_the_bodys_fault_too():
    # Within the limit, but parsed where the stack is nearly spent: still a 400, never a 500.
    body = nested_lists(MAX_JSON_DEPTH)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_stack_depth() + MAX_JSON_DEPTH // 2)
    try:
        with pytest.raises(JSONNestedTooDeeply):
            json_loads_bounded(body)
    finally:
        sys.setrecursionlimit(limit)


def test_malformed_json_says_so():
    with pytest.raises(MalformedJSON) as raised:
        json_loads_bounded("{oops")

    assert str(raised.value.detail) == "Malformed JSON"


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def test_a_number_with_a_fraction_is_read_as_written():
    # As a float, 1.100000000000000000001 was 1.1: "at most 2 decimal places" could not see it.
    assert json_loads_bounded('{"price": 1.100000000000000000001}') == {
        "price": Decimal("1.100000000000000000001")
    }
    assert json_loads_bounded("[1.10, 2e3, -0.5E-2]") == [
        Decimal("1.10"),
        Decimal("2e3"),
        Decimal("-0.005"),
    ]
    assert type(json_loads_bounded("12")) is int  # integers stay integers


def test_a_price_finer_than_the_field_allows_is_refused_not_rounded(api_client):
    body = '{"title": "concert", "price": 1.100000000000000000001}'

    response = api_client.post("/api/sample/echo", body, content_type="application/json")

    # Read as a float, it was 1.1 and a 201. (Its 22 digits are what DRF names first.)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"message": "Ensure that there are no more than 9 digits in total.", "field": "price"}
        ]
    }


def test_a_number_beyond_a_float_reaches_the_view_for_its_own_limits(api_client):
    # A finite Decimal, not infinity: the view's rule answers it, not "Malformed JSON".
    body = '{"title": "concert", "price": 1e400}'

    response = api_client.post("/api/sample/echo", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "price"


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        (serializers.IntegerField(), "2.0", 2),
        (serializers.IntegerField(), "2.50", "invalid"),
        (serializers.IntegerField(), "1e400", "invalid"),
        (serializers.DecimalField(max_digits=9, decimal_places=2), "19.99", Decimal("19.99")),
        (serializers.DecimalField(max_digits=9, decimal_places=2), "1e400", "max_digits"),
        (serializers.FloatField(), "19.99", 19.99),
        (serializers.FloatField(), "1e400", "invalid"),
        (serializers.BooleanField(), "1.0", True),
        (serializers.CharField(), "19.99", "invalid"),
        (StringField(), "19.99", "invalid"),
    ],
)
def test_drfs_fields_take_a_decimal_as_they_took_a_float(field, text, value):
    data = json_loads_bounded(text)
    assert isinstance(data, Decimal)

    if value in ("invalid", "max_digits"):
        with pytest.raises(serializers.ValidationError) as refused:
            field.run_validation(data)
        assert refused.value.get_codes() == [value]
    else:
        assert field.run_validation(data) == value
