from dataclasses import replace

import pytest

from ticketing_devtools.errors import SetupError
from ticketing_devtools.paths import find_repo_root
from ticketing_devtools.services import declares_worker, existing_services, relocated
from ticketing_shared.registry import SERVICES

REPO = find_repo_root()


def make_service(repo, directory, *files):
    for name in ("manage.py", *files):
        path = repo / directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


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

    declared = {
        name: declares_worker(tmp_path / f"{name}_service")
        for name in ("auth", "tickets", "orders", "payments")
    }

    assert declared == {"auth": False, "tickets": True, "orders": True, "payments": False}


@pytest.mark.parametrize("service", existing_services(REPO), ids=lambda s: s.name)
def test_each_service_folder_agrees_with_the_registry_about_its_worker(service):
    # The runner and the cluster start a worker and beat from the registry alone; a folder with
    # tasks nobody runs, or a worker with nothing to run, means the two have drifted apart.
    declared = declares_worker(REPO / service.directory)

    assert declared == service.runs_worker, (
        f"{service.directory} {'has' if declared else 'has no'} config/celery_app.py with "
        f"*/tasks.py or */handlers.py, but the registry says runs_worker={service.runs_worker}"
    )


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
    # Everything else is the registry's entry.
    assert moved[0] == replace(SERVICES[0], port=21001, database="ticketing_auth_e2e_ab12")
    # Moving twice starts from the registry again, not from the first move.
    assert relocated(moved, port_base=22001)[0].port == 22001
    assert relocated(moved, database_suffix="_b")[0].database == "ticketing_auth_b"


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
