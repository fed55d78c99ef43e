"""The monthly KPI table an IT office sends upward: every active unit × every KPI of a period, one
row each, with the value as shown, its numerator and denominator, and why a value is missing."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.display import format_value
from dashboard.kpi.engine import UnitTree, compute, resolve_scope
from dashboard.kpi.periods import Period
from dashboard.targets import Targets

_HEADERS = {
    "vi": (
        "Mã đơn vị",
        "Đơn vị",
        "Từ ngày",
        "Đến ngày",
        "Chỉ số",
        "Tên chỉ số",
        "Giá trị",
        "Hiển thị",
        "Tử số",
        "Mẫu số",
        "Trạng thái",
        "Ghi chú",
    ),
    "en": (
        "Unit code",
        "Unit",
        "From",
        "To",
        "KPI",
        "KPI name",
        "Value",
        "Shown",
        "Numerator",
        "Denominator",
        "Status",
        "Note",
    ),
}


def export_table(
    session: Session, period: Period, *, tz: ZoneInfo, targets: Targets | None = None, lang: str = "vi"
) -> list[dict[str, Any]]:
    """One row per (active unit with its sub-units, KPI), in the hierarchy's order."""
    tree = UnitTree.load(session)
    headers = _HEADERS["en" if lang == "en" else "vi"]
    rows: list[dict[str, Any]] = []
    for unit in tree.units.values():
        if not unit.active:
            continue
        scope = resolve_scope(session, unit.id, True, tree)
        results = compute(
            session, scope, period, tz=tz, targets=targets, compare_periods=False, with_series=False
        )
        for kpi_id, r in results.items():
            note = r.reason.text(lang) if r.reason else ""
            if r.estimate:
                note = ("ước tính" if lang == "vi" else "estimate") + (f"; {note}" if note else "")
            values = (
                unit.code,
                unit.name_en if lang == "en" else unit.name_vi,
                f"{period.start:%d/%m/%Y}",
                f"{period.end:%d/%m/%Y}",
                kpi_id,
                CATALOGUE[kpi_id].name(lang),
                r.value,
                format_value(r.value, r.unit, lang),
                r.numerator,
                r.denominator,
                r.status,
                note,
            )
            rows.append(dict(zip(headers, values, strict=False)))
    return rows
