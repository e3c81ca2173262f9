"""The tickets admin, reached with single sign-on: a staff access token in the access cookie
(`ticketing_shared.admin_sso`), as the auth service's sign-in sets it."""

import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from ticketing_shared.events.models import OutboxEvent
from tickets.models import OrderCopy, Ticket
from tickets.services import CANNOT_EDIT_RESERVED, TICKET_CHANGED, ticket_update
from tickets.tests.factories import OrderCopyFactory, TicketFactory

pytestmark = pytest.mark.django_db

TICKETS = "/admin/tickets/tickets/ticket/"
ORDER_COPIES = "/admin/tickets/tickets/ordercopy/"


def sent_to_sign_in(client: Client, response) -> bool:
    """Whether `response` sends the browser, through the admin's own sign-in page, to the
    ticketing account's sign-in, to come back to the admin."""
    if response.status_code != 302:
        return False
    onwards = client.get(response["Location"])
    return onwards.status_code == 302 and onwards["Location"].startswith(
        f"{settings.TICKETING_SIGNIN_URL}?next=%2Fadmin%2Ftickets%2F"
    )


def listed_ids(response) -> set[uuid.UUID]:
    return {ticket.id for ticket in response.context["cl"].result_list}


def change_form(ticket: Ticket, **fields) -> dict:
    """What the ticket's change form posts: the ticket as it is, opened at its version, but for
    `fields`."""
    return {
        "title": ticket.title,
        "price": str(ticket.price),
        "seen_version": ticket.version,
        "_save": "Save",
        **fields,
    }


def change(client: Client, ticket: Ticket, **fields):
    return client.post(f"{TICKETS}{ticket.pk}/change/", change_form(ticket, **fields), follow=True)


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def updates_announced() -> list[dict]:
    return [
        event.envelope["data"] for event in OutboxEvent.objects.filter(subject="ticket:updated")
    ]


class TestTheList:
    def test_searches_titles(self, staff_client):
        opera, _jazz = TicketFactory(title="Opera night"), TicketFactory(title="Jazz evening")

        response = staff_client.get(TICKETS, {"q": "opera"})

        assert response.status_code == 200
        assert listed_ids(response) == {opera.id}

    def test_searches_titles_as_the_api_does(self, staff_client):
        street, _other = TicketFactory(title="Straße Fest"), TicketFactory(title="Opera")

        response = staff_client.get(TICKETS, {"q": "STRASSE"})

        assert listed_ids(response) == {street.id}

    @pytest.mark.parametrize("field", ["id", "user_id", "order_id"])
    def test_searches_exact_ids(self, staff_client, field):
        wanted, _other = TicketFactory(reserved=True), TicketFactory(reserved=True)

        response = staff_client.get(TICKETS, {"q": str(getattr(wanted, field))})

        assert listed_ids(response) == {wanted.id}

    def test_text_that_is_no_id_still_searches_titles(self, staff_client):
        # The id fields cannot hold it: a search that tried them with it would fail.
        named, _other = TicketFactory(title="Row 7, not-a-uuid"), TicketFactory()

        response = staff_client.get(TICKETS, {"q": "not-a-uuid"})

        assert response.status_code == 200
        assert listed_ids(response) == {named.id}

    def test_filters_by_status(self, staff_client):
        TicketFactory()
        reserved = TicketFactory(reserved=True)
        TicketFactory(sold=True)

        response = staff_client.get(TICKETS, {"status__exact": "reserved"})

        assert listed_ids(response) == {reserved.id}


