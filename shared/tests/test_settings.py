import runpy
import ssl

import pytest
from celery import Celery
from django.core.exceptions import ImproperlyConfigured

import ticketing_shared.settings
from ticketing_shared.events.redis_transport import Transport


def build(monkeypatch, service: str = "sample") -> dict:
    """The shared settings as a service's process would read them, from the environment."""
    monkeypatch.setenv("TICKETING_SERVICE", service)
    return runpy.run_path(ticketing_shared.settings.__file__)


@pytest.fixture(autouse=True)
def no_local_state(monkeypatch, tmp_path):
    """Each test reads an empty state directory of its own, not the developer's `.local/`."""
    monkeypatch.setenv("TICKETING_STATE_DIR", str(tmp_path / "state"))


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("TICKETING_ENV", "production")
    monkeypatch.setenv("DJANGO_SECRET_KEY", "s" * 50)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "ticketing.example")
    monkeypatch.setenv("DJANGO_STATIC_ROOT", "/app/staticfiles")
    return monkeypatch


def test_production_needs_a_secret_key(production):
    production.delenv("DJANGO_SECRET_KEY")

    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        build(production)


def test_production_needs_the_public_key(production):
    production.delenv("JWT_PUBLIC_KEY")

    with pytest.raises(ImproperlyConfigured, match="JWT_PUBLIC_KEY"):
        build(production)


def test_production_needs_the_private_key_to_sign(production):
    production.delenv("JWT_PRIVATE_KEY")

    with pytest.raises(ImproperlyConfigured, match="JWT_PRIVATE_KEY"):
        build(production, service="auth")


def test_keys_are_read_from_files(production, tmp_path):
    (tmp_path / "public.pem").write_text("PUBLIC")
    production.delenv("JWT_PUBLIC_KEY")
    production.setenv("JWT_PUBLIC_KEY_FILE", str(tmp_path / "public.pem"))

    assert build(production)["SIMPLE_JWT"]["VERIFYING_KEY"] == "PUBLIC"


def test_production_is_secure_by_default(production):
    settings = build(production)

    assert settings["DEBUG"] is False
    assert settings["AUTH_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["ALLOWED_HOSTS"] == ["ticketing.example"]
    assert settings["SIMPLE_JWT"]["SIGNING_KEY"] is None


def test_development_defaults_are_local(monkeypatch):
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)

    settings = build(monkeypatch)

    assert settings["DEBUG"] is True
    assert settings["AUTH_COOKIE_SECURE"] is False
    assert settings["DATABASES"]["default"]["NAME"] == "ticketing_sample"
    assert len(settings["SECRET_KEY"]) >= 50


def test_an_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("TICKETING_ENV", "prod")

    with pytest.raises(ImproperlyConfigured):
        build(monkeypatch)


def test_workers_apply_events_on_one_message_per_thread_with_late_acks(monkeypatch):
    monkeypatch.delenv("EVENTS_WORKER_POOL", raising=False)
    monkeypatch.delenv("EVENTS_WORKER_CONCURRENCY", raising=False)

    settings = build(monkeypatch)

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

    settings = build(monkeypatch)

    assert (settings["CELERY_WORKER_POOL"], settings["CELERY_WORKER_CONCURRENCY"]) == ("solo", 1)


