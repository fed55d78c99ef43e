"""Alerts and explanation requests (``/alerts``): the firing alerts of the principal's scope (most
severe first) with acknowledgement and a comment, the history of state changes, and the
explanation requests (giải trình) — asked by leaders, answered by unit heads, overdue ones first.

Every list is read for the signed-in principal on the server (dashboard/alerts/view.py,
dashboard/explain.py); the ids a form sends back are only requests, checked again against the
scope before anything is written, and every write is audited.
"""

from __future__ import annotations

from datetime import date, datetime

import dash
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import explain
from dashboard.access import AccessDenied, current_principal, require, scope_codes, visible_units
from dashboard.alerts.rules import PERIOD_NAMES, SEVERITY_NAMES
from dashboard.alerts.view import NotAllowed, acknowledge_in_scope, active_alerts, history
from dashboard.auth import client_address
from dashboard.i18n import fmt_date, fmt_datetime, normalise_language, register, t
from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.display import format_value
from dashboard.webapp import read_session, store
from layouts.components.frame import context, page

dash.register_page(__name__, path="/alerts", name="Cảnh báo", title="Cảnh báo – IOC", order=45)

register(
    {
        "alerts_title": {"vi": "Cảnh báo và giải trình", "en": "Alerts and explanations"},
        "alerts_active": {"vi": "Đang cảnh báo", "en": "Firing"},
        "alerts_none": {
            "vi": "Không có cảnh báo nào trong phạm vi của bạn.",
            "en": "No alert in your scope.",
        },
        "alerts_col_severity": {"vi": "Mức độ", "en": "Severity"},
        "alerts_col_unit": {"vi": "Đơn vị", "en": "Unit"},
        "alerts_col_kpi": {"vi": "Chỉ tiêu", "en": "Indicator"},
        "alerts_col_value": {"vi": "Giá trị", "en": "Value"},
        "alerts_col_since": {"vi": "Từ lúc", "en": "Since"},
        "alerts_col_state": {"vi": "Trạng thái", "en": "State"},
        "alerts_col_rule": {"vi": "Quy tắc", "en": "Rule"},
        "alerts_state_firing": {"vi": "Đang cảnh báo", "en": "Firing"},
        "alerts_state_acknowledged": {"vi": "Đã xác nhận", "en": "Acknowledged"},
        "alerts_state_resolved": {"vi": "Đã hết", "en": "Resolved"},
        "alerts_state_pending": {"vi": "Đang theo dõi", "en": "Pending"},
        "alerts_state_ok": {"vi": "Bình thường", "en": "OK"},
        "alerts_ack_title": {"vi": "Xác nhận cảnh báo", "en": "Acknowledge an alert"},
        "alerts_ack_pick": {"vi": "Chọn cảnh báo", "en": "Choose an alert"},
        "alerts_ack_comment": {"vi": "Ý kiến xử lý (bắt buộc)", "en": "What is being done (required)"},
        "alerts_ack_button": {"vi": "Xác nhận", "en": "Acknowledge"},
        "alerts_ack_done": {"vi": "Đã xác nhận cảnh báo.", "en": "Alert acknowledged."},
        "alerts_ack_missing": {
            "vi": "Hãy chọn cảnh báo và ghi ý kiến.",
            "en": "Choose an alert and write a comment.",
        },
        "alerts_not_allowed": {"vi": "Không có quyền với mục này.", "en": "You may not act on this item."},
        "alerts_history": {"vi": "Lịch sử cảnh báo", "en": "Alert history"},
        "alerts_ask_explain": {"vi": "Yêu cầu giải trình…", "en": "Ask to explain…"},
        "alerts_rules": {"vi": "Quy tắc cảnh báo", "en": "Alert rules"},
        "alerts_rules_intro": {
            "vi": "Thêm, tắt, bật quy tắc bằng lệnh ioc alerts trên máy chủ (xem README).",
            "en": "Add, disable and enable rules with ioc alerts on the server (see the README).",
        },
        "alerts_rule_targets": {
            "vi": "theo mục tiêu (đỏ: cảnh báo, xanh: hết)",
            "en": "from the targets (red fires, green clears)",
        },
        "alerts_rule_each": {"vi": "từng đơn vị thuộc", "en": "each unit under"},
        "alerts_rule_off": {"vi": "đã tắt", "en": "disabled"},
        "alerts_by": {"vi": "bởi", "en": "by"},
        "explain_title": {"vi": "Yêu cầu giải trình", "en": "Explanation requests"},
        "explain_none": {"vi": "Chưa có yêu cầu giải trình.", "en": "No explanation request yet."},
        "explain_overdue": {"vi": "Quá hạn trả lời", "en": "Overdue"},
        "explain_status_open": {"vi": "Chờ giải trình", "en": "Awaiting an answer"},
        "explain_status_answered": {"vi": "Đã giải trình", "en": "Answered"},
        "explain_status_closed": {"vi": "Đã kết thúc", "en": "Closed"},
        "explain_due": {"vi": "Hạn", "en": "Due"},
        "explain_question": {"vi": "Nội dung yêu cầu", "en": "Request"},
        "explain_answer": {"vi": "Giải trình", "en": "Answer"},
        "explain_planned": {"vi": "Dự kiến khắc phục", "en": "Planned fix"},
        "explain_follow_up": {"vi": "Ý kiến tiếp theo", "en": "Follow-up"},
        "explain_ask_title": {"vi": "Yêu cầu đơn vị giải trình", "en": "Ask a unit to explain"},
        "explain_ask_button": {"vi": "Gửi yêu cầu", "en": "Send the request"},
        "explain_answer_title": {"vi": "Trả lời giải trình", "en": "Answer a request"},
        "explain_answer_button": {"vi": "Gửi giải trình", "en": "Send the answer"},
        "explain_follow_title": {"vi": "Ý kiến của lãnh đạo", "en": "Leader's follow-up"},
        "explain_follow_button": {"vi": "Đề nghị bổ sung", "en": "Ask for more"},
        "explain_close_button": {"vi": "Kết thúc", "en": "Close"},
        "explain_pick_request": {"vi": "Chọn yêu cầu", "en": "Choose a request"},
        "explain_pick_unit": {"vi": "Đơn vị", "en": "Unit"},
        "explain_pick_kpi": {"vi": "Chỉ tiêu", "en": "Indicator"},
        "explain_pick_period": {"vi": "Kỳ", "en": "Period"},
        "explain_text": {"vi": "Nội dung", "en": "Text"},
        "explain_done_ask": {"vi": "Đã gửi yêu cầu giải trình.", "en": "Request sent."},
        "explain_done_answer": {"vi": "Đã gửi giải trình.", "en": "Answer sent."},
        "explain_done_follow": {"vi": "Đã ghi ý kiến.", "en": "Follow-up recorded."},
        "explain_missing": {"vi": "Thiếu thông tin: {field}.", "en": "Missing: {field}."},
    }
)

