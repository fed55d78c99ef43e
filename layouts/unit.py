"""A unit's own page (``/units/<code>``): its tiles for the period, and the action lists a
department head works from — overdue and due-within-24 h dossiers and documents, and paused
dossiers — in a sortable, filterable grid with CSV and XLSX export of the rows shown."""

from __future__ import annotations

from datetime import date, datetime

import dash
import dash_ag_grid as dag
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import audit
from dashboard.access import UnitNotAllowed, current_principal, may, may_see_secret, resolve_unit
from dashboard.auth import client_address
from dashboard.domain_data import procedure_names
from dashboard.exports import to_csv, to_xlsx
from dashboard.health import domain_freshness, source_health
from dashboard.i18n import fmt_date, fmt_datetime, fmt_number, normalise_language, register, t
from dashboard.kpi.catalogue import CATALOGUE
from dashboard.queries import action_list, overview, peer_standing, store_summary
from dashboard.task_data import overdue_tasks
from dashboard.vocabulary import direction_name, status_name
from dashboard.webapp import read_session, store
from layouts.components.frame import context, page
from layouts.components.grid_locale import grid_locale
from layouts.components.kpi_tile import kpi_tile
from layouts.components.petitions_block import unit_petitions_block
from layouts.components.task_list import overdue_list
from layouts.components.unit_compare import action_cards, period_chips, standing_table

dash.register_page(__name__, path_template="/units/<code>", name="Đơn vị", title="Đơn vị – IOC")

register(
    {
        "unit_not_found": {
            "vi": "Không có quyền xem đơn vị này (hoặc đơn vị không tồn tại).",
            "en": "You may not see this unit (or it does not exist).",
        },
        "unit_kpis": {"vi": "Chỉ số của đơn vị", "en": "The unit's indicators"},
        "unit_explain_title": {"vi": "Giải trình", "en": "Explanations"},
        "unit_explain_ask": {"vi": "Yêu cầu đơn vị giải trình…", "en": "Ask the unit to explain…"},
        "unit_explain_answer": {"vi": "giải trình", "en": "answer"},
        "unit_explain_ask_red": {
            "vi": "Yêu cầu giải trình chỉ tiêu không đạt",
            "en": "Ask to explain an off-target KPI",
        },
        "actions_title": {"vi": "Việc cần xử lý", "en": "Items to act on"},
        "actions_summary": {
            "vi": "{overdue} quá hạn · {soon} đến hạn trong 24 giờ · {paused} tạm dừng",
            "en": "{overdue} overdue · {soon} due within 24 h · {paused} paused",
        },
        "actions_truncated": {
            "vi": "Danh sách dài: chỉ hiện các mục quá hạn lâu nhất.",
            "en": "Long list: only the most overdue items are shown.",
        },
        "export_csv": {"vi": "Xuất CSV", "en": "Export CSV"},
        "export_xlsx": {"vi": "Xuất Excel", "en": "Export Excel"},
        "kind_dossier": {"vi": "Hồ sơ", "en": "Dossier"},
        "kind_document": {"vi": "Văn bản", "en": "Document"},
        "item_overdue": {"vi": "Quá hạn", "en": "Overdue"},
        "item_due_soon": {"vi": "Sắp đến hạn (24 giờ)", "en": "Due within 24 h"},
        "item_paused": {
            "vi": "Tạm dừng (chờ bổ sung / nghĩa vụ tài chính)",
            "en": "Paused (supplement / payment)",
        },
        "h_kind": {"vi": "Loại", "en": "Kind"},
        "h_state": {"vi": "Tình trạng", "en": "State"},
        "h_id": {"vi": "Mã", "en": "Id"},
        "h_unit": {"vi": "Đơn vị", "en": "Unit"},
        "h_procedure": {"vi": "Thủ tục / chiều", "en": "Procedure / direction"},
        "h_status": {"vi": "Trạng thái", "en": "Status"},
        "h_started": {"vi": "Tiếp nhận / đăng ký", "en": "Received / registered"},
        "h_due": {"vi": "Hạn xử lý", "en": "Due"},
        "h_days_overdue": {"vi": "Số ngày quá hạn", "en": "Days overdue"},
        "h_hours_left": {"vi": "Số giờ còn lại", "en": "Hours left"},
        "unit_tasks_title": {"vi": "Nhiệm vụ được giao đang quá hạn", "en": "Assigned tasks overdue"},
        "unit_tasks_link": {
            "vi": "Xem tất cả nhiệm vụ của đơn vị và xuất danh sách",
            "en": "All the unit's tasks, and the list to export",
        },
    }
)

