"""The orders admin, reached with single sign-on (a staff access token in the access cookie)."""

import uuid

import pytest
from django.test import Client

from orders.models import Order
from orders.services import order_cancel, order_create
from orders.tests.factories import OrderFactory, TicketCopyFactory

pytestmark = pytest.mark.django_db

ORDERS = "/admin/orders/orders/order/"


def listed_ids(response) -> set[uuid.UUID]:
    return {order.id for order in response.context["cl"].result_list}


def test_lists_filters_by_status_and_searches(staff_client):
    created, cancelled = OrderFactory(), OrderFactory(status="cancelled")

    by_status = staff_client.get(ORDERS, {"status__exact": "cancelled"})
    by_title = staff_client.get(ORDERS, {"q": created.ticket.title})
    by_buyer = staff_client.get(ORDERS, {"q": str(created.user_id)})
    by_text = staff_client.get(ORDERS, {"q": "not-a-uuid"})

    assert listed_ids(by_status) == {cancelled.id}
    assert listed_ids(by_title) == {created.id}
    assert listed_ids(by_buyer) == {created.id}
    assert by_text.status_code == 200


def test_an_order_shows_the_events_it_announced_in_order(staff_client):
    buyer = uuid.uuid4()
    order = order_create(buyer_id=buyer, ticket_id=TicketCopyFactory().id)
    order_cancel(order_id=order.id, user_id=buyer)

    page = staff_client.get(f"{ORDERS}{order.id}/change/").content.decode()

    assert page.index("v0 order:created") < page.index("v1 order:cancelled")


def test_orders_are_not_added_changed_or_deleted_here(staff_client):
    order = OrderFactory()

    assert staff_client.get(f"{ORDERS}add/").status_code == 403
    staff_client.post(f"{ORDERS}{order.id}/change/", {"status": "complete"})
    assert staff_client.post(f"{ORDERS}{order.id}/delete/", {"post": "yes"}).status_code == 403
    order.refresh_from_db()
    assert order.status == "created"
    assert Order.objects.count() == 1


def test_a_user_who_is_not_staff_is_not_let_in(sign_in):
    client = Client()
    sign_in(client)

    assert client.get(ORDERS).status_code == 302