_PERIODS = ("mtd", "today", "week", "month", "reporting", "qtd", "ytd")
_PERIOD_WORDS = {
    "mtd": ("Từ đầu tháng", "Month to date"),
    "today": ("Hôm nay", "Today"),
    "week": ("Tuần này", "This week"),
    "month": ("Tháng này", "This month"),
    "reporting": ("Kỳ báo cáo", "Reporting period"),
    "qtd": ("Từ đầu quý", "Quarter to date"),
    "ytd": ("Từ đầu năm", "Year to date"),
}
SEVERITY_ICON = {"critical": "■", "warning": "▲", "info": "●"}


def _i(lang: str) -> int:
    return 1 if lang == "en" else 0


def _unit_name(row, lang: str) -> str:
    return row.unit_name_en if lang == "en" else row.unit_name_vi


def layout(**query) -> html.Div:
    ctx = context(query)
    lang = ctx.lang
    principal = current_principal()
    with read_session() as session:
        active = active_view(session, principal, lang)
        explain_part = explain_view(session, principal, lang)
        forms = explain_forms(session, principal, lang, query)
        past = history_view(session, principal, lang)
        rules = rules_view(session, principal, lang)
    return page(
        [
            html.H2(t("alerts_title", lang), className="ioc-page-title"),
            dcc.Store(id="alerts-lang", data=lang),
            html.Section(
                className="ioc-alerts__section",
                children=[
                    html.H3(t("alerts_active", lang)),
                    html.Div(id="alerts-active", children=active),
                    html.Div(id="alerts-ack-message", role="status"),
                ],
            ),
            html.Section(
                className="ioc-alerts__section",
                children=[
                    html.H3(t("explain_title", lang)),
                    html.Div(id="explain-list", children=explain_part),
                    html.Div(id="explain-message", role="status"),
                    forms,
                ],
            ),
            html.Section(
                className="ioc-alerts__section",
                children=[html.H3(t("alerts_history", lang)), html.Div(id="alerts-history", children=past)],
            ),
            rules,
        ],
        ctx=ctx,
        active="/alerts",
        simulated=False,
        page_class="ioc-alerts",
    )


