"""0002: orders made before it kept no record of their ticket; they take the copy's."""

from decimal import Decimal

import pytest
from django.db import connection

from ticketing_shared.testing.schema import migration_latest, schema_migrate

BEFORE_THE_RECORD = ("orders", "0001_initial")


@pytest.fixture
def apps_before_the_record():
    latest = migration_latest("orders")
    apps = schema_migrate(BEFORE_THE_RECORD)
    yield apps
    apps.get_model("orders", "Order").objects.all().delete()
    apps.get_model("orders", "TicketCopy").objects.all().delete()
    schema_migrate(latest)


@pytest.mark.django_db(transaction=True)
def test_orders_made_before_it_take_their_tickets_copy(apps_before_the_record):
    old_ticket = apps_before_the_record.get_model("orders", "TicketCopy")
    old_order = apps_before_the_record.get_model("orders", "Order")
    seller, buyer = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"
    ticket = old_ticket.objects.create(
        id="00000000-0000-4000-8000-000000000001",
        title="Jazz night",
        price=Decimal("42.50"),
        user_id=seller,
        version=3,
    )
    order = old_order.objects.create(
        user_id=buyer, ticket=ticket, status="cancelled", expires_at="2026-11-30T10:00:00Z"
    )

    schema_migrate(migration_latest("orders"))

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ticket_title, ticket_price, ticket_version FROM orders_order WHERE id = %s",
            [order.pk],
        )
        assert cursor.fetchone() == ("Jazz night", Decimal("42.50"), 3)
