import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from orders.models import Order, TicketCopy
from orders.services import (
    OrderNotYetKnown,
    order_complete_for_payment,
    order_create,
    order_expire_due,
    order_expire_if_due,
    ticket_copy_apply,
)
from orders.tests.factories import OrderFactory, TicketCopyFactory
from ticketing_shared.events.models import OutboxEvent
from ticketing_shared.events.versions import VersionGap
from ticketing_shared.testing.concurrency import concurrently
from ticketing_shared.testing.tokens import access_token_mint

BUYERS = 100


def subjects_published() -> list[tuple[str, int]]:
    return [
        (event.subject, event.envelope["data"]["version"])
        for event in OutboxEvent.objects.order_by("position")
    ]


@pytest.mark.django_db(transaction=True)
def test_simultaneous_purchases_of_one_ticket_make_one_order_and_no_500(settings):
    ticket = TicketCopyFactory()

    def purchase(n: int) -> int:
        client = APIClient()
        client.cookies[settings.ACCESS_COOKIE_NAME] = access_token_mint(
            user_id=uuid.uuid4(), email=f"buyer{n}@example.com"
        )
        return client.post("/api/orders", {"ticketId": str(ticket.id)}, format="json").status_code

    statuses = concurrently(BUYERS, purchase, timeout=120)

    assert sorted(statuses) == [201] + [400] * (BUYERS - 1)
    assert Order.objects.filter(ticket=ticket).count() == 1
    assert subjects_published() == [("order:created", 0)]


@pytest.mark.django_db
class TestOrderExpireDue:
    @pytest.fixture(autouse=True)
    def _grace(self, settings):
        settings.ORDERS_EXPIRATION_GRACE_SECONDS = 5

    def past(self, seconds: float):
        return timezone.now() - timedelta(seconds=seconds)

    def test_cancels_open_orders_past_their_expiry_and_grace(self):
        due = OrderFactory(expires_at=self.past(6))
        in_grace = OrderFactory(expires_at=self.past(1))
        not_yet = OrderFactory()

        assert order_expire_due() == 1

        states = {o.pk: (o.status, o.version) for o in Order.objects.all()}
        assert states == {
            due.pk: ("cancelled", 1),
            in_grace.pk: ("created", 0),
            not_yet.pk: ("created", 0),
        }
        assert subjects_published() == [("order:cancelled", 1)]

    def test_a_complete_order_is_never_cancelled_by_expiry(self):
        OrderFactory(expires_at=self.past(60), status="complete")

        assert order_expire_due() == 0

    def test_runs_in_batches_until_none_is_due(self):
        OrderFactory.create_batch(7, expires_at=self.past(60))

        assert order_expire_due(batch_size=3) == 7
        assert not Order.objects.filter(status="created").exists()

    def test_a_second_sweep_changes_nothing(self):
        OrderFactory(expires_at=self.past(60))
        order_expire_due()

        assert order_expire_due() == 0
        assert len(subjects_published()) == 1


@pytest.mark.django_db
class TestOrderCompleteForPayment:
    def test_an_open_order_becomes_complete_and_is_announced(self):
        order = OrderFactory()

        order_complete_for_payment(order_id=order.id)

        order.refresh_from_db()
        assert (order.status, order.version) == ("complete", 1)
        assert subjects_published() == [("order:completed", 1)]

    def test_a_cancelled_order_stays_cancelled(self):
        order = OrderFactory(status="cancelled", version=1)

        order_complete_for_payment(order_id=order.id)

        order.refresh_from_db()
        assert (order.status, order.version) == ("cancelled", 1)
        assert subjects_published() == []

    def test_twice_changes_nothing_more(self):
        order = OrderFactory()
        order_complete_for_payment(order_id=order.id)

        order_complete_for_payment(order_id=order.id)

        assert subjects_published() == [("order:completed", 1)]

    def test_an_unknown_order(self):
        with pytest.raises(OrderNotYetKnown):
            order_complete_for_payment(order_id=uuid.uuid4())


