"""The tickets on sale, one ticket, selling and editing, and a seller's own tickets."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from web import selectors, services
from web.backend import BackendRefused, BackendUnavailable
from web.forms import TicketForm, form_errors_add
from web.pages import (
    absolute_url,
    private_page,
    public_page,
    render_page,
    signin_redirect,
    signin_required,
)
from web.views.errors import UNAVAILABLE_HEADERS

SEARCH_MAX_LENGTH = 200
# The list's cursors are well under this; a longer one was edited by hand, and sent on it
# could make the API's request line too long (a 400 that is no search's fault).
CURSOR_MAX_LENGTH = 500


@require_safe
@public_page
def ticket_list(request):
    search = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    cursor = request.GET.get("cursor", "")
    if len(cursor) > CURSOR_MAX_LENGTH:
        cursor = ""
    search_errors = []
    unavailable = None
    try:
        try:
            page = selectors.ticket_list_available(request, search=search, cursor=cursor)
        except BackendRefused as refused:
            if any(error.field == "cursor" for error in refused.errors):
                # A cursor this list never gave (edited by hand): the first page instead.
                cursor = ""
            else:
                # Search text the API refuses (control characters, say): said beside the box.
                search_errors, search = refused.messages, ""
            page = selectors.ticket_list_available(request, search=search)
    except BackendUnavailable as down:
        # The page as ever, its message where the tickets would be.
        page, unavailable = None, down
    response = render_page(
        request,
        "web/tickets/list.html",
        {
            "page": page,
            "search": search,
            "search_errors": search_errors,
            "unavailable": unavailable,
            "is_first_page": not cursor,
        },
        status=503 if unavailable else 400 if search_errors else 200,
    )
    for header, value in UNAVAILABLE_HEADERS.items() if unavailable else ():
        response[header] = value
    return response


@require_safe
@public_page
def ticket_detail(request, ticket_id):
    ticket = selectors.ticket_get(request, ticket_id=str(ticket_id))
    if ticket is None:
        raise Http404("No such ticket")
    return render_page(
        request,
        "web/tickets/detail.html",
        {
            "ticket": ticket,
            "structured_data": _product_structured_data(request, ticket),
            "is_seller": request.user.is_authenticated and str(request.user.id) == ticket.user_id,
        },
    )


# schema.org's availability of an offer, by the ticket's status.
OFFER_AVAILABILITY = {
    "available": "https://schema.org/InStock",
    "reserved": "https://schema.org/OutOfStock",
    "sold": "https://schema.org/SoldOut",
}


def _product_structured_data(request, ticket) -> dict:
    """JSON-LD: the ticket as a schema.org Product with one Offer."""
    url = absolute_url(request, f"/tickets/{ticket.id}")
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": ticket.title,
        "url": url,
        "offers": {
            "@type": "Offer",
            "url": url,
            "price": f"{ticket.price:.2f}",
            "priceCurrency": settings.FRONTEND_CURRENCY,
            "availability": OFFER_AVAILABILITY.get(ticket.status, OFFER_AVAILABILITY["sold"]),
        },
    }


@require_http_methods(["GET", "HEAD", "POST"])
@private_page
@signin_required
def ticket_new(request):
    form = TicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(
                request, title=form.cleaned_data["title"], price=form.cleaned_data["price"]
            )
        except BackendRefused as refused:
            form_errors_add(form, refused)
        else:
            messages.success(request, f"Your ticket “{ticket.title}” is on sale.")
            return redirect("ticket-detail", ticket_id=ticket.id)
    return render_page(
        request, "web/tickets/form.html", {"form": form}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "HEAD", "POST"])
@private_page
@signin_required
def ticket_edit(request, ticket_id):
    ticket = selectors.ticket_get(request, ticket_id=str(ticket_id))
    if ticket is None or ticket.user_id != str(request.user.id):
        # Another seller's ticket is no page of theirs.
        raise Http404("No such ticket of yours")
    if not ticket.is_available:
        # Tickets refuses to change a ticket an order holds: said before anything is typed.
        return render_page(request, "web/tickets/locked.html", {"ticket": ticket})
    initial = {"title": ticket.title, "price": f"{ticket.price:.2f}"}
    form = TicketForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_update(
                request,
                ticket_id=ticket.id,
                title=form.cleaned_data["title"],
                price=form.cleaned_data["price"],
            )
        except BackendRefused as refused:
            form_errors_add(form, refused)
        else:
            messages.success(request, "Your changes are saved.")
            return redirect("ticket-detail", ticket_id=ticket.id)
    return render_page(
        request,
        "web/tickets/form.html",
        {"form": form, "ticket": ticket},
        status=400 if form.errors else 200,
    )


@require_safe
@private_page
@signin_required
def ticket_list_mine(request):
    return render_page(
        request, "web/tickets/mine.html", {"tickets": selectors.ticket_list_mine(request)}
    )


@require_POST
@private_page
def ticket_purchase(request, ticket_id):
    """Purchase: an order that holds the ticket for the buyer while they pay."""
    if not request.user.is_authenticated:
        return signin_redirect(request, next_path=f"/tickets/{ticket_id}")
    try:
        order = services.order_create(request, ticket_id=str(ticket_id))
    except BackendRefused as refused:
        if refused.status == 404:
            raise Http404("No such ticket") from None
        for message in refused.messages:
            messages.error(request, message)
        return redirect("ticket-detail", ticket_id=ticket_id)
    minutes = max(1, round(order.seconds_left / 60))
    messages.success(
        request,
        f"The ticket is yours for {minutes} {pluralize(minutes, 'minute,minutes')}: "
        "pay to keep it.",
    )
    return redirect("order-detail", order_id=order.id)