# --- firing alerts ----------------------------------------------------------------------------------
def active_view(session, principal, lang: str):
    rows = active_alerts(session, principal)
    if not rows:
        return html.P(t("alerts_none", lang), className="ioc-notice", id="alerts-empty")
    tz = store().settings.tz
    i = _i(lang)
    can_ask = principal is not None and principal.can("explain_ask")
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(f"alerts_col_{k}", lang))
                for k in ("severity", "unit", "kpi", "value", "since", "state", "rule")
            ]
        )
    )
    body = []
    for r in rows:
        d = CATALOGUE[r.kpi_id]
        state = t(f"alerts_state_{r.state}", lang)
        if r.state == "acknowledged" and r.acked_by:
            state = (
                f"{state} ({t('alerts_by', lang)} {r.acked_by.removeprefix('user:')}): {r.ack_comment or ''}"
            )
        body.append(
            html.Tr(
                id=f"alert-{r.state_id}",
                className=f"ioc-alert ioc-alert--{r.state} ioc-alert--{r.severity}",
                **{"data-unit": r.unit_code, "data-kpi": r.kpi_id, "data-state": r.state},
                children=[
                    html.Td(f"{SEVERITY_ICON[r.severity]} {SEVERITY_NAMES[r.severity][i]}"),
                    html.Td(dcc.Link(_unit_name(r, lang), href=f"/units/{r.unit_code}")),
                    html.Td(f"{d.id} {d.name(lang)} ({PERIOD_NAMES[r.period][i]})"),
                    html.Td(format_value(r.value, d.unit, lang)),
                    html.Td(fmt_datetime(r.fired_at or r.since, lang, tz)),
                    html.Td(state),
                    html.Td(
                        [
                            r.rule,
                            html.Br(),
                            dcc.Link(
                                t("alerts_ask_explain", lang),
                                href=f"/alerts?unit={r.unit_code}&kpi={r.kpi_id}",
                            )
                            if can_ask
                            else None,
                        ]
                    ),
                ],
            )
        )
    table = html.Table(className="ioc-table ioc-alerts__table", children=[head, html.Tbody(body)])
    firing = [r for r in rows if r.state == "firing"]
    if not firing:
        return table
    options = [
        {"label": f"{_unit_name(r, lang)} · {r.kpi_id} · {r.rule}", "value": r.state_id} for r in firing
    ]
    form = html.Div(
        className="ioc-alerts__form",
        id="alerts-ack-form",
        children=[
            html.H4(t("alerts_ack_title", lang)),
            dcc.Dropdown(id="alerts-ack-select", options=options, placeholder=t("alerts_ack_pick", lang)),
            dcc.Textarea(id="alerts-ack-comment", placeholder=t("alerts_ack_comment", lang), maxLength=2000),
            html.Button(t("alerts_ack_button", lang), id="alerts-ack-button", className="ioc-button"),
        ],
    )
    return html.Div([table, form])


@callback(
    Output("alerts-ack-message", "children"),
    Output("alerts-active", "children"),
    Input("alerts-ack-button", "n_clicks"),
    State("alerts-ack-select", "value"),
    State("alerts-ack-comment", "value"),
    State("alerts-lang", "data"),
    prevent_initial_call=True,
)
def acknowledge_alert(n_clicks, state_id, comment, lang):
    """Acknowledge one firing alert of the scope, with a comment; audited."""
    lang = normalise_language(lang)
    if not n_clicks:
        raise PreventUpdate
    try:
        principal = require("alerts")
    except AccessDenied:
        raise PreventUpdate from None
    if state_id is None or not str(comment or "").strip():
        return _note("alerts_ack_missing", lang, error=True), dash.no_update
    with store().sessions() as session, session.begin():
        try:
            acknowledge_in_scope(session, principal, state_id, str(comment), client_address())
        except NotAllowed:
            message = _note("alerts_not_allowed", lang, error=True)
        else:
            message = _note("alerts_ack_done", lang)
    with read_session() as session:
        return message, active_view(session, principal, lang)


