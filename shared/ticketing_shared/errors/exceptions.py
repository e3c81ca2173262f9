"""Errors a service raises to answer with a contract status and message."""

from rest_framework import status
from rest_framework.exceptions import APIException


class NotAuthorized(APIException):
    """401: no signed-in user, or one who does not own the resource (as the contract keeps it)."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Not authorized"
    default_code = "not_authorized"


class BadRequest(APIException):
    """400 for a state rule, e.g. `Ticket is already reserved`; `field` names the input at fault."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad request"
    default_code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TooManyRequests(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many requests"
    default_code = "too_many_requests"

    def __init__(self, message: str | None = None, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