@pytest.mark.django_db
class TestTicketCopyApply:
    def apply(self, ticket_id, version, title="Concert", price="20.00"):
        ticket_copy_apply(
            ticket_id=ticket_id,
            version=version,
            title=title,
            price=Decimal(price),
            user_id=uuid.UUID(int=1),
        )

    def test_stores_then_updates_in_version_order(self):
        ticket_id = uuid.uuid4()
        self.apply(ticket_id, 0)
        self.apply(ticket_id, 1, title="Renamed", price="25.00")

        copy = TicketCopy.objects.get()
        assert (copy.title, copy.price, copy.version) == ("Renamed", Decimal("25.00"), 1)

    def test_a_skipped_version_waits_until_the_gap_is_filled(self):
        ticket_id = uuid.uuid4()
        self.apply(ticket_id, 0)

        with pytest.raises(VersionGap):
            self.apply(ticket_id, 2, title="Later")
        self.apply(ticket_id, 1, title="Between")
        self.apply(ticket_id, 2, title="Later")

        assert TicketCopy.objects.get().title == "Later"

    def test_an_old_version_is_ignored(self):
        ticket_id = uuid.uuid4()
        self.apply(ticket_id, 0)
        self.apply(ticket_id, 1, title="New")

        self.apply(ticket_id, 0, title="Old")

        assert TicketCopy.objects.get().title == "New"

    def test_an_update_before_the_creation_waits(self):
        with pytest.raises(VersionGap):
            self.apply(uuid.uuid4(), 1)


@pytest.mark.django_db
def test_order_create_holds_the_expiry_the_setting_gives(settings):
    settings.ORDERS_EXPIRATION_SECONDS = 90
    ticket = TicketCopyFactory()
    before = timezone.now()

    order = order_create(buyer_id=uuid.uuid4(), ticket_id=ticket.id)

    assert timedelta(seconds=89) < order.expires_at - before < timedelta(seconds=91)
    assert order.expires_at.microsecond % 1000 == 0


@pytest.mark.django_db
class TestOrderExpireIfDue:
    """The expiry task's work: the fast path beside the sweep."""

    @pytest.fixture(autouse=True)
    def _no_grace(self, settings):
        settings.ORDERS_EXPIRATION_GRACE_SECONDS = 0

    def test_cancels_an_open_order_that_is_due(self):
        order = OrderFactory(expires_at=timezone.now() - timedelta(seconds=1))

        assert order_expire_if_due(order_id=order.id) is True
        order.refresh_from_db()
        assert (order.status, order.version) == ("cancelled", 1)

    @pytest.mark.parametrize("status", ["cancelled", "complete"])
    def test_a_late_task_changes_nothing(self, status):
        order = OrderFactory(expires_at=timezone.now() - timedelta(seconds=1), status=status)

        assert order_expire_if_due(order_id=order.id) is False
        assert subjects_published() == []

    def test_a_task_run_early_changes_nothing(self):
        order = OrderFactory()

        assert order_expire_if_due(order_id=order.id) is False
        order.refresh_from_db()
        assert order.status == "created"


@pytest.mark.django_db(transaction=True)
def test_an_order_sends_its_expiry_task_when_the_window_is_short(settings, bus_redis):
    settings.ORDERS_EXPIRATION_SECONDS = 30
    bus_redis.client().delete("orders.tasks")

    order_create(buyer_id=uuid.uuid4(), ticket_id=TicketCopyFactory().id)

    assert bus_redis.queue_length("orders.tasks") == 1


@pytest.mark.django_db(transaction=True)
def test_a_window_beyond_the_visibility_timeout_sends_none(settings, bus_redis):
    settings.ORDERS_EXPIRATION_SECONDS = settings.CELERY_BROKER_TRANSPORT_OPTIONS[
        "visibility_timeout"
    ]
    bus_redis.client().delete("orders.tasks")

    order_create(buyer_id=uuid.uuid4(), ticket_id=TicketCopyFactory().id)

    assert bus_redis.queue_length("orders.tasks") == 0
