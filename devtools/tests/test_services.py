import pytest

from ticketing_devtools.errors import SetupError
from ticketing_devtools.services import SERVICES, existing_services, relocated


def make_service(repo, directory, *files):
    for name in ("manage.py", *files):
        path = repo / directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def test_registry_matches_the_routing_contract():
    table = {s.name: (s.directory, s.port, s.prefixes, s.database) for s in SERVICES}
    assert table == {
        "auth": ("auth_service", 8001, ("/api/users/", "/admin/users/"), "ticketing_auth"),
        "tickets": (
            "tickets_service",
            8002,
            ("/api/tickets/", "/admin/tickets/"),
            "ticketing_tickets",
        ),
        "orders": ("orders_service", 8003, ("/api/orders/", "/admin/orders/"), "ticketing_orders"),
        "payments": (
            "payments_service",
            8004,
            ("/api/payments/", "/admin/payments/"),
            "ticketing_payments",
        ),
        "frontend": ("frontend_service", 8005, ("/",), "ticketing_frontend"),
    }


def test_only_services_with_manage_py_exist(tmp_path):
    make_service(tmp_path, "orders_service")
    make_service(tmp_path, "auth_service")
    (tmp_path / "tickets_service").mkdir()

    assert [s.name for s in existing_services(tmp_path)] == ["auth", "orders"]


def test_a_worker_needs_a_celery_app_and_something_to_run(tmp_path):
    make_service(tmp_path, "auth_service", "config/celery_app.py", "users/models.py")
    make_service(tmp_path, "tickets_service", "config/celery_app.py", "tickets/handlers.py")
    make_service(tmp_path, "orders_service", "config/celery_app.py", "orders/tasks.py")
    make_service(tmp_path, "payments_service", "payments/tasks.py")

    workers = {s.name: s.has_worker for s in existing_services(tmp_path)}

    assert workers == {"auth": False, "tickets": True, "orders": True, "payments": False}


def test_relocated_moves_the_whole_port_block_in_registry_order():
    moved = relocated(SERVICES, port_base=21001, database_suffix="_e2e_ab12")

    assert [(s.name, s.port) for s in moved] == [
        ("auth", 21001),
        ("tickets", 21002),
        ("orders", 21003),
        ("payments", 21004),
        ("frontend", 21005),
    ]
    assert moved[0].database == "ticketing_auth_e2e_ab12"
    assert moved[-1].database == "ticketing_frontend_e2e_ab12"
    assert moved[0].prefixes == SERVICES[0].prefixes


def test_relocated_keeps_a_services_slot_when_earlier_ones_are_missing():
    [orders] = relocated([s for s in SERVICES if s.name == "orders"], port_base=21001)

    assert orders.port == 21003


def test_relocated_by_default_changes_nothing():
    assert relocated(SERVICES) == list(SERVICES)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"database_suffix": "-x"}, "lowercase letters, digits and _ only"),
        ({"database_suffix": "_X"}, "lowercase letters, digits and _ only"),
        ({"database_suffix": "_" + "x" * 60}, "longer than 63"),
        ({"port_base": 65533}, "not all valid ports"),
        ({"port_base": 0}, "not all valid ports"),
    ],
)
def test_relocated_refuses_names_and_ports_that_cannot_work(options, message):
    with pytest.raises(SetupError, match=message):
        relocated(SERVICES, **options)
