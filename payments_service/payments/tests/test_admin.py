"""The payments admin, reached with single sign-on (a staff access token in the access cookie)."""

import uuid

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from payments.models import Payment, TestPaymentIntent
from payments.services import payment_create
from payments.tests.factories import OrderCopyFactory, PaymentFactory
from ticketing_shared.errors.exceptions import ApplicationError

pytestmark = pytest.mark.django_db

PAYMENTS = "/admin/payments/payments/payment/"


def paid_payment() -> Payment:
    order = OrderCopyFactory()
    return payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_visa")


def listed_ids(response) -> set[uuid.UUID]:
    return {payment.id for payment in response.context["cl"].result_list}


def test_lists_filters_by_status_and_searches(staff_client):
    succeeded = PaymentFactory()
    refunded = PaymentFactory(status="refunded", refunded_at=succeeded.created_at)

    by_status = staff_client.get(PAYMENTS, {"status__exact": "refunded"})
    by_order = staff_client.get(PAYMENTS, {"q": str(succeeded.order_id)})
    by_charge = staff_client.get(PAYMENTS, {"q": refunded.charge_id})
    by_text = staff_client.get(PAYMENTS, {"q": "not-a-uuid"})

    assert listed_ids(by_status) == {refunded.id}
    assert listed_ids(by_order) == {succeeded.id}
    assert listed_ids(by_charge) == {refunded.id}
    assert by_text.status_code == 200


def test_the_refund_action_refunds_through_the_service_once(staff_client):
    payment = paid_payment()

    for _ in range(2):
        response = staff_client.post(
            PAYMENTS, {"action": "refund", "_selected_action": [str(payment.id)]}, follow=True
        )
        assert response.status_code == 200

    payment.refresh_from_db()
    assert payment.status == "refunded"
    assert TestPaymentIntent.objects.get().refund_id == payment.refund_id


def test_amounts_are_not_edited_here(staff_client):
    payment = paid_payment()

    staff_client.post(f"{PAYMENTS}{payment.id}/change/", {"amount": 1, "currency": "EUR"})

    payment.refresh_from_db()
    assert (payment.amount, payment.currency) == (2000, "USD")
    assert staff_client.get(f"{PAYMENTS}add/").status_code == 403
    assert staff_client.post(f"{PAYMENTS}{payment.id}/delete/", {"post": "yes"}).status_code == 403


def test_staff_who_may_only_view_payments_cannot_refund(sign_in):
    payment = paid_payment()
    viewer = Client()
    staff = sign_in(viewer, is_staff=True)
    assert viewer.get(PAYMENTS).status_code == 403  # their stand-in exists now, with no rights
    User.objects.get(username=str(staff.id)).user_permissions.add(
        Permission.objects.get(codename="view_payment")
    )
    assert viewer.get(PAYMENTS).status_code == 200

    viewer.post(PAYMENTS, {"action": "refund", "_selected_action": [str(payment.id)]})

    payment.refresh_from_db()
    assert payment.status == "succeeded"


def test_signed_out_sees_no_payment():
    response = Client().get(PAYMENTS)

    assert response.status_code == 302


def test_the_refund_action_leaves_a_pending_payment_to_its_buyer(staff_client):
    order = OrderCopyFactory()
    with pytest.raises(ApplicationError):
        payment_create(order_id=order.id, buyer_id=order.user_id, token="tok_chargeDeclined")
    pending = Payment.objects.get()

    staff_client.post(PAYMENTS, {"action": "refund", "_selected_action": [str(pending.id)]})

    # Not voided: the order is open, and its buyer may still pay it with another card.
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert TestPaymentIntent.objects.get().status == "requires_payment_method"
