"""OpenAPI pieces every service's schema shares (drf-spectacular).

The error format of contract §2 is one component, `ErrorResponse`, and `operation_responses`
adds to an operation's own answers those any API operation may give whatever its view does:

    @extend_schema(
        request=InputSerializer,
        responses=operation_responses(
            {201: TicketSerializer, 400: error_response("Title is required; ...")},
            takes_body=True,
        ),
    )
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="What went wrong, for a person to read.")
    field = serializers.CharField(
        required=False, help_text="The input field at fault, where one is."
    )


class ErrorResponseSerializer(serializers.Serializer):
    """Every error answer of every API: `{"errors": [{"message": ..., "field": ...}]}`."""

    errors = ErrorSerializer(many=True)


def error_response(description: str, *messages: tuple[str, str | None]) -> OpenApiResponse:
    """An answer in the error format; `messages` are (message, field) examples."""
    examples = [
        OpenApiExample(
            message,
            value={"errors": [{"message": message, **({"field": field} if field else {})}]},
            response_only=True,
        )
        for message, field in messages
    ]
    return OpenApiResponse(ErrorResponseSerializer, description=description, examples=examples)


# The header of a 429: seconds until the limit lets the caller in again.
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[429],
    required=True,
    description="Seconds until the limit lets this caller try again.",
)

# Whatever the view: the cross-site guard (ticketing_shared.api_guard) and the last resort.
_ANY_OPERATION_ERRORS = {
    403: "Cross-site request: the Origin header names another site",
    500: "Something went wrong (the details are only in the log)",
    503: "A backing service (the cache) does not answer: try again after Retry-After seconds",
}
# Operations that read a JSON body, before the view sees it.
_BODY_ERRORS = {
    400: "Malformed JSON, or JSON nested too deeply",
    413: "Request body too large",
    415: "Content-Type must be application/json",
}


def operation_responses(responses: dict, *, takes_body: bool) -> dict:
    """`responses` (status: serializer or OpenApiResponse) with the errors every operation may
    answer; where the operation documents a status itself, both descriptions are kept."""
    common = {**_ANY_OPERATION_ERRORS, **(_BODY_ERRORS if takes_body else {})}
    merged = dict(responses)
    for status, description in common.items():
        own = merged.get(status)
        if own is None:
            merged[status] = error_response(description)
        elif isinstance(own, OpenApiResponse):
            merged[status] = OpenApiResponse(
                own.response,
                description="; ".join(part for part in (own.description, description) if part),
                examples=own.examples,
            )
    return merged


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    """How `ticketing_shared.auth.authentication.JWTAuthentication` is documented: the access
    token in its cookie (browsers) or as a bearer token (API clients), either one."""

    target_class = "ticketing_shared.auth.authentication.JWTAuthentication"
    name = ["accessCookie", "bearerToken"]

    def get_security_requirement(self, auto_schema):
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "cookie", "name": settings.ACCESS_COOKIE_NAME},
            {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        ]
