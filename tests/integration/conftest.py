"""Fixtures shared by the integration tests."""

import sys

import pytest

from dashboard.webapp import create_app
from tests.dash_support import reset_dash_globals


@pytest.fixture
def build_app(make_settings):
    """Build the real Dash app on ``engine`` with fresh Dash registries (one app at a time)."""

    def factory(engine, **overrides):
        reset_dash_globals()
        for name in [m for m in sys.modules if m.startswith("layouts.") or m == "layouts"]:
            del sys.modules[name]
        return create_app(
            make_settings(database_url=engine.url.render_as_string(hide_password=False), **overrides), engine
        )

    yield factory
    reset_dash_globals()
