"""The errors a service function raises when a rule of the domain refuses what was asked.

They know nothing of HTTP (HackSoft's `ApplicationError`): `ticketing_shared.errors.handlers`
maps each to the contract's status and error format in one place, and admin views and
management commands that call the same services show `message` as it is.
"""


class ApplicationError(Exception):
    """A rule refused the operation (400 on the API): `Ticket is already reserved`.

    `field` names the input at fault, where one is.
    """

    default_message = "Bad request"

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or self.default_message
        self.field = field
        super().__init__(self.message)


class NotAuthorized(ApplicationError):
    """No signed-in user, or one who may not touch the resource (401: the contract answers
    both alike)."""

    default_message = "Not authorized"


class NotFound(ApplicationError):
    default_message = "Not Found"


class Conflict(ApplicationError):
    """Another request is changing the same resource right now (409): try again once it is
    done."""

    default_message = "The resource is being changed by another request, try again"


class UpstreamUnavailable(ApplicationError):
    """An outside party the operation needs (the card processor) failed or did not answer
    (502): nothing is wrong with the request, and it can be sent again."""

    default_message = "An outside service did not answer, try again shortly"


class TooManyAttempts(ApplicationError):
    """A limit on attempts is reached (429); `retry_after` is in seconds."""

    default_message = "Too many attempts, try again later"

    def __init__(self, message: str | None = None, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
