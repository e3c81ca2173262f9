from ticketing_devtools.services import SERVICES, existing_services


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
