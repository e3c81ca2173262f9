from django.urls import path

from orders import apis

urlpatterns = [
    # A malformed id matches no route: the catch-all answers it 404, as an unknown one.
    path("<uuid:order_id>", apis.OrderDetailApi.as_view(), name="order-detail"),
]
