"""The auth API (contract §3): thin views over `services` and `selectors`."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from ticketing_shared.auth.authentication import JWTAuthentication
from ticketing_shared.auth.cookies import auth_cookies_clear, auth_cookies_set
from ticketing_shared.client_address import client_ip
from ticketing_shared.errors.exceptions import NotAuthorized
from ticketing_shared.fields import StringField, TokenField
from ticketing_shared.openapi import RETRY_AFTER, error_response, operation_responses
from users.devices import known_device_cookie_set
from users.emails import EMAIL_MAX_LENGTH, EMAIL_MUST_BE_VALID, InvalidEmail, email_normalize
from users.selectors import current_user_from_claims
from users.services import (
    EMAIL_IN_USE,
    INVALID_CREDENTIALS,
    TOO_MANY_SIGNIN_FAILURES,
    TOO_MANY_SIGNUPS,
    session_access_renew,
    session_end,
    session_refresh,
    user_sign_in,
    user_sign_up,
)
from users.tokens import SessionAccessToken

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
# Sign-in takes any password up to this length: only sign-up enforces the rules.
SIGNIN_PASSWORD_MAX_LENGTH = 4096
PASSWORD_RULE = (
    f"Password must be between {PASSWORD_MIN_LENGTH} and {PASSWORD_MAX_LENGTH} characters"
)
PASSWORD_REQUIRED = "You must supply a password"  # noqa: S105 (a message, not a password)
PASSWORD_TOO_LONG = f"Password must be at most {SIGNIN_PASSWORD_MAX_LENGTH} characters"
NOT_AUTHORIZED = "Not authorized"


def _messages(message: str) -> dict:
    return dict.fromkeys(
        ("required", "blank", "null", "invalid", "max_length", "min_length"), message
    )


class NormalizedEmailField(serializers.EmailField):
    """An email as `users.emails.email_normalize` stores it; anything it refuses is
    `Email must be valid`."""

    def __init__(self, **kwargs):
        super().__init__(
            max_length=EMAIL_MAX_LENGTH, error_messages=_messages(EMAIL_MUST_BE_VALID), **kwargs
        )

    def to_internal_value(self, data):
        try:
            return email_normalize(super().to_internal_value(data))
        except InvalidEmail:
            self.fail("invalid")


class UserOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()


# The session cookies, as the browser sends them and as answers set them.
ACCESS_COOKIE = OpenApiParameter(
    settings.ACCESS_COOKIE_NAME,
    OpenApiTypes.STR,
    OpenApiParameter.COOKIE,
    description="Access token (a JWT, 15 minutes by default).",
)
REFRESH_COOKIE = OpenApiParameter(
    settings.REFRESH_COOKIE_NAME,
    OpenApiTypes.STR,
    OpenApiParameter.COOKIE,
    description="Refresh token (a JWT, 7 days by default).",
)


def _set_cookie(statuses: list[int], description: str) -> OpenApiParameter:
    return OpenApiParameter(
        "Set-Cookie",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=statuses,
        description=description,
    )


SESSION_COOKIES_SET = (
    f"`{settings.ACCESS_COOKIE_NAME}` and `{settings.REFRESH_COOKIE_NAME}`: HttpOnly, "
    "SameSite=Lax, Path=/, Secure outside local development."
)
SIGNED_IN_COOKIES_SET = (
    f"{SESSION_COOKIES_SET} And `{settings.SIGNIN_DEVICE_COOKIE_NAME}`, the known-device token "
    f"of the account (the same attributes, {settings.SIGNIN_DEVICE_MAX_AGE_SECONDS // 86400} "
    "days): sent with a later sign-in to it, the account's ceiling on failed sign-ins from all "
    "addresses does not refuse that sign-in."
)
KNOWN_DEVICE_COOKIE = OpenApiParameter(
    settings.SIGNIN_DEVICE_COOKIE_NAME,
    OpenApiTypes.STR,
    OpenApiParameter.COOKIE,
    description="The known-device token a sign-in or sign-up to this account set (API clients "
    "keep it from Set-Cookie and send it back as a cookie). A valid one for the email signed "
    "in to exempts the sign-in from the email's ceiling on failures from all addresses; its "
    "failures are limited per token instead. Anything else is ignored.",
)
EMAIL_ERROR = (EMAIL_MUST_BE_VALID, "email")
CREDENTIALS_EXAMPLE = OpenApiExample(
    "Credentials",
    value={"email": "buyer@example.com", "password": "correct-horse-battery-staple"},
    request_only=True,
)


class SignUpApi(APIView):
    authentication_classes = []

    @extend_schema_serializer(component_name="SignUpInput")
    class InputSerializer(serializers.Serializer):
        email = NormalizedEmailField()
        password = StringField(
            trim_whitespace=False,
            min_length=PASSWORD_MIN_LENGTH,
            max_length=PASSWORD_MAX_LENGTH,
            error_messages=_messages(PASSWORD_RULE),
        )

    @extend_schema(
        summary="Create an account and sign in",
        request=InputSerializer,
        examples=[CREDENTIALS_EXAMPLE],
        parameters=[_set_cookie([201], SIGNED_IN_COOKIES_SET), RETRY_AFTER],
        responses=operation_responses(
            {
                201: OpenApiResponse(UserOutputSerializer, description="Created, signed in"),
                400: error_response(
                    "Invalid email, password rules, email in use",
                    EMAIL_ERROR,
                    (PASSWORD_RULE, "password"),
                    ("This password is too common.", "password"),
                    (EMAIL_IN_USE, "email"),
                ),
                429: error_response(
                    "Too many sign-up attempts from this address", (TOO_MANY_SIGNUPS, None)
                ),
            },
            takes_body=True,
        ),
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, tokens = user_sign_up(**serializer.validated_data, ip=client_ip(request))
        response = Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)
        auth_cookies_set(response, access=tokens.access, refresh=tokens.refresh)
        known_device_cookie_set(response, email=user.email)
        return response


class SignInApi(APIView):
    authentication_classes = []

    @extend_schema_serializer(component_name="SignInInput")
    class InputSerializer(serializers.Serializer):
        email = NormalizedEmailField()
        password = StringField(
            trim_whitespace=False,
            min_length=1,
            max_length=SIGNIN_PASSWORD_MAX_LENGTH,
            error_messages={**_messages(PASSWORD_REQUIRED), "max_length": PASSWORD_TOO_LONG},
        )

    @extend_schema(
        summary="Sign in",
        request=InputSerializer,
        examples=[CREDENTIALS_EXAMPLE],
        parameters=[KNOWN_DEVICE_COOKIE, _set_cookie([200], SIGNED_IN_COOKIES_SET), RETRY_AFTER],
        responses=operation_responses(
            {
                200: OpenApiResponse(UserOutputSerializer, description="Signed in"),
                400: error_response(
                    "Invalid email, missing or over-long password, or invalid credentials "
                    "(one answer for an unknown email, a wrong password and a deactivated "
                    "account)",
                    EMAIL_ERROR,
                    (PASSWORD_REQUIRED, "password"),
                    (PASSWORD_TOO_LONG, "password"),
                    (INVALID_CREDENTIALS, None),
                ),
                429: error_response(
                    "Too many failed sign-ins for this email from this address, for this email "
                    "from all addresses (not counted with a valid known-device cookie), from "
                    "this address, or with this known-device cookie",
                    (TOO_MANY_SIGNIN_FAILURES, None),
                ),
            },
            takes_body=True,
        ),
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, tokens = user_sign_in(
            **serializer.validated_data,
            ip=client_ip(request),
            device_token=request.COOKIES.get(settings.SIGNIN_DEVICE_COOKIE_NAME),
        )
        response = Response(UserOutputSerializer(user).data)
        auth_cookies_set(response, access=tokens.access, refresh=tokens.refresh)
        known_device_cookie_set(response, email=user.email)
        return response


class EmptySerializer(serializers.Serializer):
    pass


def _sign_out_body_token(request) -> str | None:
    """The refresh token a sign-out body names, if it names one: sign-out has no error case
    (contract §3), so a body it cannot read (malformed JSON, not an object, a `refresh` that
    is not a string) names none, and the cookie's session is still ended."""
    try:
        body = request.data
    except ParseError:
        return None
    refresh = body.get("refresh") if isinstance(body, dict) else None
    return refresh if isinstance(refresh, str) else None