class TestTheChangeForm:
    def test_opens_at_the_tickets_version(self, staff_client):
        ticket = TicketFactory(version=3)

        response = staff_client.get(f"{TICKETS}{ticket.pk}/change/")

        assert response.status_code == 200
        assert response.context["adminform"].form["seen_version"].value() == 3

    def test_edits_title_and_price_as_a_versioned_change_announced(self, staff_client):
        ticket = TicketFactory(title="Concert", price=Decimal("20.00"))

        response = change(staff_client, ticket, title="  Concert, row 5  ", price="25.50")

        [message] = shown_messages(response)
        assert message.endswith("was changed successfully.")
        ticket.refresh_from_db()
        assert (ticket.title, ticket.price, ticket.version) == (
            "Concert, row 5",
            Decimal("25.50"),
            1,
        )
        assert updates_announced() == [
            {
                "id": str(ticket.id),
                "version": 1,
                "title": "Concert, row 5",
                "price": "25.50",
                "userId": str(ticket.user_id),
                "orderId": None,
            }
        ]

    def test_a_form_opened_before_the_last_change_is_refused(self, staff_client):
        ticket = TicketFactory(title="Concert", price=Decimal("20.00"))
        opened_at = change_form(ticket, title="Staff's title", price="99.00")
        # The seller edits the ticket while the form is open.
        ticket_update(
            ticket_id=ticket.id,
            editor_id=ticket.user_id,
            title="Seller's title",
            price=Decimal("30.00"),
        )

        response = staff_client.post(f"{TICKETS}{ticket.pk}/change/", opened_at, follow=True)

        assert shown_messages(response) == [TICKET_CHANGED]
        # Back on the form, opened again at the version the ticket is at now.
        assert response.context["adminform"].form["seen_version"].value() == 1
        ticket.refresh_from_db()
        assert (ticket.title, ticket.price, ticket.version) == (
            "Seller's title",
            Decimal("30.00"),
            1,
        )
        assert [update["version"] for update in updates_announced()] == [1]

    @pytest.mark.parametrize("status", ["reserved", "sold"])
    def test_a_ticket_an_order_holds_is_refused(self, staff_client, status):
        ticket = TicketFactory(title="Concert", price=Decimal("20.00"), **{status: True})

        response = change(staff_client, ticket, title="Other", price="10.00")

        assert shown_messages(response) == [CANNOT_EDIT_RESERVED]
        ticket.refresh_from_db()
        assert (ticket.title, ticket.price, ticket.version) == ("Concert", Decimal("20.00"), 0)
        assert updates_announced() == []

    @pytest.mark.parametrize("price", ["0", "-1", "1000000.01", "1.234", "abc"])
    def test_a_price_out_of_range_or_too_precise_is_a_form_error(self, staff_client, price):
        ticket = TicketFactory(price=Decimal("20.00"))

        response = change(staff_client, ticket, price=price)

        assert response.status_code == 200
        assert "price" in response.context["adminform"].form.errors
        ticket.refresh_from_db()
        assert (ticket.price, ticket.version) == (Decimal("20.00"), 0)
        assert updates_announced() == []

    def test_a_blank_title_is_a_form_error(self, staff_client):
        ticket = TicketFactory(title="Concert")

        response = change(staff_client, ticket, title="   ")

        assert "title" in response.context["adminform"].form.errors
        ticket.refresh_from_db()
        assert (ticket.title, ticket.version) == ("Concert", 0)

    def test_only_title_and_price_are_edited(self, staff_client):
        ticket = TicketFactory()
        seller = ticket.user_id

        change(
            staff_client,
            ticket,
            title="Renamed",
            user_id=str(uuid.uuid4()),
            status="sold",
            order_id=str(uuid.uuid4()),
            version="41",
        )

        ticket.refresh_from_db()
        assert (ticket.user_id, ticket.status, ticket.order_id) == (seller, "available", None)
        assert ticket.version == 1

    def test_saving_it_unchanged_makes_no_version(self, staff_client):
        ticket = TicketFactory()

        response = change(staff_client, ticket)

        assert response.status_code == 200
        ticket.refresh_from_db()
        assert ticket.version == 0
        assert updates_announced() == []

    @pytest.mark.parametrize(
        ("title", "stored"),
        [
            ("line\nbreak", None),
            ("bell\u0007", None),
            ("\u200b\u200b", None),
            ("cafe\u0301", "caf\u00e9"),
        ],
        ids=repr,
    )
    def test_the_apis_title_rules_hold_here(self, staff_client, title, stored):
        ticket = TicketFactory(title="Concert")

        response = change(staff_client, ticket, title=title)

        ticket.refresh_from_db()
        if stored is None:
            assert "title" in response.context["adminform"].form.errors
            assert (ticket.title, ticket.version) == ("Concert", 0)
        else:
            assert (ticket.title, ticket.version) == (stored, 1)


class TestNoAddingNorDeleting:
    def test_add_is_not_offered(self, staff_client):
        assert staff_client.get(f"{TICKETS}add/").status_code == 403
        assert not staff_client.get(TICKETS).context["has_add_permission"]

    def test_delete_is_not_offered(self, staff_client):
        ticket = TicketFactory()

        assert staff_client.get(f"{TICKETS}{ticket.pk}/delete/").status_code == 403
        staff_client.post(
            TICKETS, {"action": "delete_selected", "_selected_action": [str(ticket.pk)]}
        )

        assert Ticket.objects.filter(pk=ticket.pk).exists()


class TestOrderCopiesAreReadOnly:
    def test_staff_see_them(self, staff_client):
        copy = OrderCopyFactory()

        assert staff_client.get(ORDER_COPIES).status_code == 200
        page = staff_client.get(f"{ORDER_COPIES}{copy.pk}/change/")
        assert page.status_code == 200
        assert not page.context["has_change_permission"]

    def test_nothing_is_added_changed_or_deleted(self, staff_client):
        copy = OrderCopyFactory(version=2, status=OrderCopy.Status.CREATED)

        added = staff_client.get(f"{ORDER_COPIES}add/")
        changed = staff_client.post(
            f"{ORDER_COPIES}{copy.pk}/change/",
            {"ticket_id": str(uuid.uuid4()), "version": "5", "status": "cancelled"},
        )
        deleted = staff_client.post(f"{ORDER_COPIES}{copy.pk}/delete/", {"post": "yes"})

        assert (added.status_code, changed.status_code, deleted.status_code) == (403, 403, 403)
        copy.refresh_from_db()
        assert (copy.version, copy.status) == (2, OrderCopy.Status.CREATED)


class TestWhoIsLetIn:
    def test_a_user_who_is_not_staff_is_sent_to_sign_in(self, sign_in):
        client = Client()
        sign_in(client)
        ticket = TicketFactory(title="Concert")

        listed = client.get(TICKETS)
        changed = client.post(f"{TICKETS}{ticket.pk}/change/", change_form(ticket, title="Mine"))

        for response in (listed, changed):
            assert sent_to_sign_in(client, response)
        ticket.refresh_from_db()
        assert (ticket.title, ticket.version) == ("Concert", 0)

    def test_no_token_is_sent_to_sign_in(self):
        client = Client()

        assert sent_to_sign_in(client, client.get(TICKETS))
