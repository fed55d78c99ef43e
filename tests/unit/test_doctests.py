"""The examples in the product's docstrings are run, so they stay true (issue 15).

Every module of ``dashboard/``, ``collectors/`` and ``layouts/`` with a ``>>>`` example is collected
by scanning the source tree: a new module's examples are run without anyone listing it here."""

from __future__ import annotations

import doctest
import importlib
import sys
from pathlib import Path

import dash
import pytest

from tests.dash_support import reset_dash_globals

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("dashboard", "collectors", "layouts")


def _modules_with_examples() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or ">>> " not in path.read_text(encoding="utf-8"):
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))  # a package
    return names


MODULES = _modules_with_examples()


def test_the_scan_finds_the_modules_with_examples():
    assert len(MODULES) >= 30, MODULES
    assert {"dashboard.i18n", "layouts.components.charts", "collectors.simulator"} <= set(MODULES)


@pytest.fixture
def page_registry():
    """Page modules call ``dash.register_page`` at import, which needs a Dash app with pages."""
    reset_dash_globals()
    dash.Dash(__name__, use_pages=True, pages_folder="")
    yield
    reset_dash_globals()


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name, page_registry):
    fresh = name not in sys.modules
    module = importlib.import_module(name)
    try:
        result = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=True, verbose=False
        )
    finally:
        if fresh and name.startswith("layouts."):
            del sys.modules[name]  # its page registration belonged to the throwaway app
    assert result.attempted > 0, f"{name}: no example found although the source has one"
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed (see above)"
