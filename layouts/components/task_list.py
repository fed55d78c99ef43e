"""The longest overdue directive tasks as a short list (a wall or a unit's page cannot scroll a grid):
days overdue, lead unit, directive and latest extension — shared by ``/nhiem-vu``'s kiosk variant
and the units' pages."""

from __future__ import annotations

from dash import html

from dashboard.i18n import fmt_date, fmt_number, register, t
from dashboard.task_data import TaskList

register(
    {
        "nv_actions_none": {"vi": "Không có nhiệm vụ quá hạn", "en": "No task is overdue"},
        "nv_actions_more": {"vi": "… và {n} nhiệm vụ quá hạn khác", "en": "… and {n} more overdue tasks"},
        "nv_days": {"vi": "{n} ngày", "en": "{n} d"},
        "nv_extended": {"vi": "gia hạn {n} lần", "en": "extended {n}×"},
    }
)

#: Overdue tasks a wall or kiosk lists (the rest are counted).
KIOSK_ROWS = 6


def extension_text(item, lang: str) -> str:
    if not item.extensions:
        return ""
    parts = [t("nv_extended", lang, n=item.extensions)]
    if item.extension_ref:
        parts.append(item.extension_ref)
    if item.extension_day:
        parts.append(fmt_date(item.extension_day, lang))
    return " · ".join(parts)


def directive_text(item, lang: str) -> str:
    return (
        f"{item.directive_ref} ({fmt_date(item.directive_day, lang)})"
        if item.directive_day
        else item.directive_ref
    )


def overdue_list(
    tasks: TaskList, lang: str, rows: int = KIOSK_ROWS, list_id: str = "tasks-overdue-list"
) -> html.Div:
    """The longest overdue tasks as a short list (a wall cannot scroll): days, unit, directive."""
    shown = tasks.items[:rows]
    if not shown:
        return html.P(t("nv_actions_none", lang), className="nv-list__none", id=list_id)
    items = [
        html.Li(
            className="nv-list__item",
            children=[
                html.Span(t("nv_days", lang, n=fmt_number(i.days_overdue, lang)), className="nv-list__days"),
                html.Span(i.unit_name(lang), className="nv-list__unit"),
                html.Span(
                    " · ".join(x for x in (i.directive_ref, extension_text(i, lang)) if x),
                    className="nv-list__ref",
                ),
            ],
        )
        for i in shown
    ]
    more = len(tasks.items) - len(shown)
    return html.Div(
        id=list_id,
        className="nv-list",
        children=[
            html.Ul(items, className="nv-list__items"),
            html.P(t("nv_actions_more", lang, n=fmt_number(more, lang)), className="nv-list__more")
            if more > 0
            else None,
        ],
    )
