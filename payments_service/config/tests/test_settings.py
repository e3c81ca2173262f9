"""The card processor's settings as a payments process reads them from its environment."""

import runpy
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS = Path(__file__).resolve().parents[1] / "settings.py"


def build() -> dict:
    """The settings read afresh, the shared ones included (imported once by this process)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delitem(sys.modules, "ticketing_shared.settings")
        return runpy.run_path(str(SETTINGS))


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TICKETING_STATE_DIR", str(tmp_path / "state"))
    for name in ("PAYMENTS_PROCESSOR", "STRIPE_SECRET_KEY", "PAYMENTS_CURRENCY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def production(environment):
    environment.setenv("TICKETING_ENV", "production")
    environment.setenv("DJANGO_SECRET_KEY", "s" * 50)
    environment.setenv("DJANGO_ALLOWED_HOSTS", "ticketing.example")
    environment.setenv("DJANGO_STATIC_ROOT", "/app/staticfiles")
    environment.setenv("JWT_PUBLIC_KEY", "PUBLIC")
    return environment


def test_development_charges_with_the_test_processor_in_dollars():
    settings = build()

    assert (settings["PAYMENTS_PROCESSOR"], settings["PAYMENTS_CURRENCY"]) == ("test", "USD")


def test_production_charges_through_stripe_and_needs_its_key(production):
    with pytest.raises(ImproperlyConfigured, match="STRIPE_SECRET_KEY"):
        build()

    production.setenv("STRIPE_SECRET_KEY", "sk_live_x")
    assert build()["PAYMENTS_PROCESSOR"] == "stripe"


def test_production_refuses_the_test_processor_unless_told_so(production):
    production.setenv("PAYMENTS_PROCESSOR", "test")
    with pytest.raises(ImproperlyConfigured, match="PAYMENTS_ALLOW_TEST_PROCESSOR_IN_PRODUCTION"):
        build()

    production.setenv("PAYMENTS_ALLOW_TEST_PROCESSOR_IN_PRODUCTION", "true")
    assert build()["PAYMENTS_PROCESSOR"] == "test"


def test_an_unknown_processor_is_refused(environment):
    environment.setenv("PAYMENTS_PROCESSOR", "paypal")

    with pytest.raises(ImproperlyConfigured, match="'test' or 'stripe'"):
        build()


def test_the_currency_is_a_setting(environment):
    environment.setenv("PAYMENTS_CURRENCY", "eur")

    assert build()["PAYMENTS_CURRENCY"] == "EUR"


@pytest.mark.parametrize("currency", ["JPY", "KWD", "US", "U$D", "ÜSD"])
def test_a_currency_not_counted_in_cents_is_refused(environment, currency):
    environment.setenv("PAYMENTS_CURRENCY", currency)

    with pytest.raises(ImproperlyConfigured, match="PAYMENTS_CURRENCY"):
        build()
