"""The sources file (``sources.toml``): which systems to collect from, how and how often.

See ``sources.example.toml`` for a commented example. Problems are reported with the source's
name and the field, e.g. ``source 'qlvb': interval: expected a duration such as 30s, 5m or 1h``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from collectors.base import DOMAINS, Adapter, SourceConfig
from dashboard.errors import IocError


class SourcesError(IocError):
    exit_code = 6

    def __init__(self, path: str, problems: list[str]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"{path}: {problems[0]}{more}")


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


_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: Any) -> float:
    """``30`` or ``"30s"`` → 30.0; ``"5m"`` → 300.0; ``"1h"`` → 3600.0."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError
    return seconds


_KNOWN = {
    "name",
    "domain",
    "adapter",
    "interval",
    "timezone",
    "freshness",
    "units",
    "options",
    "secrets",
    "enabled",
    "lookback",
    "future_tolerance",
}


def parse_sources(data: dict[str, Any], where: str = "sources") -> list[SourceConfig]:  # noqa: C901 -- TODO(issue 15): split
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise SourcesError(where, ["expected [[source]] tables"])
    problems: list[str] = []
    configs: list[SourceConfig] = []
    seen: set[str] = set()
    classes = adapter_classes()
    for index, entry in enumerate(entries, start=1):
        name = entry.get("name") if isinstance(entry, dict) else None
        label = f"source {name!r}" if isinstance(name, str) and name else f"source #{index}"
        if not isinstance(entry, dict):
            problems.append(f"{label}: expected a table")
            continue
        local: list[str] = []
        for key in sorted(set(entry) - _KNOWN):
            local.append(f"{label}: unknown field {key!r}")
        if not isinstance(name, str) or not _NAME.match(name):
            local.append(f"{label}: name: expected lowercase letters, digits, '-' or '_' (e.g. qlvb)")
        elif name in seen:
            local.append(f"{label}: name: duplicate source name")
        seen.add(str(name))
        domain = entry.get("domain")
        if domain not in DOMAINS:
            local.append(f"{label}: domain: expected one of {', '.join(DOMAINS)}")
        adapter = entry.get("adapter")
        if adapter not in classes:
            local.append(f"{label}: adapter: expected one of {', '.join(sorted(classes))}")
        elif domain in DOMAINS and domain not in classes[adapter].domains:
            local.append(f"{label}: adapter {adapter!r} cannot read domain {domain!r}")
        if domain == "petitions" and isinstance(entry.get("options"), dict):
            from dashboard.petitions import DeadlineRules

            try:
                DeadlineRules.from_options(entry["options"].get("deadlines"))
            except ValueError as exc:
                local.append(f"{label}: {exc}")
        durations: dict[str, float | None] = {}
        for key, default in (
            ("interval", 300.0),
            ("freshness", None),
            ("lookback", 3600.0),
            ("future_tolerance", 3600.0),
        ):
            if key in entry:
                try:
                    durations[key] = parse_duration(entry[key])
                except ValueError:
                    local.append(f"{label}: {key}: expected a duration such as 30s, 5m or 1h")
            else:
                durations[key] = default
        tz = entry.get("timezone", "Asia/Ho_Chi_Minh")
        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            local.append(f"{label}: timezone: expected an IANA time zone such as Asia/Ho_Chi_Minh")
        for key in ("units", "options", "secrets"):
            if key in entry and not isinstance(entry[key], dict):
                local.append(f"{label}: {key}: expected a table")
        secrets = entry.get("secrets", {}) if isinstance(entry.get("secrets", {}), dict) else {}
        for key, var in secrets.items():
            if not isinstance(var, str) or not _ENV.match(var):
                local.append(
                    f"{label}: secrets.{key}: expected the NAME of an environment variable (e.g. IOC_QLVB_PASSWORD), never the secret itself"
                )
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            local.append(f"{label}: enabled: expected true or false")
        options = entry.get("options", {}) if isinstance(entry.get("options", {}), dict) else {}
        if adapter in classes:
            local.extend(f"{label}: {p}" for p in classes[adapter].check_options(options))
        if local:
            problems.extend(local)
            continue
        configs.append(
            SourceConfig(
                name=name,
                domain=domain,
                adapter=adapter,
                interval_s=durations["interval"],
                timezone=str(tz),
                freshness_s=durations["freshness"],
                units={str(k): str(v) for k, v in entry.get("units", {}).items()},
                options=options,
                secrets=dict(secrets),
                enabled=enabled,
                lookback_s=durations["lookback"],
                future_tolerance_s=durations["future_tolerance"],
            )
        )
    if problems:
        raise SourcesError(where, problems)
    return configs


def load_sources(path: str | Path) -> list[SourceConfig]:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise SourcesError(str(path), ["file not found"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourcesError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_sources(data, str(path))