UNIT_KPIS = (
    "DVC-01",
    "DVC-02",
    "DVC-06",
    "DVC-08",
    "DVC-09",
    "DVC-13",
    "VB-01",
    "VB-03",
    "VB-05",
    "HOP-01",
    "NV-05",
    "NV-07",
)
_DOMAIN_OF = {"DVC": "dossiers", "VB-": "documents", "HOP": "meetings", "NV-": "tasks"}
#: Overdue directive tasks listed on a unit's page (the rest are counted, all on /nhiem-vu).
UNIT_TASK_ROWS = 10
GRID_THEMES = {
    "dark": "themeQuartz.withParams({backgroundColor: '#131c2e', foregroundColor: '#f2f5fa', "
    "headerBackgroundColor: '#0b1220', accentColor: '#4cc3ff', browserColorScheme: 'dark', "
    "fontFamily: 'Noto Sans IOC, Noto Sans, sans-serif'})",
    "light": "themeQuartz.withParams({accentColor: '#0b63b6', fontFamily: 'Noto Sans IOC, Noto Sans, sans-serif'})",
}
#: The most rows one export request returns (the action lists hold at most 200 per kind).
MAX_EXPORT_ROWS = 2000
COLUMNS = (
    "kind",
    "state",
    "id",
    "unit",
    "procedure",
    "status",
    "started",
    "due",
    "days_overdue",
    "hours_left",
)


def _explanations(session, unit: str, lang: str, red: list[str] = ()):
    """The unit's explanation requests (giải trình), next to its KPIs; a leader's links to ask one,
    for each red KPI of the unit (the form on /alerts comes pre-filled) or any other."""
    from dashboard import explain

    principal = current_principal()
    rows = explain.requests_in_scope(session, principal, unit_code=unit, limit=20)
    ask = (
        dcc.Link(t("unit_explain_ask", lang), href=f"/alerts?unit={unit}", id="unit-explain-ask")
        if principal is not None and principal.can("explain_ask")
        else None
    )
    if not rows and ask is None:
        return None
    asks = []
    if ask is not None:
        asks = [
            dcc.Link(
                f"{t('unit_explain_ask_red', lang)}: {CATALOGUE[k].name(lang)}",
                href=f"/alerts?unit={unit}&kpi={k}",
                className="ioc-explain__ask",
                id=f"unit-explain-ask-{k}",
            )
            for k in red
        ]
    items = []
    for r in rows:
        d = CATALOGUE[r.kpi_id]
        line = f"{d.id} {d.name(lang)} · {r.period_label} · {r.question}"
        if r.answer:
            line += f" — {t('unit_explain_answer', lang)}: {r.answer}"
        items.append(
            html.Li(line, id=f"unit-explain-{r.id}", **{"data-kpi": r.kpi_id, "data-status": r.status})
        )
    return html.Div(
        id="unit-explanations",
        className="ioc-explain__unit",
        children=[
            html.H3(t("unit_explain_title", lang), className="ioc-section-title"),
            html.Ul(items) if items else None,
            html.Div([*asks, ask], className="ioc-explain__asks") if ask is not None else None,
        ],
    )


