"""The stand-in service serves no requests."""

urlpatterns: list = []
