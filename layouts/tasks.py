"""Nhiệm vụ được giao (``/nhiem-vu``): the directive tasks of a unit (or the agency) for a period —
NV-01…NV-07 tiles, tasks completed on time and late per day with the open-and-overdue count at
each day's end, the Government's 2×2 per unit, the units ranked (NV-05, NV-07 …), and the action
list of open overdue tasks (days overdue, lead unit, directive, latest extension) with CSV / Excel
export re-read on the server within the signed-in principal's scope.

``?period=mtd&unit=BMP-VP&rank=NV-07`` — every view is a URL (see ``layouts/components/pickers.py``).
"""

from __future__ import annotations

from datetime import date

import dash
import dash_ag_grid as dag
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import audit
from dashboard.access import UnitNotAllowed, current_principal, may, resolve_unit
from dashboard.auth import client_address
from dashboard.exports import to_csv, to_xlsx
from dashboard.i18n import fmt_date, fmt_number, normalise_language, register, t
from dashboard.task_data import TaskList, overdue_tasks, task_breakdown, task_trend
from dashboard.webapp import read_session, store
from layouts.components.charts import Series, trend_figure
from layouts.components.domain_page import DomainSpec, View, build, card, graph, per_bucket, stat
from layouts.components.grid_locale import grid_locale
from layouts.components.task_charts import stacked_units_figure
from layouts.components.task_list import directive_text, extension_text, overdue_list

dash.register_page(
    __name__, path="/nhiem-vu", name="Nhiệm vụ được giao", title="Nhiệm vụ được giao – IOC", order=35
)

register(
    {
        "nv_trend": {
            "vi": "Nhiệm vụ hoàn thành và quá hạn theo {unit}",
            "en": "Tasks completed and overdue per {unit}",
        },
        "nv_trend_sub": {
            "vi": "Cột: hoàn thành đúng hạn / quá hạn; đường: nhiệm vụ giao mới và đang thực hiện quá hạn cuối {unit}.",
            "en": "Bars: completed on time / late; lines: new tasks and tasks open and overdue at the end of each {unit}.",
        },
        "nv_on_time": {"vi": "Hoàn thành đúng hạn", "en": "Completed on time"},
        "nv_late": {"vi": "Hoàn thành quá hạn", "en": "Completed late"},
        "nv_open_in_time": {"vi": "Đang thực hiện trong hạn", "en": "Open, within deadline"},
        "nv_open_late": {"vi": "Đang thực hiện quá hạn", "en": "Open and overdue"},
        "nv_untimed": {"vi": "Thường xuyên", "en": "Ongoing"},
        "nv_assigned": {"vi": "Giao mới", "en": "Newly assigned"},
        "nv_units": {"vi": "Tình hình thực hiện theo đơn vị", "en": "Progress per unit"},
        "nv_units_sub": {
            "vi": "Hoàn thành trong kỳ và đang thực hiện cuối kỳ, theo đơn vị chủ trì; đơn vị nhiều việc quá hạn lên đầu.",
            "en": "Completed in the period and open at its end, by lead unit; the most overdue first.",
        },
        "nv_units_none": {"vi": "Chưa có nhiệm vụ nào trong phạm vi này", "en": "No task in this scope"},
        "nv_actions": {"vi": "Nhiệm vụ đang quá hạn", "en": "Overdue tasks"},
        "nv_actions_sub": {
            "vi": "Hiện tại, quá hạn lâu nhất lên đầu; thời hạn là thời hạn được gia hạn gần nhất.",
            "en": "Now, the longest overdue first; the due date is the latest approved one.",
        },
        "nv_actions_count": {"vi": "{n} nhiệm vụ quá hạn", "en": "{n} overdue tasks"},
        "nv_actions_truncated": {
            "vi": "Danh sách dài: chỉ hiện các nhiệm vụ quá hạn lâu nhất.",
            "en": "Long list: only the longest overdue tasks are shown.",
        },
        "nv_h_directive": {"vi": "Văn bản giao", "en": "Directive"},
        "nv_h_content": {"vi": "Nội dung nhiệm vụ", "en": "Task"},
        "nv_h_unit": {"vi": "Đơn vị chủ trì", "en": "Lead unit"},
        "nv_h_assigned": {"vi": "Ngày giao", "en": "Assigned"},
        "nv_h_due": {"vi": "Thời hạn", "en": "Due"},
        "nv_h_days_overdue": {"vi": "Số ngày quá hạn", "en": "Days overdue"},
        "nv_h_extension": {"vi": "Gia hạn gần nhất", "en": "Latest extension"},
        "nv_h_id": {"vi": "Mã nhiệm vụ", "en": "Task id"},
        "nv_export_csv": {"vi": "Xuất CSV", "en": "Export CSV"},
        "nv_export_xlsx": {"vi": "Xuất Excel", "en": "Export Excel"},
    }
)