def layout(code: str | None = None, **query) -> html.Div:
    ctx = context(query)
    lang = ctx.lang
    period = query.get("period") or "mtd"
    with read_session() as session:
        simulated = store_summary(session).simulated_units > 0
        try:
            unit = resolve_unit(session, code)
        except UnitNotAllowed:
            unit = None
        if unit is None:
            return page(
                [
                    html.P(
                        t("unit_not_found", lang, code=code or ""),
                        className="ioc-notice",
                        id="unit-not-found",
                    )
                ],
                ctx=ctx,
                active="/units",
                simulated=simulated,
            )
        view = overview(session, unit, period, kpi_ids=tuple(k for k in UNIT_KPIS if k in CATALOGUE))
        fresh = domain_freshness(source_health(session, store().sources))
        actions = action_list(session, unit, include_secret=may_see_secret())
        standing = peer_standing(session, unit, period, UNIT_KPIS)
        names = procedure_names(session, _procedure_codes(actions))
        red = [r.kpi_id for r in view.tiles if r.status == "red"]
        explanations = _explanations(session, unit, lang, red)
        tz = store().settings.tz
        petitions = unit_petitions_block(
            session,
            unit,
            period,
            lang=lang,
            tz=tz,
            freshness=fresh.get("petitions"),
            href=ctx.href,
            kiosk=ctx.kiosk,
        )
        tasks = overdue_tasks(session, unit)
    tz = store().settings.tz
    tiles = [kpi_tile(r, lang=lang, freshness=fresh.get(_DOMAIN_OF[r.kpi_id[:3]]), tz=tz) for r in view.tiles]
    rows = action_rows(actions, lang, tz, names)
    summary = t(
        "actions_summary",
        lang,
        overdue=fmt_number(len(actions.overdue), lang),
        soon=fmt_number(len(actions.due_soon), lang),
        paused=fmt_number(len(actions.paused), lang),
    )
    grid = dag.AgGrid(
        id="actions-grid",
        rowData=rows,
        columnDefs=column_defs(lang),
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "floatingFilter": True},
        # The grid's own theming API (no stylesheet from a CDN), in the page's colours and font.
        dashGridOptions={
            "animateRows": False,
            "pagination": True,
            "paginationPageSize": 20,
            "localeText": grid_locale(lang),
            "tooltipShowDelay": 300,
            "theme": {"function": GRID_THEMES[ctx.theme]},
        },
        getRowId="params.data.row_id",
        style={"height": "36em", "width": "100%"},
    )
    exports = (
        None
        if ctx.kiosk or not may("export")
        else html.Div(
            className="ioc-controls",
            children=[
                html.Button(t("export_csv", lang), id="export-csv", className="ioc-button"),
                html.Button(t("export_xlsx", lang), id="export-xlsx", className="ioc-button"),
                dcc.Download(id="export-download"),
            ],
        )
    )
    return page(
        [
            dcc.Store(id="unit-code", data={"code": unit, "lang": lang}),
            html.H2(view.scope.name(lang), className="ioc-page-title", id="unit-title"),
            period_chips(ctx, unit, period, lang),
            html.H3(f"{t('unit_kpis', lang)} · {view.period.label(lang)}", className="ioc-section-title"),
            html.Div(tiles, className="ioc-tiles"),
            standing_table(standing, lang),
            petitions,
            explanations,
            html.H3(t("actions_title", lang), className="ioc-section-title"),
            html.P(summary, id="actions-summary"),
            html.P(t("actions_truncated", lang), className="ioc-muted") if actions.truncated else None,
            exports,
            action_cards(rows, lang),
            grid,
            html.H3(t("unit_tasks_title", lang), className="ioc-section-title", id="unit-tasks-title"),
            overdue_list(tasks, lang, rows=UNIT_TASK_ROWS, list_id="unit-tasks"),
            None
            if ctx.kiosk
            else dcc.Link(
                t("unit_tasks_link", lang),
                href=f"/nhiem-vu?unit={unit}",
                className="ioc-link",
                id="unit-tasks-link",
            ),
        ],
        ctx=ctx,
        active="/units",
        simulated=simulated,
        page_class="ioc-unit",
    )


def column_defs(lang: str) -> list[dict]:
    numeric = {"days_overdue", "hours_left"}
    defs = []
    for key in COLUMNS:
        col = {"field": key, "headerName": t(f"h_{key}", lang)}
        if key in numeric:
            col.update(type="numericColumn", filter="agNumberColumnFilter")
        if key == "procedure":
            col.update(tooltipField="procedure_code", minWidth=260, flex=2)
        if key in {"started", "due"}:
            col["comparator"] = {
                "function": "(a, b, na, nb) => (na.data[colDef.field + '_sort'] || '').localeCompare(nb.data[colDef.field + '_sort'] || '')"
            }
        defs.append(col)
    defs[-2]["sort"] = "desc"
    return defs


