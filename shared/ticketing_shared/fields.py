"""Serializer fields every service's API takes strings with.

DRF's `CharField` turns whatever JSON value it is given into a string (`12345678` becomes the
password "12345678", `true` the token "True"): a client's mistake passes for input. These take
a JSON string and nothing else.
"""

from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator


class StringField(serializers.CharField):
    """A JSON string, nothing else: any other JSON value is `invalid` (`Not a valid string.`)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class TokenField(StringField):
    """A token as the client sent it, optional. Whatever the string (a NUL, a lone surrogate,
    spaces around it), a token that does not verify is the view's to answer as one (a 401, or
    nothing to act on), not bad input: only a value that is not a string is refused here."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_blank=True, trim_whitespace=False, **kwargs)
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(
                validator, ProhibitNullCharactersValidator | ProhibitSurrogateCharactersValidator
            )
        ]
