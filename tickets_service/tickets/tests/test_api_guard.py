"""The shared cross-site guard (`ticketing_shared.api_guard`) covers the collection, which
tickets serves at the bare prefix (`/api/tickets`, no slash), not only the paths under it."""

import pytest

from ticketing_shared.events.models import OutboxEvent
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

VALID = {"title": "Concert", "price": "20.00"}


def test_a_cross_site_creation_with_the_cookie_is_refused(signed_in_client):
    response = signed_in_client.post(
        "/api/tickets", VALID, format="json", HTTP_ORIGIN="https://evil.example"
    )

    assert response.status_code == 403
    assert response.json() == {"errors": [{"message": "Cross-site requests are not allowed"}]}
    assert not Ticket.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_a_creation_whose_body_may_not_be_json_is_refused(signed_in_client):
    response = signed_in_client.post(
        "/api/tickets", '{"title": "Concert", "price": "20.00"}', content_type="*/*"
    )

    assert response.status_code == 415
    assert response.json() == {"errors": [{"message": "Content-Type must be application/json"}]}
    assert not Ticket.objects.exists()


def test_a_same_site_creation_is_accepted(signed_in_client):
    # The guard refuses the other site, not the service's own pages.
    response = signed_in_client.post(
        "/api/tickets", VALID, format="json", HTTP_ORIGIN="http://testserver"
    )

    assert response.status_code == 201
    assert Ticket.objects.count() == 1
