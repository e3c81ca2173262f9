import json
from decimal import Decimal

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

STATUS_LABELS = {
    "available": "Available",
    "reserved": "Reserved",
    "sold": "Sold",
    "created": "Awaiting payment",
    "awaiting:payment": "Awaiting payment",
    "complete": "Paid",
    "cancelled": "Cancelled",
    "expired": "Expired",
    "open": "Awaiting payment",
    "paid": "Paid",
}


@register.filter
def money(amount: Decimal) -> str:
    """`1234.5` as `1,234.50 USD`."""
    return f"{amount:,.2f} {settings.FRONTEND_CURRENCY}"


@register.filter
def plain_price(amount: Decimal) -> str:
    """For machines (JSON-LD, Open Graph): `1234.50`."""
    return f"{amount:.2f}"


@register.filter
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.replace(":", " ").capitalize())


@register.filter
def status_class(status: str) -> str:
    return "badge-" + status.replace(":", "-")


@register.inclusion_tag("web/includes/field.html")
def field(bound_field):
    """A labelled input with its hint and errors, which screen readers read with it."""
    described_by = []
    if bound_field.help_text:
        described_by.append(f"{bound_field.auto_id}-hint")
    if bound_field.errors:
        described_by.append(f"{bound_field.auto_id}-error")
    attrs = {"aria-describedby": " ".join(described_by)} if described_by else {}
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    return {"field": bound_field, "widget": bound_field.as_widget(attrs=attrs)}


# As Django's json_script escapes: no `</script>` can close the element early.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def json_ld(data: dict) -> str:
    """Structured data for search engines, as a `<script type="application/ld+json">`."""
    text = json.dumps(data, cls=DjangoJSONEncoder).translate(_JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308 (escaped above)
