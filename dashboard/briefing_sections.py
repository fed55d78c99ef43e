"""The morning briefing's "firing alerts" and "open explanation requests" sections.

:mod:`dashboard.briefing` reserves the two sections; this module gives them their providers
(imported at the end of ``briefing``, so the web process, the collector and ``ioc reports`` all get
them). Both read the briefing's own scope (``ctx.scope.unit_ids``: the subscription's subtree, or
the whole agency), never anything wider.
"""

from __future__ import annotations

from sqlalchemy import select

from dashboard.briefing import Context, SectionContent, Shown, Table, set_provider
from dashboard.i18n import fmt_date, fmt_datetime
from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.display import format_value
from dashboard.models import AlertRule, AlertState, ExplanationRequest, OrgUnit

_WORDS = {
    "unit": ("Đơn vị", "Unit"),
    "kpi": ("Chỉ số", "Indicator"),
    "severity": ("Mức độ", "Severity"),
    "state": ("Trạng thái", "State"),
    "value": ("Giá trị", "Value"),
    "since": ("Từ lúc", "Since"),
    "question": ("Nội dung yêu cầu", "Request"),
    "due": ("Hạn trả lời", "Answer due"),
    "status": ("Tình trạng", "Status"),
    "no_alerts": ("Không có cảnh báo nào đang kích hoạt.", "No alert is firing."),
    "no_requests": ("Không có yêu cầu giải trình nào đang mở.", "No explanation request is open."),
}
_SEVERITY = {
    "critical": ("Nghiêm trọng", "Critical"),
    "warning": ("Cảnh báo", "Warning"),
    "info": ("Thông tin", "Info"),
}
_STATE = {"firing": ("Đang kích hoạt", "Firing"), "acknowledged": ("Đã tiếp nhận", "Acknowledged")}
_STATUS = {"open": ("Chờ trả lời", "Awaiting answer"), "answered": ("Đã trả lời", "Answered")}
#: At most this many rows per section: a briefing is read in a minute, /alerts has the rest.
MAX_ROWS = 15


def _w(table: dict, key: str, lang: str) -> str:
    vi, en = table.get(key, (key, key))
    return en if lang == "en" else vi


def _in_scope(column, ctx: Context):
    return column.in_(ctx.scope.unit_ids) if ctx.scope.unit_ids is not None else column.is_not(None)


def _unit_name(unit: OrgUnit, lang: str) -> str:
    return unit.name_en if lang == "en" else unit.name_vi


def firing_alerts(ctx: Context) -> SectionContent:
    """Alerts firing or acknowledged (not yet resolved) in the scope, most severe first."""
    lang = ctx.lang
    rows = ctx.session.execute(
        select(
            AlertState.state,
            AlertState.value,
            AlertState.since,
            AlertRule.kpi_id,
            AlertRule.severity,
            OrgUnit,
        )
        .join(AlertRule, AlertRule.id == AlertState.rule_id)
        .join(OrgUnit, OrgUnit.id == AlertState.unit_id)
        .where(
            AlertState.state.in_(("firing", "acknowledged")), AlertRule.enabled, _in_scope(OrgUnit.id, ctx)
        )
    ).all()
    if not rows:
        return SectionContent("alerts", "", note=_w(_WORDS, "no_alerts", lang))
    order = {"critical": 0, "warning": 1, "info": 2}
    rows = sorted(rows, key=lambda r: (r[0] != "firing", order.get(r[4], 9), r[2]))
    body = tuple(
        (
            _unit_name(unit, lang),
            CATALOGUE[kpi].name(lang) if kpi in CATALOGUE else kpi,
            _w(_SEVERITY, severity, lang),
            _w(_STATE, state, lang),
            Shown(format_value(value, CATALOGUE[kpi].unit, lang), value) if kpi in CATALOGUE else "–",
            fmt_datetime(since, lang, ctx.tz),
        )
        for state, value, since, kpi, severity, unit in rows[:MAX_ROWS]
    )
    columns = tuple(_w(_WORDS, k, lang) for k in ("unit", "kpi", "severity", "state", "value", "since"))
    return SectionContent("alerts", "", Table(columns, body))


def open_requests(ctx: Context) -> SectionContent:
    """Explanation requests not closed in the scope, the longest overdue first."""
    lang = ctx.lang
    rows = ctx.session.execute(
        select(
            ExplanationRequest.kpi_id,
            ExplanationRequest.question,
            ExplanationRequest.due_on,
            ExplanationRequest.status,
            OrgUnit,
        )
        .join(OrgUnit, OrgUnit.id == ExplanationRequest.unit_id)
        .where(ExplanationRequest.status.in_(("open", "answered")), _in_scope(OrgUnit.id, ctx))
        .order_by(ExplanationRequest.due_on)
    ).all()
    if not rows:
        return SectionContent("explanations", "", note=_w(_WORDS, "no_requests", lang))
    body = tuple(
        (
            _unit_name(unit, lang),
            CATALOGUE[kpi].name(lang) if kpi in CATALOGUE else kpi,
            question or "–",
            fmt_date(due, lang),
            _w(_STATUS, status, lang),
        )
        for kpi, question, due, status, unit in rows[:MAX_ROWS]
    )
    columns = tuple(_w(_WORDS, k, lang) for k in ("unit", "kpi", "question", "due", "status"))
    return SectionContent("explanations", "", Table(columns, body))


set_provider("alerts", firing_alerts)
set_provider("explanations", open_requests)
