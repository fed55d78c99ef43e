"""The sources file (``sources.toml``): its schema, read by both processes.

The collectors run what it lists; the web process reads it for the Sources page and the freshness
of every tile. The schema lives in the core so that neither side imports the other:
:mod:`collectors.sources` adds the adapters' own checks (adapter names, domains, options) by
passing its adapter classes to :func:`parse_sources`. See ``sources.example.toml`` for a commented
example. Problems are reported with the source's name and the field, e.g.
``source 'qlvb': interval: expected a duration such as 30s, 5m or 1h``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dashboard.errors import IocError
from dashboard.sourceerrors import ErrorKind, FatalSourceError

DOMAINS = (
    "documents",
    "dossiers",
    "meetings",
    "procedures",
    "meeting_samples",
    "dossier_stats",
    "document_status",
    "petitions",
    "tasks",
)


class AdapterSpec(Protocol):
    """What the schema needs to know of an adapter class (:class:`collectors.base.Adapter`)."""

    domains: tuple[str, ...]

    def check_options(self, options: dict[str, Any]) -> list[str]: ...


class SourcesError(IocError):
    exit_code = 6

    def __init__(self, path: str, problems: list[str]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"{path}: {problems[0]}{more}")


@dataclass(frozen=True)
class SourceConfig:
    """One entry of sources.toml, validated (see :func:`parse_sources`)."""

    name: str
    domain: str
    adapter: str
    interval_s: float = 300.0
    timezone: str = "Asia/Ho_Chi_Minh"
    freshness_s: float | None = None
    units: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    enabled: bool = True
    lookback_s: float = 3600.0
    #: Timestamps of things that happened (registered, received, finished, updated) later than
    #: now plus this are rejected as "future date" (a wrong clock, a typo'd year).
    future_tolerance_s: float = 3600.0

    @property
    def freshness_target_s(self) -> float:
        return self.freshness_s if self.freshness_s is not None else 3 * self.interval_s

    def secret(self, key: str, env: dict[str, str] | None = None) -> str:
        """The secret named ``key``, read from the environment variable the config names."""
        env = os.environ if env is None else env
        var = self.secrets.get(key)
        if not var:
            raise FatalSourceError(
                f'source {self.name!r}: no secret {key!r} configured (secrets.{key} = "ENV_VAR")',
                kind=ErrorKind.SECRET_MISSING,
                detail=f"secrets.{key}",
            )
        value = env.get(var)
        if not value:
            raise FatalSourceError(
                f"source {self.name!r}: environment variable {var} is not set",
                kind=ErrorKind.SECRET_MISSING,
                detail=var,
            )
        return value


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


def parse_sources(
    data: dict[str, Any], where: str = "sources", adapters: Mapping[str, AdapterSpec] | None = None
) -> list[SourceConfig]:
    """The validated sources of ``data``. ``adapters`` (kind → adapter class) also checks each
    entry's adapter name, domain and options; without it (the web process, which only reads the
    schema) the adapter is taken as written and the collectors check it when they start."""
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise SourcesError(where, ["expected [[source]] tables"])
    problems: list[str] = []
    configs: list[SourceConfig] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        name = entry.get("name") if isinstance(entry, dict) else None
        label = f"source {name!r}" if isinstance(name, str) and name else f"source #{index}"
        if not isinstance(entry, dict):
            problems.append(f"{label}: expected a table")
            continue
        local = _identity_problems(entry, label, seen, adapters)
        durations = _durations(entry, label, local)
        local.extend(_table_problems(entry, label))
        options = entry.get("options", {}) if isinstance(entry.get("options", {}), dict) else {}
        adapter = entry.get("adapter")
        if adapters is not None and adapter in adapters:
            local.extend(f"{label}: {p}" for p in adapters[adapter].check_options(options))
        if local:
            problems.extend(local)
            continue
        configs.append(
            SourceConfig(
                name=name,
                domain=entry.get("domain"),
                adapter=adapter,
                interval_s=durations["interval"],
                timezone=str(entry.get("timezone", "Asia/Ho_Chi_Minh")),
                freshness_s=durations["freshness"],
                units={str(k): str(v) for k, v in entry.get("units", {}).items()},
                options=options,
                secrets=dict(entry.get("secrets", {})),
                enabled=entry.get("enabled", True),
                lookback_s=durations["lookback"],
                future_tolerance_s=durations["future_tolerance"],
            )
        )
    if problems:
        raise SourcesError(where, problems)
    return configs


def _identity_problems(
    entry: dict[str, Any], label: str, seen: set[str], adapters: Mapping[str, AdapterSpec] | None
) -> list[str]:
    """Unknown fields, the name (unique), the domain and the adapter of one entry."""
    local = [f"{label}: unknown field {key!r}" for key in sorted(set(entry) - _KNOWN)]
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        local.append(f"{label}: name: expected lowercase letters, digits, '-' or '_' (e.g. qlvb)")
    elif name in seen:
        local.append(f"{label}: name: duplicate source name")
    seen.add(str(name))
    domain = entry.get("domain")
    if domain not in DOMAINS:
        local.append(f"{label}: domain: expected one of {', '.join(DOMAINS)}")
    adapter = entry.get("adapter")
    if adapters is None:
        if not isinstance(adapter, str) or not adapter:
            local.append(f"{label}: adapter: expected the name of an adapter")
    elif adapter not in adapters:
        local.append(f"{label}: adapter: expected one of {', '.join(sorted(adapters))}")
    elif domain in DOMAINS and domain not in adapters[adapter].domains:
        local.append(f"{label}: adapter {adapter!r} cannot read domain {domain!r}")
    if domain == "petitions" and isinstance(entry.get("options"), dict):
        from dashboard.petitions import DeadlineRules

        try:
            DeadlineRules.from_options(entry["options"].get("deadlines"))
        except ValueError as exc:
            local.append(f"{label}: {exc}")
    return local


_DURATIONS = (("interval", 300.0), ("freshness", None), ("lookback", 3600.0), ("future_tolerance", 3600.0))


def _durations(entry: dict[str, Any], label: str, local: list[str]) -> dict[str, float | None]:
    """The entry's durations in seconds (defaults where absent); problems go to ``local``."""
    durations: dict[str, float | None] = {}
    for key, default in _DURATIONS:
        if key in entry:
            try:
                durations[key] = parse_duration(entry[key])
            except ValueError:
                local.append(f"{label}: {key}: expected a duration such as 30s, 5m or 1h")
        else:
            durations[key] = default
    return durations


def _table_problems(entry: dict[str, Any], label: str) -> list[str]:
    """The time zone, the units/options/secrets tables, secret names and ``enabled``."""
    local = []
    try:
        ZoneInfo(str(entry.get("timezone", "Asia/Ho_Chi_Minh")))
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
    if not isinstance(entry.get("enabled", True), bool):
        local.append(f"{label}: enabled: expected true or false")
    return local


def load_sources(path: str | Path, adapters: Mapping[str, AdapterSpec] | None = None) -> list[SourceConfig]:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise SourcesError(str(path), ["file not found"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourcesError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_sources(data, str(path), adapters)