def _note(key: str, lang: str, error: bool = False, **values) -> html.P:
    kind = "error" if error else "ok"
    return html.P(t(key, lang, **values), className=f"ioc-screens__note ioc-screens__note--{kind}")


# --- explanation requests ---------------------------------------------------------------------------
def explain_view(session, principal, lang: str):
    rows = explain.requests_in_scope(session, principal)
    if not rows:
        return html.P(t("explain_none", lang), className="ioc-notice", id="explain-empty")
    tz = store().settings.tz
    today = datetime.now(tz).date()
    rows.sort(key=lambda r: (not r.overdue(today), r.status == "closed", -r.id))
    items = []
    for r in rows:
        d = CATALOGUE[r.kpi_id]
        late = r.overdue(today)
        status = t("explain_overdue" if late else f"explain_status_{r.status}", lang)
        parts = [
            html.Div(
                [
                    html.Strong(f"{_unit_name(r, lang)} · {d.id} {d.name(lang)}"),
                    f" — {r.period_label}",
                    html.Span(f" [{status}]", className="ioc-explain__status"),
                ]
            ),
            html.Div(
                f"{t('explain_question', lang)} ({r.requested_by.removeprefix('user:')}, "
                f"{t('explain_due', lang).lower()} {fmt_date(r.due_on, lang)}): {r.question}"
            ),
        ]
        if r.answer:
            planned = (
                f" · {t('explain_planned', lang)}: {fmt_date(r.planned_on, lang)}" if r.planned_on else ""
            )
            who = (r.answered_by or "").removeprefix("user:")
            at = fmt_datetime(r.answered_at, lang, tz) if r.answered_at else ""
            parts.append(html.Div(f"{t('explain_answer', lang)} ({who}, {at}): {r.answer}{planned}"))
        if r.follow_up:
            parts.append(html.Div(f"{t('explain_follow_up', lang)}: {r.follow_up}"))
        items.append(
            html.Li(
                parts,
                id=f"explain-{r.id}",
                className=f"ioc-explain ioc-explain--{'overdue' if late else r.status}",
                **{
                    "data-unit": r.unit_code,
                    "data-kpi": r.kpi_id,
                    "data-status": "overdue" if late else r.status,
                },
            )
        )
    return html.Ul(items, className="ioc-explain__list")


def _request_options(session, principal, lang: str, capability: str, statuses: tuple[str, ...]):
    if principal is None or not principal.can(capability):
        return []
    codes = scope_codes(session, principal, capability)
    return [
        {"label": f"#{r.id} {_unit_name(r, lang)} · {r.kpi_id} · {r.period_label}", "value": r.id}
        for r in explain.requests_in_scope(session, principal)
        if r.unit_code in codes and r.status in statuses
    ]


