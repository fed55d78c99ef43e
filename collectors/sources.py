"""The sources file (``sources.toml``) as the collectors read it: the schema of
:mod:`dashboard.sourcecfg` plus every adapter's own checks, and the adapters by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from collectors.base import Adapter
from dashboard import sourcecfg as _sourcecfg
from dashboard.sourcecfg import SourceConfig, SourcesError, parse_duration

__all__ = [
    "ADAPTERS",
    "SourceConfig",
    "SourcesError",
    "adapter_classes",
    "load_sources",
    "make_adapter",
    "parse_duration",
    "parse_sources",
]


#: Every adapter, as "module:Class" (one line each).
ADAPTERS = (
    "collectors.sql:SqlAdapter",
    "collectors.file:FileAdapter",
    "collectors.edxml:EdxmlStatusAdapter",
    "collectors.bbb:BbbAdapter",
    "collectors.trueconf:TrueConfAdapter",
    "collectors.jitsi:JitsiAdapter",
    "collectors.rest:DossierRestAdapter",
    "collectors.opencps:OpenCpsAdapter",
)


def adapter_classes() -> dict[str, type[Adapter]]:
    import importlib

    classes: dict[str, type[Adapter]] = {}
    for path in ADAPTERS:
        module, name = path.split(":")
        cls = getattr(importlib.import_module(module), name)
        classes[cls.kind] = cls
    return classes


def make_adapter(config: SourceConfig) -> Adapter:
    return adapter_classes()[config.adapter](config)


def parse_sources(data: dict[str, Any], where: str = "sources") -> list[SourceConfig]:
    """:func:`dashboard.sourcecfg.parse_sources` with every adapter's own checks."""
    return _sourcecfg.parse_sources(data, where, adapter_classes())


def load_sources(path: str | Path) -> list[SourceConfig]:
    """:func:`dashboard.sourcecfg.load_sources` with every adapter's own checks."""
    return _sourcecfg.load_sources(path, adapter_classes())
