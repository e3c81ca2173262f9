from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ticketing_shared.openapi import (
    RETRY_AFTER,
    ErrorResponseSerializer,
    error_response,
    operation_responses,
)


class ThingSerializer(serializers.Serializer):
    name = serializers.CharField()


class ThingsApi(APIView):
    @extend_schema(
        request=ThingSerializer,
        parameters=[RETRY_AFTER],
        responses=operation_responses(
            {
                201: ThingSerializer,
                400: error_response("Name is required", ("Name is required", "name")),
                429: error_response("Too many things"),
            },
            takes_body=True,
        ),
    )
    def post(self, request):
        return Response({}, status=201)

    @extend_schema(responses=operation_responses({200: ThingSerializer}, takes_body=False))
    def get(self, request):
        return Response({})


def schema_of(view) -> dict:
    return SchemaGenerator(patterns=[path("api/things", view.as_view())]).get_schema(
        request=None, public=True
    )


def test_every_error_is_one_component_in_the_contract_format():
    schema = schema_of(ThingsApi)

    components = schema["components"]["schemas"]
    assert components["ErrorResponse"]["required"] == ["errors"]
    assert components["ErrorResponse"]["properties"]["errors"]["items"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert components["Error"]["required"] == ["message"]
    post = schema["paths"]["/api/things"]["post"]["responses"]
    for status in ("400", "403", "413", "415", "429", "500"):
        content = post[status]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}, status


def test_an_operation_with_a_body_gets_the_errors_of_reading_one():
    schema = schema_of(ThingsApi)

    post = schema["paths"]["/api/things"]["post"]["responses"]
    get = schema["paths"]["/api/things"]["get"]["responses"]
    assert set(post) == {"201", "400", "403", "413", "415", "429", "500", "503"}
    assert set(get) == {"200", "403", "500", "503"}


def test_a_status_both_document_keeps_both_descriptions_and_the_examples():
    responses = operation_responses(
        {400: error_response("Name is required", ("Name is required", "name"))},
        takes_body=True,
    )

    assert (
        responses[400].description == "Name is required; Malformed JSON, or JSON nested too deeply"
    )
    [example] = responses[400].examples
    assert example.value == {"errors": [{"message": "Name is required", "field": "name"}]}
    assert responses[400].response is ErrorResponseSerializer


def test_a_status_documented_by_a_plain_serializer_is_left_as_it_is():
    responses = operation_responses({403: ThingSerializer}, takes_body=False)

    assert responses[403] is ThingSerializer
    assert isinstance(responses[500], OpenApiResponse)


def test_retry_after_is_a_header_of_the_429():
    schema = schema_of(ThingsApi)

    header = schema["paths"]["/api/things"]["post"]["responses"]["429"]["headers"]["Retry-After"]
    assert header["schema"] == {"type": "integer"}
    assert header["required"] is True
