"""The template tags and filters the pages format with."""

import json
from decimal import Decimal

import pytest
from django import forms
from django.template import Context, Template

from web.templatetags.web import field, json_ld, money, plain_price, status_class, status_label


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("20"), "20.00 USD"),
        (Decimal("1234.5"), "1,234.50 USD"),
        (Decimal("0.01"), "0.01 USD"),
        (Decimal("1000000"), "1,000,000.00 USD"),
    ],
)
def test_money_has_two_decimals_and_the_currency(amount, shown):
    assert money(amount) == shown


def test_money_is_in_the_configured_currency(settings):
    settings.FRONTEND_CURRENCY = "EUR"
    assert money(Decimal("5")) == "5.00 EUR"


def test_plain_price_is_for_machines():
    assert plain_price(Decimal("1234.5")) == "1234.50"


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("available", "Available"),
        ("reserved", "Reserved"),
        ("sold", "Sold"),
        ("created", "Awaiting payment"),
        ("awaiting:payment", "Awaiting payment"),
        ("complete", "Paid"),
        ("paid", "Paid"),
        ("cancelled", "Cancelled"),
        ("expired", "Expired"),
        ("something:new", "Something new"),
    ],
)
def test_status_label(status, label):
    assert status_label(status) == label


def test_status_class_is_a_css_name():
    assert status_class("awaiting:payment") == "badge-awaiting-payment"


def test_the_status_badge_says_its_status_in_words():
    html = Template('{% include "web/includes/status.html" with status=s %}').render(
        Context({"s": "complete"})
    )
    assert '<span class="visually-hidden">Status: </span>Paid' in html
    assert "badge-complete" in html


def test_json_ld_cannot_close_its_script_early():
    html = json_ld({"name": "</script><script>alert(1)</script> & more"})
    assert html.startswith('<script type="application/ld+json">')
    assert html.count("</script>") == 1
    body = html.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert json.loads(body) == {"name": "</script><script>alert(1)</script> & more"}


class _Form(forms.Form):
    title = forms.CharField(help_text="A few words")
    price = forms.CharField()


def test_a_field_is_described_by_its_hint_and_error():
    form = _Form(data={"title": "", "price": "1"})
    form.is_valid()
    context = field(form["title"])
    widget = str(context["widget"])
    assert 'aria-describedby="id_title-hint id_title-error"' in widget
    assert 'aria-invalid="true"' in widget


def test_a_field_without_hint_or_error_has_no_description():
    form = _Form(data={"title": "x", "price": "1"})
    form.is_valid()
    widget = str(field(form["price"])["widget"])
    assert "aria-describedby" not in widget
    assert "aria-invalid" not in widget


def test_the_field_template_ties_the_error_to_its_input():
    form = _Form(data={"title": "", "price": "1"})
    form.is_valid()
    html = Template("{% load web %}{% field form.title %}").render(Context({"form": form}))
    assert '<label for="id_title">Title</label>' in html
    assert '<p class="hint" id="id_title-hint">A few words</p>' in html
    assert 'id="id_title-error"' in html
    assert "This field is required." in html
