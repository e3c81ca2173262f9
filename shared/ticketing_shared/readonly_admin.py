from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """What other parts of the system write (events, the copies other services' events keep):
    staff read it here, and change it only through the actions an admin offers."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
