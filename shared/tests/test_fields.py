import pytest
from rest_framework import serializers

from ticketing_shared.fields import StringField, TokenField


class PasswordInput(serializers.Serializer):
    password = StringField(min_length=8)


class TokenInput(serializers.Serializer):
    token = TokenField()


class TestStringField:
    @pytest.mark.parametrize("value", [12345678901, 1.5e20, True, ["a-long-password"], {"a": 1}])
    def test_refuses_what_is_not_a_string(self, value):
        serializer = PasswordInput(data={"password": value})

        assert not serializer.is_valid()
        assert serializer.errors["password"][0].code == "invalid"

    def test_takes_a_string_with_the_field_s_own_rules(self):
        short = PasswordInput(data={"password": "short"})
        long_enough = PasswordInput(data={"password": "long-enough"})

        assert not short.is_valid()
        assert short.errors["password"][0].code == "min_length"
        assert long_enough.is_valid()
        assert long_enough.validated_data == {"password": "long-enough"}


class TestTokenField:
    @pytest.mark.parametrize(
        "value", ["a\x00b", "\ud800", "a\udfffb", " spaced ", "", "header.payload.signature"]
    )
    def test_any_string_is_taken_as_sent(self, value):
        serializer = TokenInput(data={"token": value})

        assert serializer.is_valid(), serializer.errors
        assert serializer.validated_data == {"token": value}

    def test_is_optional(self):
        serializer = TokenInput(data={})

        assert serializer.is_valid()
        assert serializer.validated_data == {}

    @pytest.mark.parametrize("value", [32934, None, ["x"], True])
    def test_refuses_what_is_not_a_string(self, value):
        serializer = TokenInput(data={"token": value})

        assert not serializer.is_valid()
        assert "token" in serializer.errors
