"""The payments API (contract §6): a thin view over `services`."""

from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.validators import ProhibitSurrogateCharactersValidator
from rest_framework.views import APIView

from payments.services import (
    ORDER_CANCELLED,
    ORDER_EXPIRED,
    ORDER_PAID,
    PAYMENT_UNDER_WAY,
    PROCESSOR_UNAVAILABLE,
    payment_create,
)
from ticketing_shared.errors.exceptions import NotFound
from ticketing_shared.fields import ResourceIdField, StringField
from ticketing_shared.openapi import error_response, operation_responses

# The original application's one message for a missing or empty field (contract §6).
INVALID_VALUE = "Invalid value"
TOKEN_MAX_LENGTH = 255


class OrderIdField(ResourceIdField):
    """An order id: a malformed one names no order (None, answered 404 as an unknown one)."""

    default_error_messages = {"required": INVALID_VALUE, "null": INVALID_VALUE}


class CardTokenField(StringField):
    """The card as the processor's client library gave it (`tok_...`, `pm_...`)."""

    default_error_messages = dict.fromkeys(
        ("required", "null", "blank", "invalid", "min_length", "max_length"), INVALID_VALUE
    )

    def __init__(self, **kwargs):
        super().__init__(min_length=1, max_length=TOKEN_MAX_LENGTH, **kwargs)
        for validator in self.validators:
            # DRF's own checks of a string (a NUL, a lone surrogate) speak in their own words.
            if isinstance(
                validator, ProhibitNullCharactersValidator | ProhibitSurrogateCharactersValidator
            ):
                validator.message = INVALID_VALUE


@extend_schema_serializer(component_name="Payment")
class PaymentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    orderId = serializers.UUIDField(source="order_id")  # the contract's camelCase
    amount = serializers.IntegerField(min_value=0, help_text="In the currency's minor unit")
    currency = serializers.CharField(min_length=3, max_length=3, help_text="ISO 4217")


class PaymentCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="PaymentInput")
    class InputSerializer(serializers.Serializer):
        orderId = OrderIdField()  # the contract's camelCase
        token = CardTokenField()

    @extend_schema(
        summary="Pay for one of the buyer's orders: the card is charged the ticket's price once",
        request=InputSerializer,
        examples=[
            OpenApiExample(
                "A payment with a test card",
                value={"orderId": "6f1c2b9e-4a8d-4c3e-9f5a-2b7d8e9f0a1b", "token": "tok_visa"},
                request_only=True,
            )
        ],
        responses=operation_responses(
            {
                201: OpenApiResponse(PaymentOutputSerializer, description="Charged"),
                400: error_response(
                    "A missing field, an order that cannot be paid, or a declined card",
                    (INVALID_VALUE, "token"),
                    (ORDER_CANCELLED, None),
                    (ORDER_PAID, None),
                    (ORDER_EXPIRED, None),
                    ("Your card was declined.", "token"),
                ),
                401: error_response("Not signed in, or another's order", ("Not authorized", None)),
                404: error_response("No such order", ("Not Found", None)),
                409: error_response(
                    "Another payment of the order is with the processor", (PAYMENT_UNDER_WAY, None)
                ),
                502: error_response(
                    "The card processor did not answer: nothing new was charged",
                    (PROCESSOR_UNAVAILABLE, None),
                ),
            },
            takes_body=True,
        ),
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order_id = serializer.validated_data["orderId"]
        if order_id is None:
            raise NotFound()  # a malformed id names no order (contract §2)
        payment = payment_create(
            order_id=order_id, buyer_id=request.user.id, token=serializer.validated_data["token"]
        )
        return Response(PaymentOutputSerializer(payment).data, status=status.HTTP_201_CREATED)
