from django.urls import path

from payments import apis
from ticketing_shared.urls import (  # noqa: F401 (Django looks the handlers up here)
    handler400,
    handler403,
    handler404,
    handler500,
    service_urlpatterns,
)

urlpatterns = [
    # The collection is the bare prefix (`/api/payments`, no slash), so it comes before the
    # shared routes, which answer the bare prefix with a 404.
    path("api/payments", apis.PaymentCreateApi.as_view(), name="payment-create"),
    *service_urlpatterns("payments.urls"),
]
