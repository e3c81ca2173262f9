"""Each service's folder names the registry entry it is: a typo would boot a service nobody
routes to, with a database and an event queue of its own that no producer sends to."""

import ast
from pathlib import Path

import pytest

from ticketing_shared.registry import SERVICES, SERVICES_BY_NAME

REPO = Path(__file__).resolve().parent.parent
SERVICE_FOLDERS = sorted(path.parent for path in REPO.glob("*_service/manage.py"))


def named_service(settings_file: Path) -> str | None:
    """The value `config/settings.py` gives `os.environ["TICKETING_SERVICE"]`."""
    for node in ast.walk(ast.parse(settings_file.read_text())):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Subscript)
            and isinstance(node.targets[0].slice, ast.Constant)
            and node.targets[0].slice.value == "TICKETING_SERVICE"
            and isinstance(node.value, ast.Constant)
        ):
            return node.value.value
    return None


def test_every_service_folder_is_in_the_registry():
    assert SERVICE_FOLDERS, "no service folder found"
    directories = {service.directory for service in SERVICES}
    assert {folder.name for folder in SERVICE_FOLDERS} <= directories


@pytest.mark.parametrize("folder", SERVICE_FOLDERS, ids=lambda folder: folder.name)
def test_a_services_settings_name_its_own_registry_entry(folder):
    name = named_service(folder / "config" / "settings.py")

    assert name in SERVICES_BY_NAME, f"{folder.name} names {name!r}, not a registry entry"
    assert SERVICES_BY_NAME[name].directory == folder.name
