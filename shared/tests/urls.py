from django.urls import path

from tests.sample import views
from ticketing_shared.urls import (  # noqa: F401 (Django looks the handlers up here)
    handler400,
    handler403,
    handler404,
    handler500,
    service_urlpatterns,
)

urlpatterns = [
    *service_urlpatterns("tests.sample.urls"),
    path("sample-pages/outbox-event", views.outbox_event_published),
    path("sample-pages/broken", views.broken_page),
    path("sample-pages/plain", views.PlainPage.as_view()),
]