def explain_forms(session, principal, lang: str, query: dict) -> html.Div:
    """The forms the principal's roles allow: ask (lanh_dao), answer (truong_don_vi), follow up."""
    i = _i(lang)
    forms: list = []
    can_ask = principal is not None and principal.can("explain_ask")
    if can_ask:
        codes = scope_codes(session, principal, "explain_ask")
        units = [{"label": u.label(lang), "value": u.code} for u in visible_units(session) if u.code in codes]
        kpis = [{"label": f"{d.id} {d.name(lang)}", "value": d.id} for d in CATALOGUE.values() if d.direction]
        wanted_unit = query.get("unit") if query.get("unit") in codes else None
        wanted_kpi = query.get("kpi") if query.get("kpi") in CATALOGUE else None
        forms.append(
            html.Div(
                className="ioc-alerts__form",
                id="explain-ask-form",
                children=[
                    html.H4(t("explain_ask_title", lang)),
                    dcc.Dropdown(
                        id="explain-ask-unit",
                        options=units,
                        value=wanted_unit,
                        placeholder=t("explain_pick_unit", lang),
                    ),  # fmt: skip
                    dcc.Dropdown(
                        id="explain-ask-kpi",
                        options=kpis,
                        value=wanted_kpi,
                        placeholder=t("explain_pick_kpi", lang),
                    ),  # fmt: skip
                    dcc.Dropdown(
                        id="explain-ask-period",
                        options=[{"label": _PERIOD_WORDS[p][i], "value": p} for p in _PERIODS],
                        value="mtd",
                        clearable=False,
                    ),
                    dcc.Textarea(id="explain-ask-text", placeholder=t("explain_text", lang), maxLength=4000),
                    html.Button(
                        t("explain_ask_button", lang), id="explain-ask-button", className="ioc-button"
                    ),
                ],
            )
        )
    answerable = _request_options(session, principal, lang, "explain_answer", ("open", "answered"))
    if answerable:
        forms.append(
            html.Div(
                className="ioc-alerts__form",
                id="explain-answer-form",
                children=[
                    html.H4(t("explain_answer_title", lang)),
                    dcc.Dropdown(
                        id="explain-answer-request",
                        options=answerable,
                        placeholder=t("explain_pick_request", lang),
                    ),  # fmt: skip
                    dcc.Textarea(
                        id="explain-answer-text", placeholder=t("explain_text", lang), maxLength=4000
                    ),
                    html.Label(t("explain_planned", lang)),
                    dcc.DatePickerSingle(id="explain-answer-planned", display_format="DD/MM/YYYY"),
                    html.Button(
                        t("explain_answer_button", lang), id="explain-answer-button", className="ioc-button"
                    ),
                ],
            )
        )
    followable = (
        _request_options(session, principal, lang, "explain_ask", ("open", "answered")) if can_ask else []
    )
    if followable:
        forms.append(
            html.Div(
                className="ioc-alerts__form",
                id="explain-follow-form",
                children=[
                    html.H4(t("explain_follow_title", lang)),
                    dcc.Dropdown(
                        id="explain-follow-request",
                        options=followable,
                        placeholder=t("explain_pick_request", lang),
                    ),  # fmt: skip
                    dcc.Textarea(
                        id="explain-follow-text", placeholder=t("explain_text", lang), maxLength=4000
                    ),
                    html.Button(
                        t("explain_follow_button", lang), id="explain-follow-button", className="ioc-button"
                    ),
                    html.Button(
                        t("explain_close_button", lang), id="explain-close-button", className="ioc-button"
                    ),
                ],
            )
        )
    # Every input of the callback exists on every page (hidden when the role has no such form).
    present = {f.id for f in forms}
    hidden = []
    for form_id, ids in _FORM_IDS.items():
        if form_id not in present:
            hidden += [_placeholder(x) for x in ids]
    return html.Div(forms + [html.Div(hidden, hidden=True)], className="ioc-alerts__forms")


def _placeholder(component_id: str):
    if component_id.endswith("button"):
        return html.Button(id=component_id, hidden=True)
    if component_id.endswith("planned"):
        return dcc.DatePickerSingle(id=component_id)
    return dcc.Input(id=component_id, type="hidden")


_FORM_IDS = {
    "explain-ask-form": ("explain-ask-button", "explain-ask-unit", "explain-ask-kpi", "explain-ask-period", "explain-ask-text"),
    "explain-answer-form": ("explain-answer-button", "explain-answer-request", "explain-answer-text", "explain-answer-planned"),
    "explain-follow-form": ("explain-follow-button", "explain-close-button", "explain-follow-request", "explain-follow-text"),
}  # fmt: skip


