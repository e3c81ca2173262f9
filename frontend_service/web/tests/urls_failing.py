"""The site's own URLs and one view that fails, for the 500 page's tests."""

from django.urls import path

from config.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


class ViewFailure(Exception):
    """What a bug in a view raises: nothing any middleware expects."""


def view_that_fails(request):
    raise ViewFailure("secret detail of the failure")


urlpatterns = [*urlpatterns, path("fails", view_that_fails)]
