from django.urls import path

from tickets import apis

urlpatterns = [
    path("mine", apis.MyTicketListApi.as_view(), name="ticket-mine"),
    # A malformed id matches no route: the catch-all answers it 404, as an unknown one.
    path("<uuid:ticket_id>", apis.TicketDetailApi.as_view(), name="ticket-detail"),
]
