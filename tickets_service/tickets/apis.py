"""The tickets API (contract §4): thin views over `services` and `selectors`."""

import base64
import binascii
import json
import re
import uuid
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ticketing_shared.fields import StringField
from ticketing_shared.openapi import error_response, operation_responses
from tickets.models import PRICE_MAX, PRICE_MIN, TITLE_MAX_LENGTH, Ticket
from tickets.prices import (
    PRICE_MUST_BE_POSITIVE,
    PRICE_STRING_MAX_LENGTH,
    PRICE_TOO_HIGH,
    PRICE_TOO_PRECISE,
    InvalidPrice,
    price_parse,
)
from tickets.selectors import (
    TicketPosition,
    TicketRow,
    ticket_get_row,
    ticket_list_available,
    ticket_list_for_seller,
    ticket_rows,
)
from tickets.services import CANNOT_EDIT_RESERVED, ticket_create, ticket_update
from tickets.titles import (
    TITLE_CONTROL_CHARACTERS,
    TITLE_REQUIRED,
    TITLE_TOO_LONG,
    InvalidTitle,
    title_clean,
)

LIMIT_INVALID = f"Limit must be a whole number from 1 to {settings.TICKETS_PAGE_SIZE_MAX}"
CURSOR_INVALID = "Cursor is not one this list gave"
SEARCH_MAX_LENGTH = TITLE_MAX_LENGTH
SEARCH_TOO_LONG = f"Search text must be at most {SEARCH_MAX_LENGTH} characters"
NOT_AUTHORIZED = "Not authorized"


def trimmed_text_pattern(max_length: int, *, allow_blank: bool) -> str:
    """A schema `pattern` for text that is at most `max_length` characters once trimmed of the
    whitespace around it, as the fields here count it (a `maxLength` would count the spaces)."""
    text = rf"\S(?:[\s\S]{{0,{max_length - 2}}}\S)?"
    return rf"^\s*(?:{text})?\s*$" if allow_blank else rf"^\s*{text}\s*$"


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1_000_000},
            {
                "type": "string",
                # Every string the API reads as a number; which of them are prices (above 0,
                # at most 1,000,000 and 2 decimals) is the API's to answer, with a 400.
                "pattern": r"^[ \t\n\r]*([0-9]+(\.[0-9]*)?|\.[0-9]+)[ \t\n\r]*$",
                "maxLength": PRICE_STRING_MAX_LENGTH,
            },
        ],
        "description": "Above 0, at most 1,000,000, at most 2 decimal places; a JSON number or "
        'a numeric string ("20.00").',
        "example": 20,
    }
)
class PriceField(serializers.Field):
    """A price as `tickets.prices.price_parse` reads it; its messages are the client's."""

    default_error_messages = {"required": PRICE_MUST_BE_POSITIVE, "null": PRICE_MUST_BE_POSITIVE}

    def to_internal_value(self, data):
        try:
            return price_parse(data)
        except InvalidPrice as error:
            raise serializers.ValidationError(error.message) from None


@extend_schema_field(
    {
        # In `allOf`, since drf-spectacular adds the field's `max_length` as a `maxLength` to a
        # schema of type string, and that would count the whitespace the field trims.
        "allOf": [
            {"type": "string", "pattern": trimmed_text_pattern(TITLE_MAX_LENGTH, allow_blank=False)}
        ],
        "description": f"Not blank, at most {TITLE_MAX_LENGTH} characters; the whitespace "
        "around it is trimmed first.",
    }
)
class TitleField(serializers.Field):
    """A title as `tickets.titles.title_clean` reads it; its messages are the client's."""

    default_error_messages = {"required": TITLE_REQUIRED, "null": TITLE_REQUIRED}

    def to_internal_value(self, data):
        try:
            return title_clean(data)
        except InvalidTitle as error:
            raise serializers.ValidationError(error.message) from None


@extend_schema_serializer(component_name="TicketInput")
class TicketInputSerializer(serializers.Serializer):
    title = TitleField()
    price = PriceField()


@extend_schema_serializer(component_name="Ticket")
class TicketOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    # The limits say what a ticket holds (output is not validated: they are the schema's).
    title = serializers.CharField(min_length=1, max_length=TITLE_MAX_LENGTH)
    price = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        coerce_to_string=False,
        min_value=PRICE_MIN,
        max_value=PRICE_MAX,
    )
    userId = serializers.UUIDField(source="user_id")  # the contract's camelCase
    version = serializers.IntegerField(min_value=0)
    orderId = serializers.UUIDField(source="order_id", allow_null=True)
    status = serializers.ChoiceField(choices=Ticket.Status.choices)


