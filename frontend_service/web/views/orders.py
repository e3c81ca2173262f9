"""A buyer's orders, one order with its time left to pay, paying and cancelling."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST, require_safe

from web import selectors, services
from web.backend import BackendRefused, BackendUnavailable
from web.forms import PaymentForm, StripePaymentForm, form_errors_add
from web.pages import private_page, render_page, signin_required


@require_safe
@private_page
@signin_required
def order_list(request):
    return render_page(
        request, "web/orders/list.html", {"orders": selectors.order_list_mine(request)}
    )


# Payments' refusal of a second payment for one order (contract §6).
ALREADY_PAID = "Order has already been paid"
PAYMENT_NOT_READY = "Your order is still being set up: try paying again in a moment."


def _payment_form_class():
    return StripePaymentForm if settings.FRONTEND_STRIPE_PUBLISHABLE_KEY else PaymentForm


def _order_page(request, order, *, form=None, status=200):
    ticket = None
    if order.state == "expired" or order.state == "cancelled":
        # Offered again when it is back on sale; a failure here only hides the offer.
        try:
            ticket = selectors.ticket_get(request, ticket_id=order.ticket.id)
        except BackendUnavailable:
            ticket = None
    stripe_key = settings.FRONTEND_STRIPE_PUBLISHABLE_KEY
    if order.is_payable and stripe_key:
        request.csp_allows_stripe = True
    return render_page(
        request,
        "web/orders/detail.html",
        {
            "order": order,
            "form": form or _payment_form_class()(),
            "ticket_again": ticket if ticket is not None and ticket.is_available else None,
            "stripe_publishable_key": stripe_key,
        },
        status=status,
    )


def _order_or_404(request, order_id):
    order = selectors.order_get(request, order_id=str(order_id))
    if order is None:
        raise Http404("No such order of yours")
    return order


@require_safe
@private_page
@signin_required
def order_detail(request, order_id):
    return _order_page(request, _order_or_404(request, order_id))


@require_POST
@private_page
@signin_required
def order_pay(request, order_id):
    # Payments checks that the order is the user's and still open; the order is read only to
    # show it again when the payment is refused.
    order_id = str(order_id)
    form = _payment_form_class()(request.POST)
    if form.is_valid():
        try:
            services.payment_create(request, order_id=order_id, token=form.cleaned_data["token"])
        except BackendRefused as refused:
            if ALREADY_PAID in refused.messages:
                # The same form sent twice (a double click): the first one paid.
                return _paid_page_redirect(request, order_id)
            if refused.status in (401, 404):
                # Not the user's order, or one payments has not heard of yet (its event is
                # on its way): the order page below tells which.
                form.add_error(None, PAYMENT_NOT_READY)
            else:
                form_errors_add(form, refused)
        else:
            return _paid_page_redirect(request, order_id)
    # The order as it is now (the payment may have found it expired or cancelled).
    return _order_page(request, _order_or_404(request, order_id), form=form, status=400)


def _paid_page_redirect(request, order_id: str):
    """To the order's page once the payment is taken, saying how the order stands."""
    try:
        settled = selectors.order_get_once_settled(
            request, order_id=order_id, timeout=settings.FRONTEND_PAYMENT_CONFIRM_WAIT_SECONDS
        )
    except (BackendUnavailable, BackendRefused):
        # The payment is taken; only the order's news is late.
        settled = None
    if settled is not None and settled.status == "complete":
        messages.success(request, "Paid: the ticket is yours.")
    elif settled is not None and settled.status == "cancelled":
        messages.warning(
            request, "The order was cancelled before the payment went through: it is refunded."
        )
    else:
        messages.success(request, "Payment received: your order is being confirmed.")
    return redirect("order-detail", order_id=order_id)


@require_POST
@private_page
@signin_required
def order_cancel(request, order_id):
    order_id = str(order_id)
    try:
        services.order_cancel(request, order_id=order_id)
    except BackendRefused as refused:
        # Orders judges the order's state before its owner (contract §2): a refusal says
        # something of the order only to the user it belongs to.
        if refused.status in (401, 404) or selectors.order_get(request, order_id=order_id) is None:
            raise Http404("No such order of yours") from None
        for message in refused.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Order cancelled: the ticket is back on sale.")
    return redirect("order-detail", order_id=order_id)
