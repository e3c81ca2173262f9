import pytest
from django.test import Client


def test_a_body_over_the_upload_limit_to_a_django_view_is_a_413(settings):
    # Outside DRF, Django answers the oversized body through handler400: still a 413.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32  # the CSRF check then reads the form

    response = client.post("/admin/sample/logout/", {"note": "x" * 200})

    assert response.status_code == 413
    assert response.json() == {"errors": [{"message": "Request body too large"}]}


COMPACT_NOT_FOUND = b'{"errors":[{"message":"Not Found"}]}'


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/sample/echo"),  # DRF's view, its exception handler
        ("GET", "/api/sample/nothing-here"),  # the catch-all Django view
        ("GET", "/elsewhere"),  # handler404
        ("TRACE", "/api/sample/docs"),  # a bare 405 the middleware replaces
    ],
)
def test_the_same_error_is_the_same_bytes_whoever_answers_it(method, path):
    response = Client().generic(method, path)

    assert response.status_code == 404
    assert response.content == COMPACT_NOT_FOUND
    assert response["Content-Type"] == "application/json"