class SignOutApi(APIView):
    """Ends the session of the refresh token in the cookie, in the body, or both."""

    authentication_classes = []

    @extend_schema_serializer(component_name="SignOutInput")
    class InputSerializer(serializers.Serializer):
        refresh = TokenField(
            help_text="A refresh token kept by an API client; empty or absent: the cookie's. "
            "Any other body is ignored: sign-out always answers 200."
        )

    @extend_schema(
        summary="Sign out",
        description="Always signs out: a body that cannot be read names no token, and the "
        "cookie's session is ended all the same.",
        request=InputSerializer,
        parameters=[REFRESH_COOKIE, _set_cookie([200], "Both session cookies, expired.")],
        responses={
            status: response
            for status, response in operation_responses(
                {200: OpenApiResponse(EmptySerializer, description="Signed out")},
                takes_body=True,
            ).items()
            if status != 400  # malformed JSON is ignored here, not refused
        },
    )
    def post(self, request):
        session_end(refresh=_sign_out_body_token(request))
        session_end(refresh=request.COOKIES.get(settings.REFRESH_COOKIE_NAME))
        response = Response({})
        auth_cookies_clear(response)
        return response


class CurrentUserSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    isStaff = serializers.BooleanField()  # the contract's camelCase
    iat = serializers.IntegerField()
    exp = serializers.IntegerField()


