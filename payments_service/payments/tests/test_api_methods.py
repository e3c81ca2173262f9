"""An unknown method is an unknown route (contract §2): a 404 in the error format, whoever asks.

Paying needs a signed-in user, and DRF checks that before it looks for the method's handler:
the shared `ApiUnknownMethodMiddleware` answers first, so a signed-out caller gets no 401 for a
method `/api/payments` does not take. Nothing lies below the collection."""

import uuid

import pytest

pytestmark = pytest.mark.django_db

NOT_FOUND = b'{"errors":[{"message":"Not Found"}]}'


@pytest.mark.parametrize("method", ["get", "head", "put", "patch", "delete", "options"])
@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_the_collection_takes_no_other_method(api_client, sign_in, method, signed_in):
    if signed_in:
        sign_in(api_client)

    response = getattr(api_client, method)("/api/payments")

    assert response.status_code == 404
    assert method == "head" or response.content == NOT_FOUND
    assert "Allow" not in response


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_a_payment_has_no_route(signed_in_client, method):
    response = getattr(signed_in_client, method)(f"/api/payments/{uuid.uuid4()}")

    assert (response.status_code, response.content) == (404, NOT_FOUND)


def test_paying_still_asks_for_a_signed_in_user(api_client):
    response = api_client.post("/api/payments", {}, format="json")

    assert response.status_code == 401
