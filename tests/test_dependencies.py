"""The packages depend one way, in the order the README's "How it is built" gives.

Three layers: the foundation every domain may use; the domains, each of which imports only
the foundation, itself and the domains below it; and the interfaces of each domain (its
pages, forms, commands and demo data), which may use every domain, but the interfaces only of
their own domain and those below it. Any ``pb_app`` import counts, at the top of a module or
inside a function.
"""

from __future__ import annotations

import ast
from graphlib import TopologicalSorter
from pathlib import Path

import pytest

PB_APP = Path(__file__).resolve().parents[1] / "pb_app"
FOUNDATION = ("after_commit", "errors", "extensions", "links", "mail", "moments", "money", "tally",
              "tokens", "web")
# Lowest first: each domain may import those before it, never those after it.
DOMAINS = ("audit", "localities", "accounts", "rounds", "proposals", "pictures", "ballotbox",
           "monitoring", "voting", "paper", "results", "ledger", "reports", "privacy")
INTERFACES = ("views", "forms", "cli", "demo")
TOP = ("__init__", "demo")  # the app factory and the whole demo, which use everything


def _parts(path: Path) -> tuple[str, str]:
    """(package, module) of a file under pb_app: ``("voting", "views")``; a top-level module
    is its own package (``("errors", "errors")``)."""
    relative = path.relative_to(PB_APP).with_suffix("").parts
    return (relative[0], relative[-1]) if len(relative) > 1 else (relative[0], relative[0])


def _imported(path: Path) -> set[tuple[str, str]]:
    """(package, module) of everything in pb_app that ``path`` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pb_app"):
            names = ([f"pb_app.{alias.name}" for alias in node.names] if node.module == "pb_app"
                     else [node.module])
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if alias.name.startswith("pb_app.")]
        for name in names:
            parts = name.split(".")[1:]
            found.add((parts[0], parts[-1] if len(parts) > 1 else parts[0]))
    return found


def _is_interface(module: str) -> bool:
    return module in INTERFACES or module.endswith("_forms")


def breaks_the_order(importer: tuple[str, str], imported: tuple[str, str]) -> bool:
    """True when ``importer`` may not import ``imported`` (each a (package, module) pair)."""
    (package, module), (target, target_module) = importer, imported
    if package == target or package in TOP:
        return False
    if package in FOUNDATION:
        return target not in FOUNDATION
    if target in FOUNDATION:
        return False
    above = DOMAINS.index(target) > DOMAINS.index(package)
    if _is_interface(module):
        return _is_interface(target_module) and above
    return above or _is_interface(target_module)


MODULES = sorted(PB_APP.rglob("*.py"))


def test_every_package_has_its_place():
    packages = {_parts(path)[0] for path in MODULES}
    assert packages == set(FOUNDATION) | set(DOMAINS) | set(TOP)


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PB_APP)))
def test_imports_follow_the_order(path: Path):
    importer = _parts(path)
    wrong = sorted(f"{package}.{module}" for package, module in _imported(path)
                   if breaks_the_order(importer, (package, module)))
    assert wrong == [], f"{path.relative_to(PB_APP)} imports {wrong}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PB_APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, known: set[str]) -> set[str]:
    """The modules of pb_app that ``path`` imports (``from pb_app.x import y`` is module
    ``pb_app.x.y`` when that is a module, else ``pb_app.x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pb_app"):
            found |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known
                      else node.module for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
    return found


def test_no_module_imports_itself_through_others():
    """Within each layer too: a module never needs, directly or through others, a module that
    needs it (graphlib names the cycle if one appears)."""
    known = {_module_name(path) for path in MODULES}
    graph = {_module_name(path): _imported_modules(path, known) - {_module_name(path)}
             for path in MODULES}
    assert list(TopologicalSorter(graph).static_order())


@pytest.mark.parametrize(("importer", "imported", "breaks"), [
    (("rounds", "services"), ("voting", "services"), True),  # a domain above
    (("voting", "services"), ("rounds", "services"), False),  # a domain below
    (("ballotbox", "models"), ("voting", "models"), True),
    (("rounds", "services"), ("rounds", "views"), False),  # its own package
    (("rounds", "services"), ("accounts", "forms"), True),  # a domain uses no interface
    (("localities", "views"), ("rounds", "services"), False),  # interfaces use every domain
    (("rounds", "forms"), ("accounts", "forms"), False),  # and the interfaces below them
    (("results", "demo"), ("monitoring", "demo"), False),
    (("monitoring", "demo"), ("results", "demo"), True),
    (("audit", "views"), ("accounts", "decorators"), False),
    (("errors", "errors"), ("rounds", "models"), True),  # the foundation stands alone
    (("web", "layout"), ("errors", "errors"), False),
    (("audit", "services"), ("web", "layout"), False),
])
def test_the_rule_itself(importer, imported, breaks):
    assert breaks_the_order(importer, imported) is breaks
