"""Migration tests: the database's schema moved to a given migration, and back."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def schema_migrate(target: tuple[str, str]):
    """Migrates the test database to `target` (app label, migration name), forwards or
    backwards; returns the apps as that migration left them (its historical models)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state(target).apps


def migration_latest(app_label: str) -> tuple[str, str]:
    """The app's last migration on disk."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes(app_label)[0]
