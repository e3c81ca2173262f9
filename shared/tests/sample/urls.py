from django.urls import path

from tests.sample import apis

urlpatterns = [
    path("whoami", apis.WhoAmIApi.as_view()),
    path("public", apis.PublicApi.as_view()),
    path("echo", apis.EchoApi.as_view()),
    path("broken", apis.BrokenApi.as_view()),
    path("orders", apis.OrderCreateApi.as_view()),
    path("visits", apis.VisitsApi.as_view()),
]
