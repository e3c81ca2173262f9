import re
import uuid

import pytest

from orders.models import Order, TicketCopy
from orders.tests.factories import OrderFactory, TicketCopyFactory
from ticketing_shared.testing.api import error_messages, events_published

pytestmark = pytest.mark.django_db

EXPIRES_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def buy(client, ticket_id):
    return client.post("/api/orders", {"ticketId": str(ticket_id)}, format="json")


class TestCreate:
    def test_signed_out_is_401(self, api_client):
        ticket = TicketCopyFactory()

        assert buy(api_client, ticket.id).status_code == 401
        assert not Order.objects.exists()

    @pytest.mark.parametrize("body", [{}, {"ticketId": ""}, {"ticketId": None}, {"ticketId": 5}])
    def test_a_ticket_id_is_required(self, signed_in_client, body):
        response = signed_in_client.post("/api/orders", body, format="json")

        assert response.status_code == 400
        assert error_messages(response) == [("TicketId must be provided", "ticketId")]

    @pytest.mark.parametrize("ticket_id", [uuid.uuid4(), "not-a-uuid", "1"])
    def test_an_unknown_or_malformed_ticket_is_404(self, signed_in_client, ticket_id):
        response = buy(signed_in_client, ticket_id)

        assert response.status_code == 404
        assert error_messages(response) == [("Not Found", None)]

    def test_reserves_the_ticket_and_publishes_order_created(self, signed_in_client, settings):
        settings.ORDERS_EXPIRATION_SECONDS = 60
        ticket = TicketCopyFactory()

        response = buy(signed_in_client, ticket.id)

        assert response.status_code == 201
        order = Order.objects.get()
        body = response.json()
        assert body["status"] == "created"
        assert body["userId"] == str(signed_in_client.user.id)
        assert body["version"] == 0
        assert EXPIRES_AT.match(body["expiresAt"])
        assert body["ticket"] == {
            "id": str(ticket.id),
            "title": ticket.title,
            "price": 20.0,
            "version": 0,
        }
        assert events_published("order:created") == [
            {
                "id": str(order.id),
                "version": 0,
                "status": "created",
                "userId": str(signed_in_client.user.id),
                "expiresAt": body["expiresAt"],
                "ticket": {"id": str(ticket.id), "price": "20.00"},
            }
        ]

    def test_an_already_reserved_ticket_is_400(self, signed_in_client):
        order = OrderFactory()

        response = buy(signed_in_client, order.ticket_id)

        assert response.status_code == 400
        assert error_messages(response) == [("Ticket is already reserved", None)]
        assert Order.objects.count() == 1

    def test_a_sold_ticket_is_400(self, signed_in_client):
        order = OrderFactory(status="complete")

        assert error_messages(buy(signed_in_client, order.ticket_id)) == [
            ("Ticket is already reserved", None)
        ]

    def test_a_cancelled_order_does_not_block_a_new_one(self, signed_in_client):
        order = OrderFactory(status="cancelled")

        assert buy(signed_in_client, order.ticket_id).status_code == 201

    def test_ones_own_ticket_is_400(self, signed_in_client):
        ticket = TicketCopyFactory(user_id=signed_in_client.user.id)

        response = buy(signed_in_client, ticket.id)

        assert error_messages(response) == [("You cannot buy your own ticket", None)]

    def test_the_order_keeps_the_ticket_as_it_was_bought(self, signed_in_client):
        # A seller's edit made before tickets learned of the order reaches the copy later.
        ticket = TicketCopyFactory(title="Concert", price="20.00")
        order_id = buy(signed_in_client, ticket.id).json()["id"]
        TicketCopy.objects.filter(pk=ticket.id).update(title="Renamed", price="500.00", version=1)

        shown = signed_in_client.get(f"/api/orders/{order_id}").json()["ticket"]

        assert shown == {"id": str(ticket.id), "title": "Concert", "price": 20.0, "version": 0}
        assert events_published("order:created")[0]["ticket"]["price"] == "20.00"

    @pytest.mark.parametrize(
        "form", ["{%s}", "urn:uuid:%s", "%s-", " %s"], ids=["braces", "urn", "suffix", "space"]
    )
    def test_a_ticket_id_in_another_form_than_the_paths_is_404(self, signed_in_client, form):
        ticket = TicketCopyFactory()

        response = buy(signed_in_client, form % ticket.id)

        assert response.status_code == 404

    def test_a_ticket_id_in_capitals_is_the_same_id(self, signed_in_client):
        ticket = TicketCopyFactory()

        assert buy(signed_in_client, str(ticket.id).upper()).status_code == 201


