"""The tally core stays pure: its modules import neither Flask, SQLAlchemy, nor the app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TALLY = Path(__file__).resolve().parents[2] / "pb_app" / "tally"
FORBIDDEN_ROOTS = ("flask", "sqlalchemy", "pabutools", "werkzeug", "jinja2")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
    return names


def _offending(module: str, name: str) -> bool:
    root = name.split(".")[0]
    if root in FORBIDDEN_ROOTS or root.startswith("flask_"):
        return True
    if root == "click":
        return module != "cli.py"
    if name.startswith("."):
        return True  # relative imports could reach outside: spell pb_app.tally out
    return root == "pb_app" and not name.startswith("pb_app.tally")


MODULES = sorted(TALLY.glob("*.py"))


def test_the_tally_package_has_modules() -> None:
    assert {"engine.py", "mes.py", "greedy.py", "model.py"} <= {p.name for p in MODULES}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_imports_are_pure(path: Path) -> None:
    bad = [name for name in _imports(path) if _offending(path.name, name)]
    assert bad == [], f"{path.name} imports {bad}"


@pytest.mark.parametrize(
    ("module", "name", "offends"),
    [
        ("mes.py", "flask", True),
        ("mes.py", "flask_login", True),
        ("mes.py", "sqlalchemy.orm", True),
        ("mes.py", "pb_app.extensions", True),
        ("mes.py", "pb_app.rounds.models", True),
        ("mes.py", "pabutools.rules", True),
        ("mes.py", "click", True),
        ("cli.py", "click", False),
        ("mes.py", "numpy", False),
        ("mes.py", "pb_app.tally.model", False),
        ("mes.py", "..extensions", True),
    ],
)
def test_the_purity_check_itself(module: str, name: str, offends: bool) -> None:
    assert _offending(module, name) is offends