TICKET_INPUT_ERRORS = error_response(
    "Invalid title or price",
    (TITLE_REQUIRED, "title"),
    (TITLE_TOO_LONG, "title"),
    (TITLE_CONTROL_CHARACTERS, "title"),
    (PRICE_MUST_BE_POSITIVE, "price"),
    (PRICE_TOO_PRECISE, "price"),
    (PRICE_TOO_HIGH, "price"),
)
SIGNED_OUT = error_response("Not signed in", (NOT_AUTHORIZED, None))
TICKET_EXAMPLE = OpenApiExample(
    "A ticket", value={"title": "Concert, row 5 seat 12", "price": "20.00"}, request_only=True
)


def _cursor_encode(position: TicketPosition) -> str:
    text = f"{position.created_at.isoformat()}|{position.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


class CursorField(StringField):
    """Where a page starts: the opaque `cursor` of the `Link` header's next page."""

    default_error_messages = {"invalid": CURSOR_INVALID, "blank": CURSOR_INVALID}
    MAX_LENGTH = 128

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if len(text) > self.MAX_LENGTH:
            self.fail("invalid")
        try:
            decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            created_at, ticket_id = decoded.split("|")
            position = TicketPosition(
                created_at=datetime.fromisoformat(created_at), id=uuid.UUID(ticket_id)
            )
        except (binascii.Error, UnicodeDecodeError, ValueError):
            self.fail("invalid")
        if position.created_at.tzinfo is None:
            self.fail("invalid")
        return position


class PageSizeField(serializers.IntegerField):
    """A page size as a query string gives it: ASCII digits only. Python's int() also reads
    `1_0`, `+5`, ` 5`, `5.0` and other scripts' digits, none of which a client meant."""

    DIGITS = re.compile(r"[0-9]{1,9}")

    def to_internal_value(self, data):
        if not (isinstance(data, str) and self.DIGITS.fullmatch(data)):
            self.fail("invalid")
        return super().to_internal_value(data)


class PublicReadApi(APIView):
    """Anyone may read; every write needs a signed-in user. A read looks at no token at all:
    a stale or broken cookie changes nothing there, and the busiest reads skip the check."""

    READS = ("GET", "HEAD")

    def get_authenticators(self):
        if self.request is not None and self.request.method in self.READS:
            return []
        return super().get_authenticators()

    def get_permissions(self):
        return [] if self.request.method in self.READS else [IsAuthenticated()]


def _ticket_json(row: TicketRow) -> dict:
    """`TicketOutputSerializer`'s answer, built by hand from a row: the same JSON at a fraction
    of the cost (a test holds the two to the same output)."""
    return {
        "id": row.id,
        "title": row.title,
        "price": row.price,
        "userId": row.user_id,
        "version": row.version,
        "orderId": row.order_id,
        "status": row.status,
    }


def _json_response(body) -> HttpResponse:
    # As DRF's JSONRenderer writes it: compact, UTF-8.
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(text.encode(), content_type="application/json")


