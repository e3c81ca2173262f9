from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from ticketing_shared.errors.exceptions import ApplicationError
from ticketing_shared.readonly_admin import ReadOnlyAdmin
from tickets.models import OrderCopy, Ticket
from tickets.search import search_key
from tickets.services import ticket_update_by_staff
from tickets.titles import InvalidTitle, title_clean


class TicketChangeForm(forms.ModelForm):
    # The version the form was opened at: saving refuses a ticket changed since.
    seen_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = Ticket
        fields = ["title", "price"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen_version"].initial = self.instance.version

    def clean_title(self):
        # The API's rules for a title, here too: staff's edits reach the same buyers.
        try:
            return title_clean(self.cleaned_data["title"])
        except InvalidTitle as error:
            raise forms.ValidationError(error.message) from None


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Title and price are edited through the same service as the seller's edits, so an edit
    here raises the version and announces `ticket:updated` too; the rest belongs to the seller
    and to orders, and is read-only."""

    form = TicketChangeForm
    list_display = ["title", "price", "status", "version", "user_id", "order_id", "created_at"]
    list_filter = ["status"]
    # Titles are searched as the API searches them (get_search_results), ids exactly.
    search_fields = ["=id", "=user_id", "=order_id"]
    readonly_fields = ["id", "user_id", "status", "order_id", "version", "created_at", "updated_at"]
    fieldsets = (
        (None, {"fields": ("title", "price", "seen_version")}),
        ("Sale", {"fields": ("id", "user_id", "status", "order_id", "version")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )

    def get_search_results(self, request, queryset, search_term):
        by_id, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if not search_term.strip():
            return by_id, may_have_duplicates
        by_title = queryset.filter(title_search__contains=search_key(search_term.strip()))
        return by_id | by_title, may_have_duplicates

    def has_add_permission(self, request):
        # Sellers put tickets up for sale; the admin has no seller to put one up for.
        return False

    def has_delete_permission(self, request, obj=None):
        # Orders keeps a copy of every ticket, and no event tells it of a deletion.
        return False

    def save_model(self, request, obj, form, change):
        if not {"title", "price"} & set(form.changed_data):
            return  # saved as it was: no new version, nothing to announce
        ticket_update_by_staff(
            ticket_id=obj.pk,
            expected_version=form.cleaned_data["seen_version"],
            title=form.cleaned_data["title"],
            price=form.cleaned_data["price"],
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            # The change was rolled back with the form's transaction; say why, and show the
            # ticket as it is now.
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(OrderCopy)
class OrderCopyAdmin(ReadOnlyAdmin):
    """Kept by order events alone."""

    list_display = ["id", "ticket_id", "status", "version", "updated_at"]
    list_filter = ["status"]
    search_fields = ["=id", "=ticket_id"]