#: The most rows one export request returns.
MAX_EXPORT_ROWS = 2000
COLUMNS = ("days_overdue", "directive", "content", "unit", "assigned", "due", "extension", "id")
GRID_THEMES = {
    "dark": "themeQuartz.withParams({backgroundColor: '#131c2e', foregroundColor: '#f2f5fa', "
    "headerBackgroundColor: '#0b1220', accentColor: '#4cc3ff', browserColorScheme: 'dark', "
    "fontFamily: 'Noto Sans IOC, Noto Sans, sans-serif'})",
    "light": "themeQuartz.withParams({accentColor: '#0b63b6', fontFamily: 'Noto Sans IOC, Noto Sans, sans-serif'})",
}


def task_rows(tasks: TaskList, lang: str) -> list[dict]:
    """The grid's (and the export's) rows: plain text, names not codes."""
    return [
        {
            "row_id": f"task-{i.id}",
            "days_overdue": i.days_overdue,
            "directive": directive_text(i, lang),
            "content": i.content,
            "unit": i.unit_name(lang),
            "assigned": fmt_date(i.assigned_day, lang) if i.assigned_day else "",
            "assigned_sort": i.assigned_day.isoformat() if i.assigned_day else "",
            "due": fmt_date(i.due_day, lang),
            "due_sort": i.due_day.isoformat(),
            "extension": extension_text(i, lang),
            "id": i.source_id,
        }
        for i in tasks.items
    ]


def column_defs(lang: str) -> list[dict]:
    defs = []
    for key in COLUMNS:
        col = {"field": key, "headerName": t(f"nv_h_{key}", lang)}
        if key == "days_overdue":
            col.update(type="numericColumn", filter="agNumberColumnFilter", sort="desc", maxWidth=150)
        if key == "content":
            col.update(minWidth=320, flex=3, tooltipField="content")
        if key in {"assigned", "due"}:
            col["comparator"] = {
                "function": "(a, b, na, nb) => (na.data[colDef.field + '_sort'] || '').localeCompare(nb.data[colDef.field + '_sort'] || '')"
            }
        defs.append(col)
    return defs


# --- sections ---------------------------------------------------------------------------------------
def trend_card(view: View) -> html.Section:
    lang, theme = view.lang, view.theme
    tr = task_trend(view.session, view.sel.unit, view.sel.period, today=view.today)
    figure = view.no_data_figure("NV-01")
    if figure is None:
        figure = trend_figure(
            tr.starts,
            [
                Series(t("nv_on_time", lang), tr.on_time, colour="good"),
                Series(t("nv_late", lang), tr.late, colour="bad", pattern="x"),
            ],
            [
                Series(t("nv_assigned", lang), tr.assigned, colour="c1", dash="dot"),
                Series(t("nv_open_late", lang), tr.overdue, colour="warn"),
            ],
            granularity=tr.kind,
            lang=lang,
            theme=theme,
        )
    unit = per_bucket(tr.kind, lang)
    return card(
        t("nv_trend", lang, unit=unit),
        graph("tasks-trend", figure),
        card_id="tasks-trend-card",
        subtitle=t("nv_trend_sub", lang, unit=unit),
    )


def units_card(view: View, limit: int | None = None) -> html.Section:
    lang, theme = view.lang, view.theme
    rows = task_breakdown(view.session, view.sel.unit, view.sel.period, today=view.today)
    figure = view.no_data_figure("NV-01")
    if limit is not None:
        rows = rows[:limit]
    height = max(14.0, 4.5 + 1.9 * len(rows))
    if figure is None:

        def label(code: str) -> str:
            found = view.labels.get(code)
            return found.short(lang) if found else code

        figure = stacked_units_figure(
            [label(r.code) for r in rows],
            [
                Series(t("nv_on_time", lang), [r.on_time for r in rows], colour="good"),
                Series(t("nv_late", lang), [r.late for r in rows], colour="bad", pattern="x"),
                Series(t("nv_open_in_time", lang), [r.open_in_time for r in rows], colour="c1"),
                Series(t("nv_open_late", lang), [r.open_late for r in rows], colour="warn", pattern="/"),
                Series(t("nv_untimed", lang), [r.untimed for r in rows], colour="muted"),
            ],
            lang=lang,
            theme=theme,
            empty=t("nv_units_none", lang),
        )
    return card(
        t("nv_units", lang),
        graph("tasks-units", figure, min(height, 40.0)),
        card_id="tasks-units-card",
        subtitle=t("nv_units_sub", lang),
    )


