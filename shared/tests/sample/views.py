"""Django views outside DRF, as the admin's are."""

from django.http import JsonResponse

from ticketing_shared.events.models import OutboxEvent


def outbox_event_published(request):
    """Queries by what the request says, as an admin page does."""
    event = OutboxEvent.objects.filter(event_id=request.GET.get("id", "")).first()
    return JsonResponse({"published": bool(event and event.published_at)})


def broken_page(request):
    """A bug of ours: a ValueError that no input of the request explains."""
    return JsonResponse({"pages": int("not a number")})
