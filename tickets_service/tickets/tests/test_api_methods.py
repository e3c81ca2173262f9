"""An unknown method is an unknown route (contract §2): a 404 in the error format, whoever asks.

The writes need a signed-in user, and DRF checks that before it looks for the method's handler:
without the shared `ApiUnknownMethodMiddleware`, a signed-out caller got a 401 here for a method
no route takes."""

import uuid

import pytest

from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

NOT_FOUND = b'{"errors":[{"message":"Not Found"}]}'


@pytest.fixture
def ticket_path():
    return f"/api/tickets/{TicketFactory().id}"


@pytest.mark.parametrize("method", ["delete", "put", "patch", "options"])
def test_the_collection_takes_no_other_method_from_anyone(api_client, method):
    response = getattr(api_client, method)("/api/tickets")

    assert (response.status_code, response.content) == (404, NOT_FOUND)
    assert "Allow" not in response


@pytest.mark.parametrize("method", ["delete", "patch", "options", "post"])
def test_a_ticket_takes_no_other_method_from_anyone(api_client, ticket_path, method):
    response = getattr(api_client, method)(ticket_path)

    assert (response.status_code, response.content) == (404, NOT_FOUND)


def test_an_unknown_ticket_id_with_an_unknown_method_is_the_same_404(api_client):
    response = api_client.delete(f"/api/tickets/{uuid.uuid4()}")

    assert (response.status_code, response.content) == (404, NOT_FOUND)


@pytest.mark.parametrize("method", ["post", "put", "delete", "options"])
def test_my_tickets_take_no_other_method_from_anyone(api_client, method):
    response = getattr(api_client, method)("/api/tickets/mine")

    assert (response.status_code, response.content) == (404, NOT_FOUND)


@pytest.mark.parametrize("method", ["delete", "patch", "options"])
def test_signed_in_it_is_the_same_404(signed_in_client, ticket_path, method):
    response = getattr(signed_in_client, method)(ticket_path)

    assert (response.status_code, response.content) == (404, NOT_FOUND)


def test_the_known_methods_still_answer(api_client, ticket_path):
    assert api_client.head("/api/tickets").status_code == 200
    assert api_client.head(ticket_path).status_code == 200
    assert api_client.post("/api/tickets", {}, format="json").status_code == 401
    assert api_client.put(ticket_path, {}, format="json").status_code == 401
    assert api_client.get("/api/tickets/mine").status_code == 401
