from dataclasses import replace

import pytest

from ticketing_shared.registry import (
    CATCH_ALL,
    SERVICES,
    Service,
    service_for_settings,
    service_get,
)


def test_the_registry_routes_as_the_contract_says():
    """Contract §1: one origin, each service under its prefixes, the frontend takes the rest."""
    routes = {service.name: service.prefixes for service in SERVICES}

    assert routes == {
        "auth": ("/api/users/", "/admin/users/"),
        "tickets": ("/api/tickets/", "/admin/tickets/"),
        "orders": ("/api/orders/", "/admin/orders/"),
        "payments": ("/api/payments/", "/admin/payments/"),
        "frontend": (CATCH_ALL,),
    }


def test_names_ports_and_databases_are_unique():
    for attribute in ("name", "port", "database", "directory", "image", "package"):
        values = [getattr(service, attribute) for service in SERVICES]
        assert len(set(values)) == len(values), attribute


def test_a_services_database_is_named_after_it_unless_given():
    default = Service("sample", "samples", 9001, runs_worker=False)
    given = Service("sample", "samples", 9001, runs_worker=False, database="elsewhere")

    assert default.database == "ticketing_sample"
    assert given.database == "elsewhere"
    # Moving an entry keeps its database unless the move names another.
    assert replace(default, port=9101).database == "ticketing_sample"
    assert replace(default, database="ticketing_sample_copy").database == "ticketing_sample_copy"


def test_the_frontend_is_the_one_catch_all_and_keeps_no_data():
    """It has no API or admin prefix (the gateway sends it every path no other service
    claims), runs no worker, and reads the other services' APIs rather than a database."""
    frontend = service_get("frontend")

    assert [service.name for service in SERVICES if service.is_catch_all] == ["frontend"]
    assert (frontend.api_prefix, frontend.admin_prefix) == (None, None)
    assert frontend.prefixes == (CATCH_ALL,)
    assert not frontend.runs_worker
    assert not frontend.signs_tokens
    assert [service.name for service in SERVICES if not service.uses_database] == ["frontend"]
    # Where it reaches each API: one variable per service, the same wherever it is set.
    assert service_get("orders").api_url_variable == "FRONTEND_ORDERS_URL"
    # Its requests wait on the APIs: threads, so that one slow API does not hold every worker.
    assert frontend.web_threads > 1
    assert {service.web_threads for service in SERVICES if not service.is_catch_all} == {1}
    assert (frontend.directory, frontend.package, frontend.image) == (
        "frontend_service",
        "frontend-service",
        "ticketing/frontend-service",
    )


def test_a_service_keeps_data_unless_its_entry_says_otherwise():
    assert Service("sample", "samples", 9001, runs_worker=False).uses_database
    assert service_for_settings("sample").uses_database
    assert not Service("sample", None, 9001, runs_worker=False, uses_database=False).uses_database


def test_only_auth_signs_tokens():
    assert [service.name for service in SERVICES if service.signs_tokens] == ["auth"]


def test_a_service_is_found_by_name():
    assert service_get("orders").database == "ticketing_orders"

    with pytest.raises(LookupError, match="no service named 'order'"):
        service_get("order")


def test_settings_for_a_service_outside_the_registry_route_it_by_its_name():
    sample = service_for_settings("sample")

    assert (sample.api_prefix, sample.admin_prefix) == ("/api/sample/", "/admin/sample/")
    assert not sample.runs_worker
    assert not sample.signs_tokens
    assert service_for_settings("auth") is service_get("auth")