class CurrentUserOutputSerializer(serializers.Serializer):
    currentUser = CurrentUserSerializer(allow_null=True)  # the contract's camelCase


class CurrentUserApi(APIView):
    """Who is signed in. An expired access cookie is renewed on the way from the refresh
    cookie, which is not rotated: a client that only ever calls this (as the original's
    server-side renderer does on every page, dropping the answer's cookies) stays signed in."""

    authentication_classes = []

    @extend_schema(
        summary="The signed-in user, or null",
        parameters=[
            ACCESS_COOKIE,
            REFRESH_COOKIE,
            OpenApiParameter(
                "Authorization",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="`Bearer <access token>`, for API clients.",
            ),
            _set_cookie(
                [200],
                f"A new `{settings.ACCESS_COOKIE_NAME}` when it was renewed from the refresh "
                "cookie; both cookies expired when the refresh cookie opens nothing.",
            ),
        ],
        responses=operation_responses(
            {200: OpenApiResponse(CurrentUserOutputSerializer, description="Always 200")},
            takes_body=False,
        ),
    )
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
            _user, access = session_access_renew(refresh=refresh)
        except NotAuthorized:
            response = Response({"currentUser": None})
            auth_cookies_clear(response)
            return response
        response = Response({"currentUser": current_user_from_claims(SessionAccessToken(access))})
        auth_cookies_set(response, access=access)
        return response


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(required=False, help_text="Only when refreshed from the body.")
    refresh = StringField(required=False, help_text="Only when refreshed from the body.")


class RefreshApi(APIView):
    """Rotates a refresh token: from the cookie (answers with cookies) or from the body
    (answers with the tokens, for API clients that keep their own)."""

    authentication_classes = []

    @extend_schema_serializer(component_name="RefreshInput")
    class InputSerializer(serializers.Serializer):
        refresh = TokenField(
            help_text="A refresh token kept by an API client; empty or absent: the cookie's."
        )

    @extend_schema(
        summary="Rotate the refresh token",
        request=InputSerializer,
        parameters=[REFRESH_COOKIE, _set_cookie([200], SESSION_COOKIES_SET)],
        responses=operation_responses(
            {
                200: OpenApiResponse(
                    TokenPairSerializer,
                    description="`{access, refresh}` for a body token; `{}` and new cookies "
                    "for the cookie",
                ),
                400: error_response(
                    "A refresh that is not a string", ("Not a valid string.", "refresh")
                ),
                401: error_response(
                    "No refresh token, or one that is invalid, expired, revoked or rotated "
                    "out (presented after its reuse window, it ends its session)",
                    (NOT_AUTHORIZED, None),
                ),
            },
            takes_body=True,
        ),
    )
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
