"""Django views outside DRF, as the admin's are."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ticketing_shared.events.models import OutboxEvent


def outbox_event_published(request):
    """Queries by what the request says, as an admin page does."""
    event = OutboxEvent.objects.filter(event_id=request.GET.get("id", "")).first()
    return JsonResponse({"published": bool(event and event.published_at)})


def broken_page(request):
    """A bug of ours: a ValueError that no input of the request explains."""
    return JsonResponse({"pages": int("not a number")})


@csrf_exempt
def method_echo(request):
    """A function view: it answers every method itself."""
    return JsonResponse({"method": request.method})


class StaffPage(LoginRequiredMixin, View):
    """A Django class-based view that checks who asks (a redirect to sign in) before it looks
    for the method's handler, as DRF's views do."""

    def get(self, request):
        return JsonResponse({"page": "staff"})


class PlainPage(View):
    def get(self, request):
        return JsonResponse({"page": "plain"})
