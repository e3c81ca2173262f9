"""The shared cross-site and Content-Type guard (`ticketing_shared.api_guard`) holds on payments'
one route, its collection at the bare prefix (`/api/payments`, no slash): a refused request
charges no card and records nothing."""

import json

import pytest

from payments.models import Payment, TestPaymentIntent
from payments.tests.factories import OrderCopyFactory
from ticketing_shared.events.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def body(signed_in_client):
    return {
        "orderId": str(OrderCopyFactory(user_id=signed_in_client.user.id).id),
        "token": "tok_visa",
    }


def _nothing_charged():
    return not (
        Payment.objects.exists()
        or TestPaymentIntent.objects.exists()
        or OutboxEvent.objects.exists()
    )


def test_a_cross_site_payment_with_the_cookie_is_refused(signed_in_client, body):
    response = signed_in_client.post(
        "/api/payments", body, format="json", HTTP_ORIGIN="https://evil.example"
    )

    assert response.status_code == 403
    assert response.json() == {"errors": [{"message": "Cross-site requests are not allowed"}]}
    assert _nothing_charged()


def test_a_payment_whose_body_may_not_be_json_is_refused(signed_in_client, body):
    # `*/*` is a type DRF would read as JSON; a form a cross-site page can send is not JSON.
    response = signed_in_client.post("/api/payments", json.dumps(body), content_type="*/*")

    assert response.status_code == 415
    assert response.json() == {"errors": [{"message": "Content-Type must be application/json"}]}
    assert _nothing_charged()


def test_a_same_site_payment_is_charged(signed_in_client, body):
    # The guard refuses the other site, not the service's own pages.
    response = signed_in_client.post(
        "/api/payments", body, format="json", HTTP_ORIGIN="http://testserver"
    )

    assert response.status_code == 201
    assert Payment.objects.count() == TestPaymentIntent.objects.count() == 1
