"""Helpers for tests that build Dash apps in-process."""

import json

import dash._callback
import dash._pages
from plotly.utils import PlotlyJSONEncoder


def reset_dash_globals() -> None:
    """Dash keeps page and callback registries in module globals; a second app in one process
    would otherwise miss callbacks registered for the first (style.md, pitfalls)."""
    dash._callback.GLOBAL_CALLBACK_LIST.clear()
    dash._callback.GLOBAL_CALLBACK_MAP.clear()
    dash._callback.GLOBAL_INLINE_SCRIPTS.clear()
    dash._pages.PAGE_REGISTRY.clear()


def render_text(component) -> str:
    """A Dash component tree as JSON text, for asserting on what a page shows."""
    return json.dumps(component, cls=PlotlyJSONEncoder, ensure_ascii=False)