class TestListAndShow:
    def test_lists_only_the_users_orders_newest_first_with_their_tickets(self, signed_in_client):
        user_id = signed_in_client.user.id
        older, newer = OrderFactory(user_id=user_id), OrderFactory(user_id=user_id)
        OrderFactory()

        response = signed_in_client.get("/api/orders")

        assert [o["id"] for o in response.json()] == [str(newer.id), str(older.id)]
        assert response.json()[0]["ticket"]["title"] == newer.ticket.title

    def test_list_signed_out_is_401(self, api_client):
        assert api_client.get("/api/orders").status_code == 401

    def test_shows_the_users_order(self, signed_in_client):
        order = OrderFactory(user_id=signed_in_client.user.id)

        response = signed_in_client.get(f"/api/orders/{order.id}")

        assert response.status_code == 200
        assert response.json()["id"] == str(order.id)

    def test_another_users_order_is_401(self, signed_in_client):
        order = OrderFactory()

        response = signed_in_client.get(f"/api/orders/{order.id}")

        assert response.status_code == 401
        assert error_messages(response) == [("Not authorized", None)]

    @pytest.mark.parametrize("order_id", [uuid.uuid4(), "nope"])
    def test_an_unknown_or_malformed_order_is_404(self, signed_in_client, order_id):
        assert signed_in_client.get(f"/api/orders/{order_id}").status_code == 404


class TestCancel:
    def test_cancels_and_publishes(self, signed_in_client):
        order = OrderFactory(user_id=signed_in_client.user.id)

        response = signed_in_client.delete(f"/api/orders/{order.id}")

        assert response.status_code == 204
        order.refresh_from_db()
        assert (order.status, order.version) == ("cancelled", 1)
        assert events_published("order:cancelled") == [
            {"id": str(order.id), "version": 1, "ticket": {"id": str(order.ticket_id)}}
        ]

    def test_twice_changes_nothing(self, signed_in_client):
        order = OrderFactory(user_id=signed_in_client.user.id)
        signed_in_client.delete(f"/api/orders/{order.id}")

        response = signed_in_client.delete(f"/api/orders/{order.id}")

        assert response.status_code == 204
        order.refresh_from_db()
        assert order.version == 1
        assert len(events_published("order:cancelled")) == 1

    def test_a_completed_order_cannot_be_cancelled(self, signed_in_client):
        order = OrderFactory(user_id=signed_in_client.user.id, status="complete")

        response = signed_in_client.delete(f"/api/orders/{order.id}")

        assert response.status_code == 400
        assert error_messages(response) == [("Cannot cancel a completed order", None)]

    def test_another_users_order_is_401(self, signed_in_client):
        order = OrderFactory()

        assert signed_in_client.delete(f"/api/orders/{order.id}").status_code == 401
        order.refresh_from_db()
        assert order.status == "created"

    def test_signed_out_is_401(self, api_client):
        order = OrderFactory()

        assert api_client.delete(f"/api/orders/{order.id}").status_code == 401


def test_the_list_reads_no_ticket_copy_per_order(signed_in_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_listing() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert signed_in_client.get("/api/orders").status_code == 200
        return len(captured)

    OrderFactory(user_id=signed_in_client.user.id)
    one = queries_listing()
    OrderFactory.create_batch(5, user_id=signed_in_client.user.id)

    assert queries_listing() == one
