from django.contrib import admin, messages

from ticketing_shared.events.dead_letters import dead_letter_replay
from ticketing_shared.events.models import DeadLetter, InboxEvent, OutboxEvent
from ticketing_shared.events.outbox import outbox_events_retry
from ticketing_shared.readonly_admin import ReadOnlyAdmin


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = [
        "position",
        "subject",
        "event_id",
        "occurred_at",
        "published_at",
        "set_aside_at",
        "attempts",
        "error_summary",
    ]
    list_filter = [
        "subject",
        ("published_at", admin.EmptyFieldListFilter),
        ("set_aside_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["event_id"]
    actions = ["retry"]

    @admin.display(description="last error")
    def error_summary(self, event):
        return event.last_error[:120]

    @admin.action(description="Retry the selected events (put set-aside ones back in line)")
    def retry(self, request, queryset):
        retried = outbox_events_retry(positions=queryset.values_list("position", flat=True))
        self.message_user(
            request,
            f"{retried} event(s) back in line: the next sweep sends them.",
            messages.SUCCESS,
        )


@admin.register(InboxEvent)
class InboxEventAdmin(ReadOnlyAdmin):
    list_display = ["subject", "event_id", "consumer", "processed_at"]
    list_filter = ["subject"]
    search_fields = ["event_id"]


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ["subject", "event_id", "attempts", "created_at", "replayed_at", "error_summary"]
    list_filter = ["subject", ("replayed_at", admin.EmptyFieldListFilter)]
    search_fields = ["event_id", "error"]
    actions = ["replay"]

    @admin.display(description="error")
    def error_summary(self, dead_letter):
        return dead_letter.error[:120]

    @admin.action(description="Replay the selected events")
    def replay(self, request, queryset):
        replayed = 0
        for dead_letter in queryset:
            try:
                dead_letter_replay(dead_letter=dead_letter)
                replayed += 1
            except Exception as error:
                self.message_user(request, f"{dead_letter}: not replayed ({error})", messages.ERROR)
        self.message_user(request, f"{replayed} event(s) sent for another try.", messages.SUCCESS)
