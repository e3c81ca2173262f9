from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.core.exceptions import BadRequest, ValidationError

from users.models import User
from users.services import user_deactivate, user_reactivate, user_sessions_lock


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ["-date_joined"]
    list_display = ["email", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Access",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    actions = ["deactivate_users", "reactivate_users"]

    def lookup_allowed(self, lookup, value, request=None):
        """Only the lookups the list's own filters send (`is_active__exact=1`, ...); search
        goes by `q`, which is no lookup. Django lets through any lookup on the model's own
        fields, typed into the address by hand, and the database then fails on some values
        (`?email__regex=(`, `?date_joined__year=99999999999`): a 500 where a 400 is due."""
        # Each boolean filter sends `<field>__exact` or `<field>__isnull`.
        sent_by_filters = {
            f"{name}__{suffix}" for name in self.list_filter for suffix in ("exact", "isnull")
        }
        return lookup in sent_by_filters

    def response_action(self, request, queryset):
        # An action's form posts the ids of the ticked users: anything else is no form of ours,
        # and filtering the users by it would fail in the database layer (a 500).
        for selected in request.POST.getlist(ACTION_CHECKBOX_NAME):
            try:
                self.model._meta.pk.to_python(selected)
            except ValidationError as error:
                raise BadRequest("An action named something that is no user id") from error
        return super().response_action(request, queryset)

    def save_model(self, request, obj, form, change):
        deactivating = change and "is_active" in form.changed_data and not obj.is_active
        if deactivating:
            # Before the user's row is written, as every write to their sessions does.
            user_sessions_lock(user_id=obj.pk)
        super().save_model(request, obj, form, change)
        if deactivating:
            # Through the service, so the user's sessions are revoked as well.
            user_deactivate(user=obj)

    @admin.action(description="Deactivate selected users (ends their sessions)")
    def deactivate_users(self, request, queryset):
        for user in queryset.filter(is_active=True):
            user_deactivate(user=user)
        self.message_user(request, "The selected users were deactivated.", messages.SUCCESS)

    @admin.action(description="Reactivate selected users")
    def reactivate_users(self, request, queryset):
        for user in queryset.filter(is_active=False):
            user_reactivate(user=user)
        self.message_user(request, "The selected users were reactivated.", messages.SUCCESS)