def actions_card(view: View) -> html.Section:
    lang = view.lang
    tasks = overdue_tasks(view.session, view.sel.unit, today=view.today)
    exports = (
        html.Div(
            className="ioc-controls",
            children=[
                html.Button(t("nv_export_csv", lang), id="tasks-export-csv", className="ioc-button"),
                html.Button(t("nv_export_xlsx", lang), id="tasks-export-xlsx", className="ioc-button"),
                dcc.Download(id="tasks-export-download"),
            ],
        )
        if may("export")
        else None
    )
    grid = dag.AgGrid(
        id="tasks-grid",
        rowData=task_rows(tasks, lang),
        columnDefs=column_defs(lang),
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "floatingFilter": True},
        dashGridOptions={
            "animateRows": False,
            "pagination": True,
            "paginationPageSize": 20,
            "localeText": grid_locale(lang),
            "tooltipShowDelay": 300,
            "theme": {"function": GRID_THEMES[view.theme]},
        },
        getRowId="params.data.row_id",
        style={"height": "40em", "width": "100%"},
    )
    count = len(tasks.items)
    return card(
        t("nv_actions", lang),
        html.P(
            t("nv_actions_count", lang, n=fmt_number(count, lang)) if count else t("nv_actions_none", lang),
            id="tasks-actions-count",
            className="dom-note",
        ),
        html.P(t("nv_actions_truncated", lang), className="ioc-muted") if tasks.truncated else None,
        grid,
        card_id="tasks-actions-card",
        subtitle=t("nv_actions_sub", lang),
        tools=exports,
        wide=True,
    )


def kiosk_actions_card(view: View) -> html.Section:
    lang = view.lang
    tasks = overdue_tasks(view.session, view.sel.unit, today=view.today)
    overdue = view.tile("NV-05").value
    return card(
        t("nv_actions", lang),
        stat(
            t("nv_open_late", lang),
            fmt_number(overdue, lang) if overdue is not None else "–",
            state="red" if overdue else "green" if overdue == 0 else "none",
            stat_id="tasks-kiosk-overdue",
        ),
        overdue_list(tasks, lang),
        card_id="tasks-actions-card",
    )


def sections(view: View) -> list:
    return [trend_card(view), units_card(view), actions_card(view)]


def kiosk_sections(view: View) -> list:
    return [trend_card(view), units_card(view, limit=8), kiosk_actions_card(view)]


SPEC = DomainSpec(
    page="tasks",
    path="/nhiem-vu",
    domain="tasks",
    title_key="domain_tasks",
    kpi_ids=("NV-01", "NV-02", "NV-03", "NV-04", "NV-05", "NV-06", "NV-07"),
    rank_kpis=("NV-05", "NV-07", "NV-02", "NV-03", "NV-06", "NV-01"),
    sections=sections,
    tile_columns=7,
    kiosk_sections=kiosk_sections,
)
URL, layout = build(SPEC)


@callback(
    Output("tasks-export-download", "data"),
    Input("tasks-export-csv", "n_clicks"),
    Input("tasks-export-xlsx", "n_clicks"),
    State("tasks-grid", "virtualRowData"),
    State("tasks-query", "data"),
    prevent_initial_call=True,
)
def export(_csv, _xlsx, shown, query):
    """Export the overdue tasks the grid shows (its filter and sort), re-read on the server within
    the principal's scope — never what the browser claims. Recorded in the audit."""
    principal = current_principal()
    if principal is None or not principal.can("export"):
        raise PreventUpdate
    query = query if isinstance(query, dict) else {}
    requested = query.get("unit") or None
    lang = normalise_language(query.get("lang"))
    fmt = "xlsx" if dash.ctx.triggered_id == "tasks-export-xlsx" else "csv"
    with read_session() as session:
        try:
            code = resolve_unit(session, requested)  # the one access check
        except UnitNotAllowed:
            audit.record_now(
                store().sessions,
                "export",
                actor=principal.actor,
                address=client_address(),
                unit_code=str(requested)[:64],
                outcome="denied",
                format=fmt,
                list="tasks",
            )
            raise PreventUpdate from None
        tasks = overdue_tasks(session, code)
    allowed = {row["row_id"]: row for row in task_rows(tasks, lang)}
    wanted = [r.get("row_id") for r in (shown or []) if isinstance(r, dict)][:MAX_EXPORT_ROWS]
    ordered = [allowed[i] for i in wanted if isinstance(i, str) and i in allowed]

    def value(row: dict, key: str):
        if fmt == "xlsx" and key in ("assigned", "due") and row.get(f"{key}_sort"):
            return date.fromisoformat(row[f"{key}_sort"])
        return row[key]

    table = [{t(f"nv_h_{k}", lang): value(row, k) for k in COLUMNS} for row in ordered]
    audit.record_now(
        store().sessions,
        "export",
        actor=principal.actor,
        address=client_address(),
        unit_code=code or "*",
        rows=len(table),
        format=fmt,
        scope=list(principal.roots()),
        list="tasks",
    )
    name = f"nhiem-vu-qua-han-{code or 'toan-co-quan'}"
    if fmt == "xlsx":
        return dcc.send_bytes(to_xlsx(table, t("nv_actions", lang)), f"{name}.xlsx")
    return dcc.send_bytes(to_csv(table), f"{name}.csv")
