"""The auth API (contract §3): thin views over `services` and `selectors`."""

from django.conf import settings
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import AccessToken

from ticketing_shared.auth.authentication import JWTAuthentication
from ticketing_shared.auth.cookies import auth_cookies_clear, auth_cookies_set
from ticketing_shared.errors.exceptions import NotAuthorized
from users.selectors import current_user_from_claims
from users.services import (
    session_end,
    session_refresh,
    session_start,
    user_sign_in,
    user_sign_up,
)
from users.signin_throttle import client_ip

EMAIL_MUST_BE_VALID = "Email must be valid"
PASSWORD_RULE = "Password must be between 8 and 128 characters"  # noqa: S105 (a message, not a password)
PASSWORD_REQUIRED = "You must supply a password"  # noqa: S105 (a message, not a password)


def _messages(message: str) -> dict:
    return dict.fromkeys(("required", "blank", "null", "invalid", "max_length"), message)


class UserOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()


class SignUpApi(APIView):
    authentication_classes = []

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(error_messages=_messages(EMAIL_MUST_BE_VALID))
        password = serializers.CharField(
            trim_whitespace=False, error_messages=_messages(PASSWORD_RULE)
        )

    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, tokens = user_sign_up(**serializer.validated_data)
        response = Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)
        auth_cookies_set(response, access=tokens.access, refresh=tokens.refresh)
        return response


class SignInApi(APIView):
    authentication_classes = []

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(error_messages=_messages(EMAIL_MUST_BE_VALID))
        password = serializers.CharField(
            trim_whitespace=False, max_length=4096, error_messages=_messages(PASSWORD_REQUIRED)
        )

    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_sign_in(**serializer.validated_data, ip=client_ip(request))
        tokens = session_start(user=user)
        response = Response(UserOutputSerializer(user).data)
        auth_cookies_set(response, access=tokens.access, refresh=tokens.refresh)
        return response


class SignOutApi(APIView):
    authentication_classes = []

    def post(self, request):
        session_end(refresh=request.COOKIES.get(settings.REFRESH_COOKIE_NAME))
        response = Response({})
        auth_cookies_clear(response)
        return response


class CurrentUserApi(APIView):
    """Who is signed in; an expired access cookie is refreshed on the way, so a client that
    only ever calls this (as the original's does on every page) stays signed in."""

    authentication_classes = []

    def get(self, request):
        try:
            authenticated = JWTAuthentication().authenticate(request)
        except AuthenticationFailed:
            authenticated = None
        if authenticated is not None:
            _user, token = authenticated
            return Response({"currentUser": current_user_from_claims(token)})

        refresh = request.COOKIES.get(settings.REFRESH_COOKIE_NAME)
        if not refresh:
            return Response({"currentUser": None})
        try:
            _user, tokens = session_refresh(refresh=refresh)
        except NotAuthorized:
            response = Response({"currentUser": None})
            auth_cookies_clear(response)
            return response
        claims = AccessToken(tokens.access)
        response = Response({"currentUser": current_user_from_claims(claims)})
        auth_cookies_set(response, access=tokens.access, refresh=tokens.refresh)
        return response


class RefreshApi(APIView):
    """Rotates a refresh token: from the cookie (answers with cookies) or from the body
    (answers with the tokens, for API clients that keep their own)."""

    authentication_classes = []

    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField(required=False)

    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        from_body = serializer.validated_data.get("refresh")
        refresh = from_body or request.COOKIES.get(settings.REFRESH_COOKIE_NAME)
        if not refresh:
            raise NotAuthorized()
        _user, tokens = session_refresh(refresh=refresh)
        if from_body:
            return Response({"access": tokens.access, "refresh": tokens.refresh})
        response = Response({})
        auth_cookies_set(response, access=tokens.access, refresh=tokens.refresh)
        return response
