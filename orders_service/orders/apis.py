"""The orders API (contract §5): thin views over `services` and `selectors`."""

import uuid

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.models import TICKET_PRICE_MAX, TICKET_PRICE_MIN, Order
from orders.selectors import order_get_for_buyer, order_list_for_buyer
from orders.services import (
    CANNOT_CANCEL_COMPLETED,
    OWN_TICKET,
    TICKET_ALREADY_RESERVED,
    expires_at_as_event_string,
    order_cancel,
    order_create,
)
from ticketing_shared.errors.exceptions import NotFound
from ticketing_shared.fields import ResourceIdField
from ticketing_shared.openapi import error_response, operation_responses

TICKET_ID_REQUIRED = "TicketId must be provided"
NOT_AUTHORIZED = "Not authorized"
NOT_FOUND = "Not Found"
SIGNED_OUT = error_response("Not signed in", (NOT_AUTHORIZED, None))


class TicketIdField(ResourceIdField):
    """A ticket id: a malformed one names no ticket (None, answered 404 as an unknown one)."""

    default_error_messages = {"required": TICKET_ID_REQUIRED, "null": TICKET_ID_REQUIRED}


class OrderTicketSerializer(serializers.Serializer):
    """The ticket as it was bought (the order's own record of it)."""

    id = serializers.UUIDField(source="ticket_id")
    title = serializers.CharField(source="ticket_title")
    price = serializers.DecimalField(
        source="ticket_price",
        max_digits=9,
        decimal_places=2,
        min_value=TICKET_PRICE_MIN,
        max_value=TICKET_PRICE_MAX,
        coerce_to_string=False,
    )
    version = serializers.IntegerField(source="ticket_version", min_value=0)


@extend_schema_field(
    {"type": "string", "format": "date-time", "example": "2026-11-30T10:15:00.000Z"}
)
class ExpiresAtField(serializers.Field):
    """ISO-8601 UTC with milliseconds and `Z` (contract §5), whatever DRF's own format."""

    def to_representation(self, order: Order) -> str:
        return expires_at_as_event_string(order)


@extend_schema_serializer(component_name="Order")
class OrderOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    userId = serializers.UUIDField(source="user_id")  # the contract's camelCase
    status = serializers.ChoiceField(choices=Order.Status.choices)
    expiresAt = ExpiresAtField(source="*")
    version = serializers.IntegerField(min_value=0)
    ticket = OrderTicketSerializer(source="*")


ORDER_NOT_FOUND = error_response("No such order", (NOT_FOUND, None))


class OrderListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="OrderInput")
    class InputSerializer(serializers.Serializer):
        ticketId = TicketIdField()  # the contract's camelCase

    @extend_schema(
        summary="Order a ticket: it is held for the buyer until the order expires",
        request=InputSerializer,
        examples=[
            OpenApiExample(
                "An order",
                value={"ticketId": "6f1c2b9e-4a8d-4c3e-9f5a-2b7d8e9f0a1b"},
                request_only=True,
            )
        ],
        responses=operation_responses(
            {
                201: OpenApiResponse(OrderOutputSerializer, description="Created, `created`"),
                400: error_response(
                    "No ticket id, the ticket already reserved, or one's own",
                    (TICKET_ID_REQUIRED, "ticketId"),
                    (TICKET_ALREADY_RESERVED, None),
                    (OWN_TICKET, None),
                ),
                401: SIGNED_OUT,
                404: error_response("No such ticket", (NOT_FOUND, None)),
            },
            takes_body=True,
        ),
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket_id = serializer.validated_data["ticketId"]
        if ticket_id is None:
            raise NotFound()  # a malformed id names no ticket (contract §2)
        order = order_create(buyer_id=request.user.id, ticket_id=ticket_id)
        return Response(OrderOutputSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The signed-in buyer's orders, every status, newest first",
        responses=operation_responses(
            {
                200: OpenApiResponse(OrderOutputSerializer(many=True), description="All"),
                401: SIGNED_OUT,
            },
            takes_body=False,
        ),
    )
    def get(self, request):
        orders = order_list_for_buyer(user_id=request.user.id)
        return Response(OrderOutputSerializer(orders, many=True).data)


class OrderDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One of the buyer's orders",
        responses=operation_responses(
            {
                200: OpenApiResponse(OrderOutputSerializer, description="The order"),
                401: error_response("Not signed in, or another's order", (NOT_AUTHORIZED, None)),
                404: ORDER_NOT_FOUND,
            },
            takes_body=False,
        ),
    )
    def get(self, request, order_id: uuid.UUID):
        order = order_get_for_buyer(order_id=order_id, user_id=request.user.id)
        return Response(OrderOutputSerializer(order).data)

    @extend_schema(
        summary="Cancel one of the buyer's orders: the ticket is free again",
        description="Cancelling a cancelled order changes nothing (204 again).",
        responses=operation_responses(
            {
                204: OpenApiResponse(description="Cancelled"),
                400: error_response("A completed order", (CANNOT_CANCEL_COMPLETED, None)),
                401: error_response("Not signed in, or another's order", (NOT_AUTHORIZED, None)),
                404: ORDER_NOT_FOUND,
                # The operation reads no body, but DELETE is an unsafe method: the cross-site
                # guard (ticketing_shared.api_guard) refuses a body that is not JSON all the same.
                415: error_response(
                    "A body that is not JSON", ("Content-Type must be application/json", None)
                ),
            },
            takes_body=False,
        ),
    )
    def delete(self, request, order_id: uuid.UUID):
        order_cancel(order_id=order_id, user_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)
