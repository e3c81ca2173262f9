from django.urls import path

from users import apis

urlpatterns = [
    path("signup", apis.SignUpApi.as_view(), name="signup"),
    path("signin", apis.SignInApi.as_view(), name="signin"),
    path("signout", apis.SignOutApi.as_view(), name="signout"),
    path("currentuser", apis.CurrentUserApi.as_view(), name="currentuser"),
    path("refresh", apis.RefreshApi.as_view(), name="refresh"),
]
