"""Data flows one way: adapters → runner → store → KPI engine → queries → pages (issue 15).

Every product module is parsed with :mod:`ast` (nothing is imported, so a cycle cannot hide behind
a lazy import inside a function) and each ``import``/``from … import`` is checked against the rules:

- the core (``dashboard/``) never imports the collectors or the pages: it is what both sides share;
- the pages (``layouts/``) never import the collectors nor SQLAlchemy: they read through
  ``dashboard`` queries and never build SQL of their own;
- the product never imports the tests (``tests``, or the old ``ioc_fakes`` alias of ``tests/fakes``).

The exceptions are listed below, each with its reason; an exception that is no longer needed fails
too, so the list can only shrink.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("dashboard", "collectors", "layouts")

# (importing package, forbidden top-level names)
RULES: dict[str, frozenset[str]] = {
    "dashboard": frozenset({"collectors", "layouts", "tests", "ioc_fakes"}),
    "layouts": frozenset({"collectors", "sqlalchemy", "tests", "ioc_fakes"}),
    "collectors": frozenset({"layouts", "tests", "ioc_fakes"}),
    "app.py": frozenset({"collectors", "tests", "ioc_fakes"}),
}

# (module path, imported top-level name) → why it may.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("dashboard/cli.py", "collectors"): (
        "the `ioc` command is the entry point that wires the processes together: `ioc collect` "
        "starts the collectors' scheduler and `ioc demo` the simulator beside the web app"
    ),
}


def _modules() -> Iterator[Path]:
    yield ROOT / "app.py"
    for package in PRODUCT:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path
    yield from sorted((ROOT / "dashboard" / "migrations").rglob("*.py"))


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of every absolute import in ``path``, however deeply nested."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value.split(".")[0]


def _rule_for(rel: str) -> frozenset[str]:
    return RULES.get(rel) or RULES.get(rel.split("/")[0], frozenset())


def violations() -> tuple[list[str], set[tuple[str, str]]]:
    found, used = [], set()
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        forbidden = _rule_for(rel)
        for line, name in _imports(path):
            if name not in forbidden:
                continue
            if (rel, name) in EXCEPTIONS:
                used.add((rel, name))
                continue
            found.append(f"{rel}:{line} imports {name}")
    return found, used


def test_imports_run_one_way():
    found, _ = violations()
    assert not found, "imports against the flow:\n" + "\n".join(found)


def test_every_exception_is_still_needed():
    _, used = violations()
    assert set(EXCEPTIONS) == used, f"stale exceptions: {sorted(set(EXCEPTIONS) - used)}"


def test_the_checker_sees_nested_and_dynamic_imports(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text(
        "import os\n"
        "def f():\n"
        "    from collectors.base import X\n"
        "    import importlib\n"
        "    importlib.import_module('layouts.home')\n",
        encoding="utf-8",
    )
    assert [name for _, name in _imports(sample)] == ["os", "collectors", "importlib", "layouts"]


def test_the_rules_cover_every_product_package():
    assert {p.relative_to(ROOT).parts[0] for p in _modules()} == {*PRODUCT, "app.py"}
