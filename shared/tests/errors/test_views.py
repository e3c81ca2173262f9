from django.test import Client


def test_a_body_over_the_upload_limit_to_a_django_view_is_a_413(settings):
    # Outside DRF, Django answers the oversized body through handler400: still a 413.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32  # the CSRF check then reads the form

    response = client.post("/admin/sample/logout/", {"note": "x" * 200})

    assert response.status_code == 413
    assert response.json() == {"errors": [{"message": "Request body too large"}]}
