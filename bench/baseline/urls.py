from django.urls import path

from baseline.views import ok, ticket_row

# Under the tickets API prefix, so that the shared middleware treats it as an API path.
BASELINE_PATH = "api/tickets/baseline"

urlpatterns = [
    path(BASELINE_PATH, ok),
    # Only settings_db has a database to read it from.
    path(f"{BASELINE_PATH}/<uuid:ticket_id>", ticket_row),
]
