"""Targets and red/amber/green thresholds per deployment and per unit, 766 rating bands and the
working-day calendar's yearly adjustments: ``targets.toml`` (see ``targets.example.toml``).

Precedence: a unit's own entry, then the deployment's entry, then the catalogue default —
field by field, so a unit may override only ``green``. The file is validated as a whole when the
settings are loaded (``IOC_TARGETS_FILE``); every problem names the KPI and the field::

    targets.toml: kpi."DVC-06".green = 98 is invalid: DVC-06 is a percentage, give a fraction
    between 0 and 1 (0.98 for 98 %)

>>> t = parse_targets({"kpi": {"DVC-02": {"green": 0.6}}})
>>> t.thresholds("DVC-02").green, t.thresholds("DVC-02").amber   # amber keeps the default
(0.6, 0.2)
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from dashboard.errors import IocError
from dashboard.kpi.catalogue import CATALOGUE, Thresholds
from dashboard.kpi.workdays import WorkingCalendar
from dashboard.service_index import DEFAULT_BANDS, Band

_FIELDS = ("target", "green", "amber")
_TOP_LEVEL = ("kpi", "unit", "service_index", "calendar")


class TargetsError(IocError):
    """targets.toml is invalid; ``problems`` lists every problem, each naming KPI and field."""

    exit_code = 2

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"{source}: {problems[0]}{more}")


@dataclass(frozen=True)
class Targets:
    """Validated overrides. Build with :func:`load_targets` or :func:`parse_targets`."""

    kpis: dict[str, Thresholds] = field(default_factory=dict)  # deployment-wide, merged with defaults
    units: dict[str, dict[str, dict[str, float | None]]] = field(default_factory=dict)  # code → kpi → fields
    bands: tuple[Band, ...] = DEFAULT_BANDS
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)

    def thresholds(self, kpi_id: str, unit_code: str | None = None) -> Thresholds:
        base = self.kpis.get(kpi_id) or CATALOGUE[kpi_id].thresholds
        if unit_code is not None:
            override = self.units.get(unit_code, {}).get(kpi_id)
            if override:
                base = replace(base, **override)
        return base

    def unit_codes(self) -> set[str]:
        return set(self.units)


DEFAULT_TARGETS = Targets()


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _check_fields(where: str, kpi_id: str, entry: Any, problems: list[str]) -> dict[str, float | None]:
    """Validate one ``[kpi."ID"]`` table; return the fields it sets."""
    if not isinstance(entry, dict):
        problems.append(f"{where} must be a table with target, green, amber")
        return {}
    d = CATALOGUE[kpi_id]
    out: dict[str, float | None] = {}
    for name, raw in entry.items():
        if name not in _FIELDS:
            problems.append(f"{where}.{name} is unknown: expected one of {', '.join(_FIELDS)}")
            continue
        number = _number(raw)
        if number is None:
            problems.append(f"{where}.{name} = {raw!r} is invalid: expected a number")
            continue
        if d.unit == "percent" and not 0 <= number <= 1:
            problems.append(
                f"{where}.{name} = {raw} is invalid: {kpi_id} is a percentage, give a fraction between 0 and 1 "
                f"({number / 100:g} for {number:g} %)"
                if 1 < number <= 100
                else f"{where}.{name} = {raw} is invalid: {kpi_id} is a percentage, give a fraction between 0 and 1"
            )
            continue
        if d.unit == "points" and not 0 <= number <= 100:
            problems.append(f"{where}.{name} = {raw} is invalid: {kpi_id} is scored 0–100")
            continue
        if number < 0:
            problems.append(f"{where}.{name} = {raw} is invalid: expected a number ≥ 0")
            continue
        out[name] = number
    if ("green" in out or "amber" in out) and d.direction is None:
        problems.append(
            f"{where}: {kpi_id} has no direction (neither more nor less is better), so it has no red/amber/green"
        )
    return out


def _check_order(where: str, kpi_id: str, t: Thresholds, problems: list[str]) -> None:
    d = CATALOGUE[kpi_id]
    if t.green is None or t.amber is None:
        return
    if d.direction == "up" and t.amber > t.green:
        problems.append(
            f"{where}: amber = {t.amber:g} is above green = {t.green:g}, but higher is better for {kpi_id}"
        )
    if d.direction == "down" and t.amber < t.green:
        problems.append(
            f"{where}: amber = {t.amber:g} is below green = {t.green:g}, but lower is better for {kpi_id}"
        )


def _kpi_tables(where: str, table: Any, problems: list[str]) -> dict[str, dict[str, float | None]]:
    if not isinstance(table, dict):
        problems.append(f'{where} must be a table of KPI ids, e.g. [{where}."DVC-06"]')
        return {}
    out = {}
    for kpi_id, entry in table.items():
        if kpi_id not in CATALOGUE:
            problems.append(f'{where}."{kpi_id}": unknown KPI; known: {", ".join(CATALOGUE)}')
            continue
        out[kpi_id] = _check_fields(f'{where}."{kpi_id}"', kpi_id, entry, problems)
    return out


def _dates(where: str, raw: Any, problems: list[str]) -> list[date]:
    if not isinstance(raw, list):
        problems.append(f"{where} must be a list of dates, e.g. [2026-09-01]")
        return []
    out = []
    for value in raw:
        if isinstance(value, date):
            out.append(value)
        else:
            try:
                out.append(date.fromisoformat(str(value)))
            except ValueError:
                problems.append(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
    return out


def parse_targets(data: dict[str, Any], source: str = "targets.toml") -> Targets:
    """Validate parsed TOML; raise :class:`TargetsError` listing every problem."""
    problems: list[str] = []
    for key in data:
        if key not in _TOP_LEVEL:
            problems.append(f"unknown table [{key}]; expected {', '.join(f'[{k}]' for k in _TOP_LEVEL)}")
    kpis: dict[str, Thresholds] = {}
    for kpi_id, fields in _kpi_tables("kpi", data.get("kpi", {}), problems).items():
        merged = replace(CATALOGUE[kpi_id].thresholds, **fields)
        _check_order(f'kpi."{kpi_id}"', kpi_id, merged, problems)
        kpis[kpi_id] = merged
    units: dict[str, dict[str, dict[str, float | None]]] = {}
    raw_units = data.get("unit", {})
    if not isinstance(raw_units, dict):
        problems.append('unit must be a table of unit codes, e.g. [unit."SO-01".kpi."DVC-06"]')
        raw_units = {}
    for code, table in raw_units.items():
        if not isinstance(table, dict) or set(table) - {"kpi"}:
            problems.append(f'unit."{code}" may only hold kpi tables, e.g. [unit."{code}".kpi."DVC-06"]')
            continue
        units[code] = _kpi_tables(f'unit."{code}".kpi', table.get("kpi", {}), problems)
        for kpi_id, fields in units[code].items():
            base = kpis.get(kpi_id) or CATALOGUE[kpi_id].thresholds
            _check_order(f'unit."{code}".kpi."{kpi_id}"', kpi_id, replace(base, **fields), problems)
    bands = DEFAULT_BANDS
    raw_bands = (
        (data.get("service_index") or {}).get("band") if isinstance(data.get("service_index"), dict) else None
    )
    if isinstance(data.get("service_index"), dict) and set(data["service_index"]) - {"band"}:
        problems.append("service_index may only hold [[service_index.band]] entries")
    if raw_bands is not None:
        bands = _bands(raw_bands, problems)
    calendar = WorkingCalendar()
    raw_cal = data.get("calendar")
    if raw_cal is not None:
        if not isinstance(raw_cal, dict) or set(raw_cal) - {"holidays", "working_days"}:
            problems.append("calendar may only hold holidays = [...] and working_days = [...]")
        else:
            calendar = WorkingCalendar(
                _dates("calendar.holidays", raw_cal.get("holidays", []), problems),
                _dates("calendar.working_days", raw_cal.get("working_days", []), problems),
            )
    if problems:
        raise TargetsError(source, problems)
    return Targets(kpis, units, bands, calendar)


def _bands(raw: Any, problems: list[str]) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append("service_index.band must be a list of [[service_index.band]] tables")
        return DEFAULT_BANDS
    bands = []
    for i, entry in enumerate(raw, start=1):
        where = f"service_index.band #{i}"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be a table with min, name_vi, name_en")
            continue
        unknown = set(entry) - {"min", "name_vi", "name_en"}
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        minimum = _number(entry.get("min"))
        if minimum is None or not 0 <= minimum <= 100:
            problems.append(
                f"{where}.min = {entry.get('min')!r} is invalid: expected a score between 0 and 100"
            )
            continue
        name_vi = str(entry.get("name_vi") or "").strip()
        if not name_vi:
            problems.append(f"{where}: name_vi is missing")
            continue
        bands.append(Band(minimum, name_vi, str(entry.get("name_en") or name_vi).strip()))
    mins = [b.min_score for b in bands]
    if len(set(mins)) != len(mins):
        problems.append("service_index.band: two bands have the same min")
    if bands and min(mins) > 0:
        problems.append(
            "service_index.band: the lowest band must start at min = 0 so that every score has a band"
        )
    return tuple(sorted(bands, key=lambda b: -b.min_score))


def read_targets_file(path: str | os.PathLike[str]) -> Targets:
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise TargetsError(str(path), ["file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise TargetsError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_targets(data, source=str(path))


@lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int) -> Targets:
    return read_targets_file(path)


def load_targets(path: str | os.PathLike[str] | None) -> Targets:
    """The targets of a deployment (None: the catalogue defaults), re-read when the file changes."""
    if path is None:
        return DEFAULT_TARGETS
    path = Path(path)
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise TargetsError(str(path), ["file not found"]) from None
    return _cached(str(path.resolve()), mtime)
