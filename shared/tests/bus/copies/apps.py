from django.apps import AppConfig


class CopiesConfig(AppConfig):
    name = "tests.bus.copies"
    label = "copies"
    default_auto_field = "django.db.models.BigAutoField"
