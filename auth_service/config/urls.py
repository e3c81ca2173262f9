from django.urls import path

from ticketing_shared.urls import (  # noqa: F401 (Django looks the handlers up here)
    handler400,
    handler403,
    handler404,
    handler500,
    service_urlpatterns,
)
from users import admin_views

urlpatterns = [
    # The admin's sign-in and sign-out for every service: ticketing accounts live here.
    path("admin/users/login/", admin_views.AdminSignInView.as_view(), name="admin-sign-in"),
    path("admin/users/logout/", admin_views.admin_sign_out, name="admin-sign-out"),
    *service_urlpatterns("users.urls"),
]
