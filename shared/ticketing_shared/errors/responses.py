from django.http import JsonResponse


def error_body(message: str, field: str | None = None) -> dict:
    error = {"message": message}
    if field:
        error["field"] = field
    return {"errors": [error]}


def error_response(status: int, message: str, field: str | None = None) -> JsonResponse:
    """A plain Django response in the error format, for code outside DRF views."""
    return JsonResponse(error_body(message, field), status=status)
