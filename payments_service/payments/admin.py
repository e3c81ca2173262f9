from django.contrib import admin, messages

from payments.models import OrderCopy, Payment
from payments.services import payment_refund
from ticketing_shared.errors.exceptions import ApplicationError
from ticketing_shared.readonly_admin import ReadOnlyAdmin


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments are made by buyers and refunded by the service: amounts are read here, and a
    refund goes through `payment_refund`, as the automatic one does (the processor that
    charged, once). Refunding here gives the money back and nothing more: the order stays
    complete and the ticket sold (a goodwill refund); cancelling an order is orders' to do."""

    list_display = ["id", "order_id", "amount", "currency", "status", "processor", "created_at"]
    list_filter = ["status", "processor", "currency"]
    search_fields = ["=id", "=order__id", "=charge_id", "=order__user_id"]
    readonly_fields = [
        "id",
        "order",
        "processor",
        "charge_id",
        "amount",
        "currency",
        "status",
        "confirmations",
        "refund_requested_at",
        "refund_id",
        "created_at",
        "succeeded_at",
        "refunded_at",
    ]
    fields = readonly_fields
    actions = ["refund"]

    def has_change_permission(self, request, obj=None):
        # Every field is read-only: the one change staff can make is the refund action, to
        # those Django lets change payments.
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    @admin.action(description="Refund the selected payments", permissions=["change"])
    def refund(self, request, queryset):
        refunded = 0
        for payment in queryset:
            if payment.status != Payment.Status.SUCCEEDED:
                # Nothing charged to give back; an ended order's pending one is voided by
                # the service itself.
                continue
            try:
                payment_refund(payment_id=payment.id)
            except ApplicationError as error:
                self.message_user(
                    request, f"{payment.id} was not refunded: {error.message}", messages.ERROR
                )
            else:
                refunded += 1
        self.message_user(request, f"{refunded} payment(s) refunded.", messages.SUCCESS)


@admin.register(OrderCopy)
class OrderCopyAdmin(ReadOnlyAdmin):
    """Kept by orders' events alone."""

    list_display = ["id", "status", "price", "user_id", "expires_at", "version", "updated_at"]
    list_filter = ["status"]
    search_fields = ["=id", "=user_id", "=ticket_id"]
