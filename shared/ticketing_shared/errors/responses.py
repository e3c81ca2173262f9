from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer


def error_body(message: str, field: str | None = None) -> dict:
    error = {"message": message}
    if field:
        error["field"] = field
    return {"errors": [error]}


def error_response(status: int, message: str, field: str | None = None) -> HttpResponse:
    """A plain Django response in the error format, for code outside DRF views.

    Rendered by DRF's own renderer (compact, UTF-8), so that an error is the same bytes
    whether a DRF view, a Django view or a middleware answers it.
    """
    return HttpResponse(
        JSONRenderer().render(error_body(message, field)),
        status=status,
        content_type="application/json",
    )