class TicketListCreateApi(PublicReadApi):
    class FilterSerializer(serializers.Serializer):
        limit = PageSizeField(
            default=settings.TICKETS_PAGE_SIZE_DEFAULT,
            min_value=1,
            max_value=settings.TICKETS_PAGE_SIZE_MAX,
            error_messages=dict.fromkeys(
                ("invalid", "min_value", "max_value", "max_string_length", "null"), LIMIT_INVALID
            ),
        )
        cursor = CursorField()
        q = StringField(
            required=False,
            allow_blank=True,
            max_length=SEARCH_MAX_LENGTH,
            error_messages={"max_length": SEARCH_TOO_LONG},
        )

    @extend_schema(
        summary="Available tickets, newest first",
        parameters=[
            OpenApiParameter(
                "limit",
                {
                    "anyOf": [
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": settings.TICKETS_PAGE_SIZE_MAX,
                        },
                        # `?limit=` is read as a form field is: empty is not given.
                        {"type": "string", "enum": [""]},
                    ],
                    "default": settings.TICKETS_PAGE_SIZE_DEFAULT,
                },
                description=f"Tickets per page: 1 to {settings.TICKETS_PAGE_SIZE_MAX}, "
                f"{settings.TICKETS_PAGE_SIZE_DEFAULT} by default (also when empty).",
            ),
            OpenApiParameter(
                "cursor",
                {"type": "string", "maxLength": CursorField.MAX_LENGTH},
                description="Where the page starts: taken from the `Link` header of the page "
                "before, never made by hand.",
            ),
            OpenApiParameter(
                "q",
                {
                    "type": "string",
                    "pattern": trimmed_text_pattern(SEARCH_MAX_LENGTH, allow_blank=True),
                },
                description="Only tickets whose title contains this text, in any case; at most "
                f"{SEARCH_MAX_LENGTH} characters once the whitespace around it is trimmed.",
            ),
            OpenApiParameter(
                "Link",
                {"type": "string", "pattern": r'^<[^>]+>; rel="next"$'},
                OpenApiParameter.HEADER,
                response=[200],
                description='`<next page URL>; rel="next"`, when there are more tickets.',
            ),
        ],
        responses=operation_responses(
            {
                200: OpenApiResponse(TicketOutputSerializer(many=True), description="One page"),
                400: error_response(
                    "Bad limit, cursor or search text",
                    (LIMIT_INVALID, "limit"),
                    (CURSOR_INVALID, "cursor"),
                    (SEARCH_TOO_LONG, "q"),
                ),
            },
            takes_body=False,
        ),
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        limit, after = filters.validated_data["limit"], filters.validated_data.get("cursor")
        search = filters.validated_data.get("q", "")
        # One more than the page holds tells whether a next page exists.
        available = ticket_list_available(limit=limit + 1, after=after, title_contains=search)
        rows = ticket_rows(available)
        page = rows[:limit]
        response = _json_response([_ticket_json(row) for row in page])
        if len(rows) > limit:
            next_query = {"limit": limit, "cursor": _cursor_encode(TicketPosition.of(page[-1]))}
            if search:
                next_query["q"] = search
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(next_query)}")
            response["Link"] = f'<{next_url}>; rel="next"'
        return response

    @extend_schema(
        summary="Put a ticket up for sale",
        request=TicketInputSerializer,
        examples=[TICKET_EXAMPLE],
        responses=operation_responses(
            {
                201: OpenApiResponse(TicketOutputSerializer, description="Created, version 0"),
                400: TICKET_INPUT_ERRORS,
                401: SIGNED_OUT,
            },
            takes_body=True,
        ),
    )
    def post(self, request):
        serializer = TicketInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = ticket_create(user_id=request.user.id, **serializer.validated_data)
        return Response(TicketOutputSerializer(ticket).data, status=status.HTTP_201_CREATED)


class MyTicketListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The signed-in seller's tickets, every status, newest first",
        responses=operation_responses(
            {
                200: OpenApiResponse(TicketOutputSerializer(many=True), description="All of them"),
                401: SIGNED_OUT,
            },
            takes_body=False,
        ),
    )
    def get(self, request):
        tickets = ticket_list_for_seller(user_id=request.user.id)
        return Response(TicketOutputSerializer(tickets, many=True).data)


class TicketDetailApi(PublicReadApi):
    @extend_schema(
        summary="One ticket, whatever its status",
        responses=operation_responses(
            {
                200: OpenApiResponse(TicketOutputSerializer, description="The ticket"),
                404: error_response("No such ticket", ("Not Found", None)),
            },
            takes_body=False,
        ),
    )
    def get(self, request, ticket_id: uuid.UUID):
        return _json_response(_ticket_json(ticket_get_row(ticket_id=ticket_id)))

    @extend_schema(
        summary="Change the title and price of one's own ticket",
        description="Refused while an order holds the ticket (reserved or sold).",
        request=TicketInputSerializer,
        examples=[TICKET_EXAMPLE],
        responses=operation_responses(
            {
                200: OpenApiResponse(TicketOutputSerializer, description="Updated, version + 1"),
                400: OpenApiResponse(
                    TICKET_INPUT_ERRORS.response,
                    description=f"Invalid title or price, or: {CANNOT_EDIT_RESERVED}",
                    examples=[
                        *TICKET_INPUT_ERRORS.examples,
                        *error_response("", (CANNOT_EDIT_RESERVED, None)).examples,
                    ],
                ),
                401: error_response(
                    "Not signed in, or not the ticket's seller", (NOT_AUTHORIZED, None)
                ),
                404: error_response("No such ticket", ("Not Found", None)),
            },
            takes_body=True,
        ),
    )
    def put(self, request, ticket_id: uuid.UUID):
        serializer = TicketInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = ticket_update(
            ticket_id=ticket_id, editor_id=request.user.id, **serializer.validated_data
        )
        return Response(TicketOutputSerializer(ticket).data)
