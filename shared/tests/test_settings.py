import ssl
from pathlib import Path

import pytest
from celery import Celery
from django.core.exceptions import ImproperlyConfigured

from ticketing_shared.events.redis_transport import Transport
from ticketing_shared.settings import service_settings


def build(**overrides):
    arguments = {
        "service": "sample",
        "base_dir": Path("/nonexistent/sample_service"),
        "api_prefix": "api/sample/",
        "admin_prefix": "admin/sample/",
        "local_apps": [],
    }
    return service_settings(**{**arguments, **overrides})


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("TICKETING_ENV", "production")
    monkeypatch.setenv("DJANGO_SECRET_KEY", "s" * 50)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "ticketing.example")
    return monkeypatch


def test_production_needs_a_secret_key(production):
    production.delenv("DJANGO_SECRET_KEY")

    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        build()


def test_production_needs_the_public_key(production):
    production.delenv("JWT_PUBLIC_KEY")

    with pytest.raises(ImproperlyConfigured, match="JWT_PUBLIC_KEY"):
        build()


def test_production_needs_the_private_key_to_sign(production):
    production.delenv("JWT_PRIVATE_KEY")

    with pytest.raises(ImproperlyConfigured, match="JWT_PRIVATE_KEY"):
        build(signs_tokens=True)


def test_keys_are_read_from_files(production, tmp_path):
    (tmp_path / "public.pem").write_text("PUBLIC")
    production.delenv("JWT_PUBLIC_KEY")
    production.setenv("JWT_PUBLIC_KEY_FILE", str(tmp_path / "public.pem"))

    assert build()["SIMPLE_JWT"]["VERIFYING_KEY"] == "PUBLIC"


def test_production_is_secure_by_default(production):
    settings = build()

    assert settings["DEBUG"] is False
    assert settings["AUTH_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["ALLOWED_HOSTS"] == ["ticketing.example"]
    assert settings["SIMPLE_JWT"]["SIGNING_KEY"] is None


def test_development_defaults_are_local(monkeypatch):
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)

    settings = build()

    assert settings["DEBUG"] is True
    assert settings["AUTH_COOKIE_SECURE"] is False
    assert settings["DATABASES"]["default"]["NAME"] == "ticketing_sample"
    assert len(settings["SECRET_KEY"]) >= 50


def test_an_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("TICKETING_ENV", "prod")

    with pytest.raises(ImproperlyConfigured):
        build()


def test_workers_apply_events_on_one_message_per_thread_with_late_acks(monkeypatch):
    monkeypatch.delenv("EVENTS_WORKER_POOL", raising=False)
    monkeypatch.delenv("EVENTS_WORKER_CONCURRENCY", raising=False)

    settings = build()

    assert (settings["CELERY_WORKER_POOL"], settings["CELERY_WORKER_CONCURRENCY"]) == ("threads", 4)
    assert settings["CELERY_WORKER_PREFETCH_MULTIPLIER"] == 1
    assert settings["CELERY_TASK_ACKS_LATE"] is True
    assert settings["CELERY_TASK_REJECT_ON_WORKER_LOST"] is True
    assert settings["CELERY_BROKER_TRANSPORT"] == (
        "ticketing_shared.events.redis_transport:Transport"
    )


def test_the_worker_pool_is_chosen_by_the_environment(monkeypatch):
    monkeypatch.setenv("EVENTS_WORKER_POOL", "solo")
    monkeypatch.setenv("EVENTS_WORKER_CONCURRENCY", "1")

    settings = build()

    assert (settings["CELERY_WORKER_POOL"], settings["CELERY_WORKER_CONCURRENCY"]) == ("solo", 1)


def test_a_tls_broker_keeps_tls_and_checks_its_certificate(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "rediss://broker.example:6380/0")

    settings = build()

    app = Celery("tls-check", set_as_current=False)
    app.config_from_object(settings, namespace="CELERY")
    connection = app.connection_for_write()  # not connected: nothing is dialled
    assert isinstance(connection.transport, Transport)
    assert connection.ssl == {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    assert connection.hostname == "broker.example"


def test_a_plain_broker_url_uses_no_tls(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")

    assert build()["CELERY_BROKER_USE_SSL"] is None
