"""Inputs of the 766 index the store cannot compute, from whoever has them: "input providers".

Some indicators of the national service index (domain.md §3) are not about dossiers: petitions
handled on time and their satisfaction, fee synchronisation (C), reuse of digitised data, the
citizen data store, population data, electronic certified copies, the transparency group's
procedure figures. The estimate (:func:`dashboard.service_index.estimate`) asks for them here::

    inputs = collect(session, unit_id, period)      # {"petitions_on_time": IndicatorInput(...), ...}

A provider is any object with a ``name``, the ``indicators`` it can give and
``inputs(session, unit_id, period) -> {indicator: IndicatorInput}``. Providers registered earlier
win for an indicator (:func:`register` puts a provider first): the petitions domain, when it
collects petitions, registers one that gives ``petitions_on_time`` and ``petition_satisfaction``
from its own facts (``population=0`` when there were none — the rule then gives 6 points); until
then, and for everything else, :class:`ImportedInputs` reads the figures imported with
``ioc scores import`` (table ``index_indicator_score``).

Province-wide indicators (:data:`PROVINCE_WIDE`: electronic certified copies — every unit of a
province carries the province's value in the published scores) fall back to the nearest ancestor
that has one.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.kpi.periods import Period
from dashboard.models import IndexIndicatorScore, OrgUnit

#: "Now" of the computation asking (the KPI engine's clock), for providers that compute from facts.
NOW: ContextVar[datetime | None] = ContextVar("index_inputs_now", default=None)

#: Indicators whose value is the province's, for every unit in it.
PROVINCE_WIDE = frozenset({"certified_copies"})


@dataclass(frozen=True)
class IndicatorInput:
    """One indicator's figure from outside the store: a ratio r (0…1) to score by the published
    rule, or points as published; ``population`` is the number of items it is over when known
    (0: there were none, e.g. no petitions); ``source`` says where it came from."""

    ratio: float | None = None
    points: float | None = None
    population: int | None = None
    source: str = ""


class InputProvider(Protocol):
    name: str
    indicators: frozenset[str]

    def inputs(self, session: Session, unit_id: int, period: Period) -> dict[str, IndicatorInput]: ...


class ImportedInputs:
    """Figures imported from the portal's per-indicator files (``ioc scores import``)."""

    name = "import"

    def __init__(self, indicators: Iterable[str]):
        self.indicators = frozenset(indicators)

    def inputs(self, session: Session, unit_id: int, period: Period) -> dict[str, IndicatorInput]:
        """The rows of ``unit_id`` for the period: the same first day, covering the period (a
        month's figures answer for the month so far), the tightest first."""
        rows = session.scalars(
            select(IndexIndicatorScore)
            .where(
                IndexIndicatorScore.unit_id == unit_id,
                IndexIndicatorScore.period_start == period.start,
                IndexIndicatorScore.period_end >= period.end,
                IndexIndicatorScore.indicator.in_(self.indicators),
            )
            .order_by(IndexIndicatorScore.period_end.desc())
        )
        found = {}
        for row in rows:  # the last one written wins: the tightest period
            found[row.indicator] = IndicatorInput(row.ratio, row.points, None, f"{self.name}: {row.source}")
        return found


_PROVIDERS: list[InputProvider] = []


def register(provider: InputProvider) -> None:
    """Put ``provider`` first (a domain that collects the facts overrides the imports)."""
    unregister(provider.name)
    _PROVIDERS.insert(0, provider)


def register_fallback(provider: InputProvider) -> None:
    """Put ``provider`` last: asked only for what no other provider gives (the imports)."""
    unregister(provider.name)
    _PROVIDERS.append(provider)


def unregister(name: str) -> None:
    _PROVIDERS[:] = [p for p in _PROVIDERS if p.name != name]


def providers() -> tuple[InputProvider, ...]:
    return tuple(_PROVIDERS)


def _ancestors(session: Session, unit_id: int) -> list[int]:
    parents = dict(session.execute(select(OrgUnit.id, OrgUnit.parent_id)).all())
    out, current = [], parents.get(unit_id)
    while current is not None and current not in out:
        out.append(current)
        current = parents.get(current)
    return out


def collect(
    session: Session, unit_id: int | None, period: Period, wanted: Iterable[str] | None = None
) -> dict[str, IndicatorInput]:
    """Every input the providers have for ``unit_id`` and ``period`` (first provider wins);
    province-wide indicators fall back to the nearest ancestor's."""
    if unit_id is None:
        return {}
    wanted = None if wanted is None else set(wanted)
    found: dict[str, IndicatorInput] = {}
    for provider in _PROVIDERS:
        for key, value in provider.inputs(session, unit_id, period).items():
            if (wanted is None or key in wanted) and key not in found:
                found[key] = value
    missing = [k for k in PROVINCE_WIDE if k not in found and (wanted is None or k in wanted)]
    if missing:
        for ancestor in _ancestors(session, unit_id):
            for provider in _PROVIDERS:
                for key, value in provider.inputs(session, ancestor, period).items():
                    if key in missing and key not in found:
                        found[key] = value
            if all(k in found for k in missing):
                break
    return found


__all__ = [
    "PROVINCE_WIDE",
    "ImportedInputs",
    "IndicatorInput",
    "InputProvider",
    "collect",
    "providers",
    "register",
    "register_fallback",
    "unregister",
]
