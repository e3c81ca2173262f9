"""`manage.py demo_tickets`: the demo's tickets, put on sale by the service's ticket_create."""

import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ticketing_shared.events.models import OutboxEvent
from tickets.management.commands.demo_tickets import DEMO_TICKETS
from tickets.models import Ticket
from tickets.prices import price_parse
from tickets.tests.factories import TicketFactory
from tickets.titles import title_clean

pytestmark = pytest.mark.django_db

SELLER = uuid.UUID("5d1f6a0e-3c7b-4f7e-9a52-0d7c2f3b9a11")
PROMOTER = uuid.UUID("a4b0c9d2-8e61-4b3a-b7f5-6e2d1c0f8a22")


def demo_tickets(*sellers: uuid.UUID) -> str:
    out = StringIO()
    call_command("demo_tickets", *(f"--seller={seller}" for seller in sellers), stdout=out)
    return out.getvalue()


def test_every_demo_ticket_passes_the_apis_rules():
    for title, price in DEMO_TICKETS:
        assert title_clean(title) == title
        assert str(price_parse(price)) == price


def test_the_catalogue_is_dealt_among_the_sellers_and_announced():
    printed = demo_tickets(SELLER, PROMOTER)

    tickets = Ticket.objects.all()
    assert sorted((t.title, f"{t.price:.2f}") for t in tickets) == sorted(DEMO_TICKETS)
    half = len(DEMO_TICKETS) // 2
    assert tickets.filter(user_id=SELLER).count() == half
    assert tickets.filter(user_id=PROMOTER).count() == len(DEMO_TICKETS) - half
    for ticket in tickets:
        assert ticket.status == Ticket.Status.AVAILABLE
        assert ticket.version == 0
        assert ticket.title_search  # searchable, as the service writes it
    # Each one's ticket:created, in the outbox as any other ticket's, for orders.
    created = OutboxEvent.objects.filter(subject="ticket:created")
    assert sorted(event.envelope["data"]["id"] for event in created) == sorted(
        str(ticket.id) for ticket in tickets
    )
    assert {tuple(event.consumers) for event in created} == {("orders",)}
    assert f"seller {SELLER}: {half} tickets put on sale" in printed


def test_running_it_again_changes_nothing():
    demo_tickets(SELLER, PROMOTER)
    before = set(Ticket.objects.values_list("id", "version"))
    events = OutboxEvent.objects.count()

    printed = demo_tickets(SELLER, PROMOTER)

    assert set(Ticket.objects.values_list("id", "version")) == before
    assert OutboxEvent.objects.count() == events
    assert printed.count("already sells tickets, left as they are") == 2


def test_a_seller_who_already_sells_gets_none_and_the_others_their_share():
    own = TicketFactory(user_id=SELLER, title="My own ticket")

    demo_tickets(SELLER, PROMOTER)

    assert list(Ticket.objects.filter(user_id=SELLER)) == [own]
    assert (
        Ticket.objects.filter(user_id=PROMOTER).count()
        == len(DEMO_TICKETS) - len(DEMO_TICKETS) // 2
    )


def test_one_seller_gets_the_whole_catalogue():
    demo_tickets(SELLER)

    assert Ticket.objects.filter(user_id=SELLER).count() == len(DEMO_TICKETS)


def test_it_needs_a_seller():
    with pytest.raises(CommandError, match="--seller"):
        call_command("demo_tickets", stdout=StringIO())


def test_it_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="not for production"):
        demo_tickets(SELLER)

    assert not Ticket.objects.exists()
