"""Boundaries in the code that no single suite sees: tools and packages never lean on tests."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _is_test_code(path: Path) -> bool:
    return "tests" in path.relative_to(REPO).parts


def _production_modules() -> list[Path]:
    ignored = {".venv", ".local", "node_modules"}
    return [
        path
        for path in REPO.rglob("*.py")
        if not ignored & set(path.relative_to(REPO).parts) and not _is_test_code(path)
    ]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_tool_benchmark_or_package_imports_test_code():
    """What a benchmark and the tests both need lives in the package
    (`ticketing_shared.testing`), so that test code can change without breaking a tool."""
    offenders = {
        str(path.relative_to(REPO)): sorted(
            name for name in _imported_modules(path) if name.split(".")[0] == "tests"
        )
        for path in _production_modules()
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_check_sees_the_benchmark():
    assert REPO / "bench" / "event_bus.py" in _production_modules()
