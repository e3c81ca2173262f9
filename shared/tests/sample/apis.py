"""Views standing in for a service's API, each showing one shared behaviour."""

from django.core.cache import cache
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSet

from tests.sample.services import sample_order_create
from ticketing_shared.errors.exceptions import ApplicationError


class WhoAmIApi(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        user = request.user
        return Response({"id": str(user.id), "email": user.email, "isStaff": user.is_staff})


class PublicApi(APIView):
    def get(self, request):
        return Response({"signedIn": request.user.is_authenticated})


class EchoApi(APIView):
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(error_messages={"required": "Title is required"})
        price = serializers.DecimalField(max_digits=9, decimal_places=2)

    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["title"] == "reserved":
            raise ApplicationError("Cannot edit a reserved ticket")
        return Response({"title": serializer.validated_data["title"]}, status=201)


class BrokenApi(APIView):
    def get(self, request):
        raise RuntimeError("database password is hunter2")


class OrderCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        ticketId = serializers.UUIDField()
        price = serializers.RegexField(r"^\d+\.\d{2}$")

    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order_id = sample_order_create(
            ticket_id=serializer.validated_data["ticketId"],
            price=serializer.validated_data["price"],
            user_id=request.user.id,
        )
        return Response({"id": str(order_id)}, status=201)


class VisitsApi(APIView):
    """Counts visits in the cache, as the sign-in limits do."""

    def post(self, request):
        cache.add("visits", 0)
        return Response({"visits": cache.incr("visits")})


class ArchiveApi(APIView):
    """Signed-in readers only; its `post` is switched off by `http_method_names`, as a
    retired write would be (one route switches it back on through `as_view`)."""

    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "head"]

    def get(self, request):
        return Response({"archived": []})

    def post(self, request):
        return Response({"archived": [request.data]}, status=201)


class NoteViewSet(ViewSet):
    """A viewset: its methods are the actions its route maps, not methods of its class."""

    permission_classes = [IsAuthenticated]

    def list(self, request):
        return Response({"notes": []})