def _as_date(row: dict, key: str, tz):
    """A spreadsheet's value of a cell: the received time and the due day as dates (local time)."""
    if key == "started" and row.get("started_sort"):
        return datetime.fromisoformat(row["started_sort"]).astimezone(tz)
    if key == "due" and row.get("due_sort"):
        return date.fromisoformat(row["due_sort"])
    return row[key]


def _procedure_codes(actions) -> set[str]:
    return {
        i.procedure_code
        for g in (actions.overdue, actions.due_soon, actions.paused)
        for i in g
        if i.procedure_code
    }


def action_rows(actions, lang: str, tz, procedures: dict[str, str] | None = None) -> list[dict]:
    """The grid's rows: names, not codes — the procedure by name (its code on hover), the
    direction and the status in words."""
    procedures = procedures or {}
    rows = []
    for group in (actions.overdue, actions.due_soon, actions.paused):
        for item in group:
            rows.append(
                {
                    "row_id": f"{item.kind}-{item.id}",
                    "kind": t(f"kind_{item.kind}", lang),
                    "state": t(f"item_{item.state}", lang),
                    "id": item.source_id,
                    "unit": item.unit_name_en if lang == "en" else item.unit_name_vi,
                    "procedure": (procedures.get(item.procedure_code) or item.procedure_code)
                    if item.procedure_code
                    else direction_name(item.direction, lang),
                    "procedure_code": item.procedure_code or "",
                    "status": status_name(item.kind, item.status, lang),
                    "started": fmt_datetime(item.started_at, lang, tz) if item.started_at else "",
                    "started_sort": item.started_at.isoformat() if item.started_at else "",
                    "due": fmt_date(item.due_day, lang) if item.due_day else "",
                    "due_sort": item.due_day.isoformat() if item.due_day else "",
                    "days_overdue": item.days_overdue,
                    "hours_left": round(item.hours_left, 1) if item.hours_left is not None else None,
                }
            )
    return rows


@callback(
    Output("export-download", "data"),
    Input("export-csv", "n_clicks"),
    Input("export-xlsx", "n_clicks"),
    State("actions-grid", "virtualRowData"),
    State("unit-code", "data"),
    prevent_initial_call=True,
)
def export(_csv, _xlsx, shown, unit):
    """Export exactly the rows the grid shows (its filter and sort), re-read on the server within
    the principal's scope — never what the browser claims. Recorded in the audit."""
    principal = current_principal()
    if principal is None or not principal.can("export"):
        raise PreventUpdate
    requested = unit.get("code") if isinstance(unit, dict) else None
    lang = normalise_language(unit.get("lang") if isinstance(unit, dict) else None)
    fmt = "xlsx" if dash.ctx.triggered_id == "export-xlsx" else "csv"
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
            )
            raise PreventUpdate from None
        actions = action_list(session, code, include_secret=may_see_secret())
        names = procedure_names(session, _procedure_codes(actions))
    allowed = {row["row_id"]: row for row in action_rows(actions, lang, store().settings.tz, names)}
    wanted = [r.get("row_id") for r in (shown or []) if isinstance(r, dict)][:MAX_EXPORT_ROWS]
    ordered = [allowed[i] for i in wanted if isinstance(i, str) and i in allowed]
    tz = store().settings.tz
    value = (lambda row, key: _as_date(row, key, tz)) if fmt == "xlsx" else (lambda row, key: row[key])
    table = [{t(f"h_{k}", lang): value(row, k) for k in COLUMNS} for row in ordered]
    audit.record_now(
        store().sessions,
        "export",
        actor=principal.actor,
        address=client_address(),
        unit_code=code or "*",
        rows=len(table),
        format=fmt,
        scope=list(principal.roots()),
    )
    stamp = actions.as_of.astimezone(store().settings.tz).strftime("%Y%m%d-%H%M")
    name = f"viec-can-xu-ly-{code or 'toan-co-quan'}-{stamp}"
    if fmt == "xlsx":
        title = f"{t('actions_title', lang)} – {actions.scope.name(lang)}"
        return dcc.send_bytes(to_xlsx(table, title), f"{name}.xlsx")
    return dcc.send_bytes(to_csv(table), f"{name}.csv")
