from django.apps import AppConfig


class CopiesConfig(AppConfig):
    name = "ticketing_shared.testing.bus.copies"
    label = "copies"
    default_auto_field = "django.db.models.BigAutoField"