def _parse_day(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


@callback(
    Output("explain-message", "children"),
    Output("explain-list", "children"),
    Input("explain-ask-button", "n_clicks"),
    Input("explain-answer-button", "n_clicks"),
    Input("explain-follow-button", "n_clicks"),
    Input("explain-close-button", "n_clicks"),
    State("explain-ask-unit", "value"),
    State("explain-ask-kpi", "value"),
    State("explain-ask-period", "value"),
    State("explain-ask-text", "value"),
    State("explain-answer-request", "value"),
    State("explain-answer-text", "value"),
    State("explain-answer-planned", "date"),
    State("explain-follow-request", "value"),
    State("explain-follow-text", "value"),
    State("alerts-lang", "data"),
    prevent_initial_call=True,
)
def explain_action(_ask, _answer, _follow, _close, unit, kpi, period, question, answer_id, answer_text,
                   planned, follow_id, follow_text, lang):  # fmt: skip
    """Ask, answer, follow up or close an explanation request: the principal's role and scope decide."""
    lang = normalise_language(lang)
    trigger = dash.ctx.triggered_id
    if trigger not in {
        "explain-ask-button",
        "explain-answer-button",
        "explain-follow-button",
        "explain-close-button",
    }:
        raise PreventUpdate
    if not any(item.get("value") for item in dash.ctx.triggered):
        raise PreventUpdate
    principal = current_principal()
    if principal is None:
        raise PreventUpdate
    tz = store().settings.tz
    address = client_address()
    done = {"explain-ask-button": "explain_done_ask", "explain-answer-button": "explain_done_answer"}
    with store().sessions() as session, session.begin():
        try:
            if trigger == "explain-ask-button":
                from dashboard.targets import load_targets

                explain.ask(session, principal, kpi_id=kpi, unit_code=unit, period_kind=period, question=question,
                            today=datetime.now(tz).date(), calendar=load_targets(store().settings.targets_file).calendar,
                            address=address)  # fmt: skip
            elif trigger == "explain-answer-button":
                explain.answer(session, principal, answer_id, answer_text, _parse_day(planned), address)
            else:
                explain.follow_up(
                    session, principal, follow_id, follow_text, trigger == "explain-close-button", address
                )
            message = _note(done.get(trigger, "explain_done_follow"), lang)
        except explain.ExplainError as exc:
            field = str(exc)
            message = (
                _note("alerts_not_allowed", lang, error=True)
                if field in {"not_allowed", "closed"}
                else _note("explain_missing", lang, error=True, field=field)
            )
    with read_session() as session:
        return message, explain_view(session, principal, lang)


# --- rules (read-only; managed with `ioc alerts`) ------------------------------------------------------
def rules_view(session, principal, lang: str):
    """The rules on units of the scope, for those who manage them (theo_doi)."""
    if principal is None or not principal.can("alert_rules") or not principal.can("alerts"):
        return None
    from dashboard.alerts.view import rules_in_scope

    rows = rules_in_scope(session, scope_codes(session, principal, "alert_rules"))
    i = _i(lang)
    items = []
    for rule, unit in rows:
        d = CATALOGUE[rule.kpi_id]
        cond = (
            f"{format_value(rule.fire_at, d.unit, lang)} / {format_value(rule.clear_at, d.unit, lang)}"
            if rule.fire_at is not None
            else t("alerts_rule_targets", lang)
        )
        where = f"{t('alerts_rule_each', lang)} " if rule.mode == "each" else ""
        off = f" [{t('alerts_rule_off', lang)}]" if not rule.enabled else ""
        items.append(
            html.Li(
                f"{rule.name}{off}: {d.id} {d.name(lang)} · {where}{unit.name_en if lang == 'en' else unit.name_vi} · "
                f"{PERIOD_NAMES[rule.period][i]} · {cond} · {SEVERITY_NAMES[rule.severity][i]}",
                id=f"alert-rule-{rule.id}",
            )
        )
    return html.Section(
        className="ioc-alerts__section",
        id="alerts-rules",
        children=[
            html.H3(t("alerts_rules", lang)),
            html.P(t("alerts_rules_intro", lang), className="ioc-muted"),
            html.Ul(items) if items else html.P("–", className="ioc-muted"),
        ],
    )


# --- history -----------------------------------------------------------------------------------------
def history_view(session, principal, lang: str):
    rows = history(session, principal, limit=100)
    if not rows:
        return html.P("–", className="ioc-muted")
    tz = store().settings.tz
    items = []
    for e in rows:
        d = CATALOGUE[e.kpi_id]
        who = f" · {e.actor.removeprefix('user:')}" if e.actor else ""
        comment = f": {e.comment}" if e.comment else ""
        items.append(
            html.Li(
                f"{fmt_datetime(e.at, lang, tz)} · {_unit_name(e, lang)} · {d.id} · "
                f"{t(f'alerts_state_{e.from_state}', lang)} → {t(f'alerts_state_{e.to_state}', lang)} "
                f"({format_value(e.value, d.unit, lang)}){who}{comment}",
                className="ioc-alerts__event",
            )
        )
    return html.Ul(items, className="ioc-alerts__history")
