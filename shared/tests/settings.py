"""A minimal service that exercises everything in `ticketing_shared`, as a real one would."""

from pathlib import Path

from ticketing_shared.settings import service_settings

BASE_DIR = Path(__file__).resolve().parent

globals().update(
    service_settings(
        service="sample",
        base_dir=BASE_DIR,
        api_prefix="api/sample/",
        admin_prefix="admin/sample/",
        local_apps=["tests.sample"],
    )
)

ROOT_URLCONF = "tests.urls"
