"""Serializer fields every service's API takes strings with.

DRF's `CharField` turns whatever JSON value it is given into a string (`12345678` becomes the
password "12345678", `true` the token "True"): a client's mistake passes for input. These take
a JSON string and nothing else.
"""

import re
import uuid

from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.utils import extend_schema_field
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


# An id as paths take it (any case, dashed): uuid.UUID() also reads braces, urn: prefixes and
# undashed hex, which no path of the contract names.
CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


@extend_schema_field({"type": "string", "format": "uuid"})
class ResourceIdField(serializers.Field):
    """The id of a resource named in a body (`ticketId`, `orderId`), as the client sent it.

    A JSON string is required (else `required`, which a subclass words as the contract does);
    a string that is not an id names no resource: 404, as an unknown one (contract §2), so it is
    passed on as None for the view to answer, rather than refused here as bad input.
    """

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip():
            self.fail("required")
        if not CANONICAL_UUID.fullmatch(data):
            return None
        return uuid.UUID(data)
