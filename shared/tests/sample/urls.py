from django.urls import path

from tests.sample import apis, views

urlpatterns = [
    path("whoami", apis.WhoAmIApi.as_view()),
    path("public", apis.PublicApi.as_view()),
    path("echo", apis.EchoApi.as_view()),
    path("broken", apis.BrokenApi.as_view()),
    path("orders", apis.OrderCreateApi.as_view()),
    path("visits", apis.VisitsApi.as_view()),
    path("archive", apis.ArchiveApi.as_view()),
    path("archive-writable", apis.ArchiveApi.as_view(http_method_names=["get", "head", "post"])),
    path("notes", apis.NoteViewSet.as_view({"get": "list"})),
    path("method-echo", views.method_echo),
    path("staff-page", views.StaffPage.as_view()),
]
