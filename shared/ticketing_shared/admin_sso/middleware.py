from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject
from django.utils.module_loading import import_string

from ticketing_shared.auth.authentication import token_user_from_raw


class TokenAuthenticationMiddleware(AuthenticationMiddleware):
    """`request.user` for Django views (the admin) from the access cookie.

    It subclasses Django's middleware so the admin's system checks accept it; the user is
    resolved lazily, so requests that never look at `request.user` cost nothing.
    """

    def process_request(self, request):
        request.user = SimpleLazyObject(lambda: _admin_user(request))


def _admin_user(request):
    token_user = token_user_from_raw(request.COOKIES.get(settings.ACCESS_COOKIE_NAME))
    if token_user is None:
        return AnonymousUser()
    resolve = import_string(settings.TICKETING_ADMIN_USER_RESOLVER)
    user = resolve(token_user)
    if user is None:
        return AnonymousUser()
    request.authenticated_user_id = token_user.id
    return user
