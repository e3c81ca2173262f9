from django.contrib import admin
from django.utils.html import format_html_join

from orders.models import Order, TicketCopy
from ticketing_shared.events.models import OutboxEvent
from ticketing_shared.readonly_admin import ReadOnlyAdmin


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    """Orders change through the buyer, payments and expiry, each announcing the change: here
    they are read, with the events each one announced, in order."""

    list_display = ["id", "status", "user_id", "ticket", "expires_at", "version", "created_at"]
    list_filter = ["status"]
    search_fields = ["=id", "=user_id", "=ticket__id", "ticket__title"]
    list_select_related = ["ticket"]
    readonly_fields = [
        "id",
        "user_id",
        "ticket",
        "status",
        "expires_at",
        "version",
        "created_at",
        "updated_at",
        "event_history",
    ]
    fields = readonly_fields

    @admin.display(description="events announced")
    def event_history(self, order: Order):
        events = OutboxEvent.objects.filter(envelope__data__id=str(order.id)).order_by("position")
        return (
            format_html_join(
                "\n",
                "<div>v{} {} at {} (sent {})</div>",
                (
                    (
                        event.envelope["data"]["version"],
                        event.subject,
                        event.occurred_at.isoformat(timespec="seconds"),
                        event.published_at.isoformat(timespec="seconds")
                        if event.published_at
                        else "not yet",
                    )
                    for event in events
                ),
            )
            or "none"
        )


@admin.register(TicketCopy)
class TicketCopyAdmin(ReadOnlyAdmin):
    """Kept by tickets' events alone."""

    list_display = ["title", "price", "version", "user_id", "updated_at"]
    search_fields = ["=id", "title"]
