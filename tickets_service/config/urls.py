from django.urls import path

from ticketing_shared.urls import (  # noqa: F401 (Django looks the handlers up here)
    handler400,
    handler403,
    handler404,
    handler500,
    service_urlpatterns,
)
from tickets import apis

urlpatterns = [
    # The collection is the bare prefix (`/api/tickets`, no slash), so it comes before the
    # shared routes, which answer the bare prefix with a 404.
    path("api/tickets", apis.TicketListCreateApi.as_view(), name="ticket-list"),
    *service_urlpatterns("tickets.urls"),
]