def test_a_tls_broker_keeps_tls_and_checks_its_certificate(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "rediss://broker.example:6380/0")

    settings = build(monkeypatch)

    app = Celery("tls-check", set_as_current=False)
    app.config_from_object(settings, namespace="CELERY")
    connection = app.connection_for_write()  # not connected: nothing is dialled
    assert isinstance(connection.transport, Transport)
    assert connection.ssl == {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    assert connection.hostname == "broker.example"


def test_a_plain_broker_url_uses_no_tls(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")

    assert build(monkeypatch)["CELERY_BROKER_USE_SSL"] is None


def test_production_asks_browsers_for_https_for_a_year(production):
    assert build(production)["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600


def test_hsts_is_a_setting(production):
    production.setenv("SECURE_HSTS_SECONDS", "600")

    assert build(production)["SECURE_HSTS_SECONDS"] == 600


def test_a_service_is_routed_as_the_registry_says(monkeypatch):
    settings = build(monkeypatch, service="auth")

    assert settings["TICKETING_API_PREFIX"] == "api/users/"
    assert settings["TICKETING_ADMIN_PREFIX"] == "admin/users/"
    assert settings["STATIC_URL"] == "/api/users/static/"
    assert [queue.name for queue in settings["CELERY_TASK_QUEUES"]] == ["auth.events", "auth.tasks"]


def test_the_catch_all_lives_at_the_root(monkeypatch):
    """The frontend has no API or admin prefix: its pages, static files and cookies are at the
    root of the one origin."""
    settings = build(monkeypatch, service="frontend")

    assert settings["TICKETING_API_PREFIX"] == ""
    assert settings["TICKETING_ADMIN_PREFIX"] == ""
    assert settings["STATIC_URL"] == "/static/"
    assert settings["SESSION_COOKIE_PATH"] == "/"
    assert settings["SPECTACULAR_SETTINGS"]["SCHEMA_PATH_PREFIX"] == "/"


def test_only_the_token_signer_reads_the_private_key(monkeypatch):
    assert build(monkeypatch, service="tickets")["SIMPLE_JWT"]["SIGNING_KEY"] is None
    assert build(monkeypatch, service="auth")["SIMPLE_JWT"]["SIGNING_KEY"]


def test_a_missing_service_name_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("TICKETING_SERVICE", raising=False)

    with pytest.raises(ImproperlyConfigured, match="TICKETING_SERVICE"):
        runpy.run_path(ticketing_shared.settings.__file__)


def test_the_local_runners_env_file_is_read_without_overriding_the_environment(
    monkeypatch, tmp_path
):
    env_dir = tmp_path / "state" / "env"
    env_dir.mkdir(parents=True)
    (env_dir / "sample.env").write_text(
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/ticketing_sample_copy\n"
        "REDIS_URL=redis://127.0.0.1:7000/1\n"
    )
    # Set, then removed: monkeypatch then also removes what the file puts in the environment.
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/5")

    settings = build(monkeypatch)

    assert settings["DATABASES"]["default"]["NAME"] == "ticketing_sample_copy"
    assert settings["REDIS_URL"] == "redis://127.0.0.1:6379/5"


def test_production_reads_no_local_env_file(production, tmp_path):
    env_dir = tmp_path / "state" / "env"
    env_dir.mkdir(parents=True)
    (env_dir / "sample.env").write_text("DATABASE_URL=postgres://x@127.0.0.1:5432/local_copy\n")
    production.delenv("DATABASE_URL", raising=False)

    assert build(production)["DATABASES"]["default"]["NAME"] == "ticketing_sample"


def test_production_needs_a_folder_for_static_files(production):
    production.delenv("DJANGO_STATIC_ROOT")

    with pytest.raises(ImproperlyConfigured, match="DJANGO_STATIC_ROOT"):
        build(production)


def test_development_closes_database_connections_after_each_request(monkeypatch):
    # runserver serves each request on a new thread, each keeping its own connection: kept for
    # a minute, they ran PostgreSQL out of connections under load ("too many clients").
    monkeypatch.delenv("DATABASE_CONN_MAX_AGE", raising=False)

    assert build(monkeypatch)["DATABASES"]["default"]["CONN_MAX_AGE"] == 0


def test_production_keeps_database_connections_for_a_minute(production):
    production.delenv("DATABASE_CONN_MAX_AGE", raising=False)

    assert build(production)["DATABASES"]["default"]["CONN_MAX_AGE"] == 60


@pytest.mark.parametrize("environment", ["development", "production"])
def test_the_database_connection_age_is_a_setting(production, environment):
    production.setenv("TICKETING_ENV", environment)
    production.setenv("DATABASE_CONN_MAX_AGE", "30")

    assert build(production)["DATABASES"]["default"]["CONN_MAX_AGE"] == 30


def test_an_early_event_waits_about_twenty_minutes_a_failing_one_about_one(monkeypatch):
    for name in (
        "EVENTS_MAX_ATTEMPTS",
        "EVENTS_MAX_EARLY_ATTEMPTS",
        "EVENTS_RETRY_BACKOFF_BASE",
        "EVENTS_RETRY_BACKOFF_MAX",
        "EVENTS_VISIBILITY_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = build(monkeypatch)

    def pauses(attempts: int) -> list[float]:
        base, cap = settings["EVENTS_RETRY_BACKOFF_BASE"], settings["EVENTS_RETRY_BACKOFF_MAX"]
        return [min(base * 2**attempt, cap) for attempt in range(attempts - 1)]

    assert sum(pauses(settings["EVENTS_MAX_ATTEMPTS"])) == 63.5
    assert 20 * 60 < sum(pauses(settings["EVENTS_MAX_EARLY_ATTEMPTS"])) < 25 * 60
    # A retried message waits in its worker unacknowledged: each pause must end well before
    # the broker would deliver it again, however many there are.
    visibility_timeout = settings["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"]
    assert max(pauses(settings["EVENTS_MAX_EARLY_ATTEMPTS"])) < visibility_timeout / 2


def test_the_early_events_budget_is_a_setting(monkeypatch):
    monkeypatch.setenv("EVENTS_MAX_EARLY_ATTEMPTS", "50")

    assert build(monkeypatch)["EVENTS_MAX_EARLY_ATTEMPTS"] == 50
