"""Administration (``quan_tri``): ``/admin/users`` — the accounts of the scope with their grants and
last sign-in, enabled or disabled with one button — and ``/admin/audit`` — the audit trail, newest
first, filtered by date, account and kind, read-only, exported as CSV.

The page gate already requires the ``admin`` capability for ``/admin``; every callback asks again
(:func:`dashboard.access.require`), acts only on accounts inside the administrator's scope, and
records what it did in the audit.
"""

from __future__ import annotations

from datetime import date, datetime, time

import dash
from dash import ALL, Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import accounts, audit
from dashboard.access import (
    ROLE_NAMES,
    AccessDenied,
    Principal,
    current_principal,
    require,
    scope_codes,
    unit_tree,
)
from dashboard.auth import client_address
from dashboard.exports import to_csv
from dashboard.i18n import fmt_datetime, fmt_number, normalise_language, register, t
from dashboard.timeutil import utcnow
from dashboard.webapp import read_session, store
from layouts.components.frame import context, page

register(
    {
        "admin_users_title": {"vi": "Tài khoản và quyền", "en": "Accounts and grants"},
        "admin_audit_title": {"vi": "Nhật ký truy cập", "en": "Audit trail"},
        "admin_tab_users": {"vi": "Tài khoản", "en": "Accounts"},
        "admin_tab_audit": {"vi": "Nhật ký", "en": "Audit"},
        "admin_users_intro": {
            "vi": "Các tài khoản có quyền trong phạm vi quản trị của bạn. Thêm tài khoản, cấp quyền, đặt lại mật khẩu "
            "bằng lệnh ioc users trên máy chủ. Khóa tài khoản sẽ đăng xuất tài khoản đó ở mọi nơi.",
            "en": "The accounts holding grants inside your administration scope. Add accounts, grant roles and reset "
            "passwords with ioc users on the server. Disabling an account signs it out everywhere.",
        },
        "admin_users_none": {
            "vi": "Chưa có tài khoản nào trong phạm vi của bạn.",
            "en": "There is no account in your scope.",
        },
        "admin_col_account": {"vi": "Tài khoản", "en": "Account"},
        "admin_col_state": {"vi": "Trạng thái", "en": "State"},
        "admin_col_grants": {"vi": "Quyền (vai trò · đơn vị)", "en": "Grants (role · unit)"},
        "admin_col_sign_in": {"vi": "Đăng nhập gần nhất", "en": "Last sign-in"},
        "admin_col_actions": {"vi": "Thao tác", "en": "Actions"},
        "admin_active": {"vi": "Đang hoạt động", "en": "Enabled"},
        "admin_disabled": {"vi": "Đã khóa", "en": "Disabled"},
        "admin_password": {"vi": "mật khẩu", "en": "password"},
        "admin_sso": {"vi": "đăng nhập một lần (SSO)", "en": "single sign-on"},
        "admin_secret": {"vi": "được xem văn bản mật", "en": "may see secret documents"},
        "admin_no_grant": {"vi": "chưa có quyền", "en": "no grant"},
        "admin_disable": {"vi": "Khóa", "en": "Disable"},
        "admin_enable": {"vi": "Mở khóa", "en": "Enable"},
        "admin_disable_confirm": {
            "vi": "Khóa tài khoản '{name}'? Tài khoản sẽ bị đăng xuất ở mọi nơi.",
            "en": "Disable the account '{name}'? It is signed out everywhere.",
        },
        "admin_enable_confirm": {
            "vi": "Mở khóa tài khoản '{name}'? Tài khoản đăng nhập lại được với quyền hiện có.",
            "en": "Enable the account '{name}'? It can sign in again with its current grants.",
        },
        "admin_disabled_done": {"vi": "Đã khóa tài khoản '{name}'.", "en": "Account '{name}' disabled."},
        "admin_enabled_done": {"vi": "Đã mở khóa tài khoản '{name}'.", "en": "Account '{name}' enabled."},
        "admin_not_allowed": {
            "vi": "Không có quyền thay đổi tài khoản này.",
            "en": "You may not change this account.",
        },
        "admin_not_self": {
            "vi": "Không thể tự khóa tài khoản của chính mình.",
            "en": "You cannot disable your own account.",
        },
        "admin_audit_intro": {
            "vi": "Nhật ký chỉ được ghi thêm, không sửa hay xóa được từ ứng dụng. Hiển thị tối đa {n} sự kiện mới nhất "
            "theo bộ lọc; tệp CSV chứa tối đa {max} sự kiện.",
            "en": "The audit is append-only: nothing in it can be changed from the application. Showing at most the "
            "{n} newest events of the filter; the CSV holds at most {max}.",
        },
        "admin_filter_since": {"vi": "Từ ngày", "en": "Since"},
        "admin_filter_account": {"vi": "Tài khoản hoặc màn hình", "en": "Account or screen"},
        "admin_filter_kind": {"vi": "Loại sự kiện", "en": "Kind of event"},
        "admin_filter_all": {"vi": "Tất cả", "en": "All"},
        "admin_export_csv": {"vi": "Xuất CSV", "en": "Export CSV"},
        "admin_audit_none": {
            "vi": "Không có sự kiện nào theo bộ lọc này.",
            "en": "No event matches this filter.",
        },
        "admin_audit_count": {"vi": "{n} sự kiện", "en": "{n} events"},
        "admin_col_at": {"vi": "Thời điểm", "en": "Time"},
        "admin_col_kind": {"vi": "Sự kiện", "en": "Event"},
        "admin_col_outcome": {"vi": "Kết quả", "en": "Outcome"},
        "admin_col_actor": {"vi": "Người / màn hình", "en": "Who"},
        "admin_col_address": {"vi": "Địa chỉ IP", "en": "Address"},
        "admin_col_unit": {"vi": "Đơn vị", "en": "Unit"},
        "admin_col_detail": {"vi": "Chi tiết", "en": "Detail"},
        "admin_actor_cli": {"vi": "dòng lệnh trên máy chủ (ioc)", "en": "the server's command line (ioc)"},
        "admin_actor_system": {"vi": "hệ thống", "en": "the system"},
        "admin_outcome_ok": {"vi": "Thành công", "en": "OK"},
        "admin_outcome_failed": {"vi": "Không thành công", "en": "Failed"},
        "admin_outcome_denied": {"vi": "Bị từ chối", "en": "Denied"},
    }
)

SHOWN_EVENTS = 500
MAX_EXPORT_EVENTS = 20_000


def _tabs(lang: str, active: str) -> html.Nav:
    return html.Nav(
        className="ioc-admin__tabs",
        children=[
            dcc.Link(
                t(key, lang),
                href=path,
                id=f"admin-tab-{name}",
                className="ioc-admin__tab" + (" ioc-admin__tab--active" if name == active else ""),
            )
            for name, path, key in (
                ("users", "/admin/users", "admin_tab_users"),
                ("audit", "/admin/audit", "admin_tab_audit"),
            )
        ],
    )


# --- accounts -------------------------------------------------------------------------------------------
def manageable(session, principal: Principal) -> list[accounts.AccountInfo]:
    """The accounts ``principal`` administers: every grant inside its ``admin`` scope (an account
    without grants only for an administrator of the whole hierarchy)."""
    inside = scope_codes(session, principal, "admin")
    whole = {u.code for u in unit_tree(session)} <= inside
    return [
        a
        for a in accounts.list_accounts(session)
        if (a.grants and all(code in inside for _, code in a.grants)) or (not a.grants and whole)
    ]


def users_layout(**query) -> html.Div:
    ctx = context(query)
    lang = ctx.lang
    with read_session() as session:
        table = users_view(session, current_principal(), lang)
    return page(
        [
            _tabs(lang, "users"),
            html.H2(t("admin_users_title", lang), className="ioc-page-title"),
            html.P(t("admin_users_intro", lang), className="ioc-muted"),
            dcc.Store(id="admin-lang", data=lang),
            html.Div(id="admin-users-message", role="status"),
            html.Div(id="admin-users-table", children=table),
        ],
        ctx=ctx,
        active="/admin/users",
        simulated=False,
        page_class="ioc-admin",
    )


def users_view(session, principal: Principal | None, lang: str):
    if principal is None or not principal.can("admin"):
        return None
    rows = manageable(session, principal)
    if not rows:
        return html.P(t("admin_users_none", lang), className="ioc-notice")
    names = {u.code: (u.name_en if lang == "en" else u.name_vi) for u in unit_tree(session)}
    tz = store().settings.tz
    head = html.Thead(
        html.Tr(
            [html.Th(t(f"admin_col_{k}", lang)) for k in ("account", "state", "grants", "sign_in", "actions")]
        )
    )
    body = []
    for a in rows:
        role_index = 1 if lang == "en" else 0
        grants = [
            html.Li(f"{ROLE_NAMES.get(role, (role, role))[role_index]} · {names.get(code, code)}")
            for role, code in a.grants
        ] or [html.Li(t("admin_no_grant", lang), className="ioc-muted")]
        how = t("admin_password" if a.local_password else "admin_sso", lang)
        if a.may_see_secret:
            how += " · " + t("admin_secret", lang)
        button = None
        if a.username != principal.name:
            label = "admin_disable" if a.active else "admin_enable"
            button = html.Button(
                t(label, lang), className="ioc-button" + (" ioc-button--danger" if a.active else "")
            )
            confirm = "admin_disable_confirm" if a.active else "admin_enable_confirm"
            button = dcc.ConfirmDialogProvider(
                button,
                id={"type": "account-active", "index": a.username},
                message=t(confirm, lang, name=a.username),
            )
        body.append(
            html.Tr(
                id=f"account-{a.username}",
                **{"data-account": a.username, "data-active": str(a.active).lower()},
                children=[
                    html.Td(
                        [
                            html.Strong(a.display_name or a.username),
                            html.Br(),
                            html.Small(f"{a.username} · {how}", className="ioc-muted"),
                        ]
                    ),
                    html.Td(
                        html.Span(
                            t("admin_active" if a.active else "admin_disabled", lang),
                            className="ioc-state ioc-state--" + ("ok" if a.active else "disabled"),
                        )
                    ),
                    html.Td(html.Ul(grants, className="ioc-admin__grants")),
                    html.Td(
                        fmt_datetime(a.last_sign_in_at, lang, tz) if a.last_sign_in_at else t("never", lang)
                    ),
                    html.Td(button or "–"),
                ],
            )
        )
    return html.Table(
        className="ioc-table ioc-admin__table", id="admin-accounts", children=[head, html.Tbody(body)]
    )


@callback(
    Output("admin-users-message", "children"),
    Output("admin-users-table", "children"),
    Input({"type": "account-active", "index": ALL}, "submit_n_clicks"),
    State("admin-lang", "data"),
    prevent_initial_call=True,
)
def set_active(_clicks, lang):
    """Enable or disable one account of the scope (never one's own), audited."""
    lang = normalise_language(lang)
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or not any(item.get("value") for item in dash.ctx.triggered):
        raise PreventUpdate
    try:
        principal = require("admin")
    except AccessDenied:
        raise PreventUpdate from None
    name = trigger.get("index")
    with store().sessions() as session, session.begin():
        target = next((a for a in manageable(session, principal) if a.username == name), None)
        if target is None or target.username == principal.name:
            audit.record(
                session,
                "denied",
                actor=principal.actor,
                address=client_address(),
                outcome="denied",
                action="account_changed",
                target=str(name)[:120],
            )
            text = t("admin_not_self" if target is not None else "admin_not_allowed", lang)
            return html.P(text, className="ioc-screens__note ioc-screens__note--error"), dash.no_update
        active = not target.active
        accounts.set_active(session, target.username, active)
        audit.record(
            session,
            "account_changed",
            actor=principal.actor,
            address=client_address(),
            target=target.username,
            active=active,
        )
    with read_session() as session:
        table = users_view(session, principal, lang)
    text = t("admin_enabled_done" if active else "admin_disabled_done", lang, name=target.username)
    return html.P(text, className="ioc-screens__note ioc-screens__note--ok", id="admin-users-note"), table


# --- audit ----------------------------------------------------------------------------------------------
def audit_layout(**query) -> html.Div:
    ctx = context(query)
    lang = ctx.lang
    kinds = [{"label": t("admin_filter_all", lang), "value": ""}] + [
        {"label": (en if lang == "en" else vi), "value": k} for k, (vi, en) in audit.KINDS.items()
    ]
    with read_session():
        table = audit_view(current_principal(), lang, None, None, None)
    return page(
        [
            _tabs(lang, "audit"),
            html.H2(t("admin_audit_title", lang), className="ioc-page-title"),
            html.P(
                t(
                    "admin_audit_intro",
                    lang,
                    n=fmt_number(SHOWN_EVENTS, lang),
                    max=fmt_number(MAX_EXPORT_EVENTS, lang),
                ),
                className="ioc-muted",
            ),
            dcc.Store(id="audit-lang", data=lang),
            html.Div(
                className="ioc-controls",
                children=[
                    html.Label(
                        [
                            t("admin_filter_since", lang),
                            dcc.DatePickerSingle(
                                id="audit-since",
                                display_format="DD/MM/YYYY",
                                placeholder="dd/mm/yyyy",
                                clearable=True,
                                first_day_of_week=1,
                            ),
                        ],
                        className="ioc-control",
                    ),
                    html.Label(
                        [
                            t("admin_filter_account", lang),
                            dcc.Input(
                                id="audit-actor",
                                type="text",
                                debounce=True,
                                maxLength=120,
                                className="ioc-input",
                            ),
                        ],
                        className="ioc-control",
                    ),
                    html.Label(
                        [
                            t("admin_filter_kind", lang),
                            dcc.Dropdown(
                                id="audit-kind", options=kinds, value="", clearable=False, searchable=False
                            ),
                        ],
                        className="ioc-control ioc-control--wide",
                    ),
                    html.Button(t("admin_export_csv", lang), id="audit-export", className="ioc-button"),
                    dcc.Download(id="audit-download"),
                ],
            ),
            html.Div(id="audit-table", children=table),
        ],
        ctx=ctx,
        active="/admin/users",
        simulated=False,
        page_class="ioc-admin",
    )


def _filters(since, actor, kind) -> dict:
    """The filters as the audit module takes them; anything malformed is ignored, not trusted."""
    out: dict = {}
    if isinstance(since, str) and since:
        try:
            day = date.fromisoformat(since[:10])
            out["since"] = datetime.combine(day, time.min, tzinfo=store().settings.tz)
        except ValueError:
            pass
    if isinstance(actor, str) and actor.strip():
        out["actor"] = actor.strip()[:120]
    if isinstance(kind, str) and kind in audit.KINDS:
        out["kind"] = kind
    return out


def _events(filters: dict, limit: int) -> list[audit.Event]:
    with read_session() as session:
        return audit.list_events(session, limit=limit, **filters)


#: Words for the detail keys the application records (others are shown as they are).
_DETAIL_WORDS = {
    "target": ("đối tượng", "target"),
    "playlist": ("danh sách trình chiếu", "playlist"),
    "via": ("cách đăng nhập", "via"),
    "path": ("trang", "page"),
    "needs": ("cần quyền", "needs"),
    "rows": ("số dòng", "rows"),
    "format": ("định dạng", "format"),
    "active": ("hoạt động", "enabled"),
    "action": ("thao tác", "action"),
    "what": ("nội dung", "what"),
    "grant": ("quyền", "grant"),
    "revoked": ("thu hồi", "revoked"),
    "wait_s": ("chờ (giây)", "wait (s)"),
    "scope": ("phạm vi", "scope"),
}
_ACTOR_KINDS = {"user": ("tài khoản", "account"), "screen": ("màn hình", "screen")}


def _at(value: datetime, lang: str, tz) -> str:
    """To the second: an audit is read for the order of events."""
    if lang == "vi":
        return value.astimezone(tz).strftime("%H:%M:%S %d/%m/%Y")
    return fmt_datetime(value, lang, tz)


def _actor(actor: str | None, lang: str) -> str:
    """``user:an`` → "an (tài khoản)"; ``cli`` → the server's command line."""
    if not actor:
        return "–"
    kind, sep, name = actor.partition(":")
    if sep and kind in _ACTOR_KINDS:
        return f"{name} ({_ACTOR_KINDS[kind][lang == 'en']})"
    return t(f"admin_actor_{actor}", lang) if f"admin_actor_{actor}" in _ACTORS else actor


def _event_row(e: audit.Event, lang: str, tz) -> dict[str, str]:
    vi, en = audit.KINDS.get(e.kind, (e.kind, e.kind))
    outcome_key = f"admin_outcome_{e.outcome}"
    return {
        "at": _at(e.at, lang, tz),
        "kind": en if lang == "en" else vi,
        "outcome": t(outcome_key, lang) if outcome_key in _OUTCOMES else e.outcome,
        "actor": _actor(e.actor, lang),
        "address": e.address or "–",
        "unit": e.unit_code or "–",
        "detail": "; ".join(
            f"{_DETAIL_WORDS.get(k, (k, k))[lang == 'en']}: {v}" for k, v in (e.detail or {}).items()
        ),
    }


_OUTCOMES = {"admin_outcome_ok", "admin_outcome_failed", "admin_outcome_denied"}
_ACTORS = {"admin_actor_cli", "admin_actor_system"}
_AUDIT_COLUMNS = ("at", "kind", "outcome", "actor", "address", "unit", "detail")


def audit_view(principal: Principal | None, lang: str, since, actor, kind):
    if principal is None or not principal.can("admin"):
        return None
    events = _events(_filters(since, actor, kind), SHOWN_EVENTS)
    if not events:
        return html.P(t("admin_audit_none", lang), className="ioc-notice", id="audit-empty")
    tz = store().settings.tz
    head = html.Thead(html.Tr([html.Th(t(f"admin_col_{c}", lang)) for c in _AUDIT_COLUMNS]))
    body = []
    for e in events:
        row = _event_row(e, lang, tz)
        body.append(
            html.Tr(
                className=f"ioc-audit ioc-audit--{e.outcome}",
                **{"data-kind": e.kind},
                children=[
                    html.Td(row["at"], className="ioc-audit__at"),
                    html.Td(row["kind"]),
                    html.Td(
                        html.Span(
                            row["outcome"],
                            className="ioc-state ioc-state--"
                            + ("ok" if e.outcome == "ok" else "error" if e.outcome == "denied" else "stale"),
                        )
                    ),
                    html.Td(row["actor"]),
                    html.Td(row["address"]),
                    html.Td(row["unit"]),
                    html.Td(row["detail"], className="ioc-audit__detail"),
                ],
            )
        )
    return html.Div(
        [
            html.P(
                t("admin_audit_count", lang, n=fmt_number(len(events), lang)),
                id="audit-count",
                className="ioc-muted",
            ),
            html.Table(
                className="ioc-table ioc-audit__table", id="audit-events", children=[head, html.Tbody(body)]
            ),
        ]
    )


@callback(
    Output("audit-table", "children"),
    Input("audit-since", "date"),
    Input("audit-actor", "value"),
    Input("audit-kind", "value"),
    State("audit-lang", "data"),
    prevent_initial_call=True,
)
def filter_audit(since, actor, kind, lang):
    try:
        principal = require("admin")
    except AccessDenied:
        raise PreventUpdate from None
    return audit_view(principal, normalise_language(lang), since, actor, kind)


@callback(
    Output("audit-download", "data"),
    Input("audit-export", "n_clicks"),
    State("audit-since", "date"),
    State("audit-actor", "value"),
    State("audit-kind", "value"),
    State("audit-lang", "data"),
    prevent_initial_call=True,
)
def export_audit(n_clicks, since, actor, kind, lang):
    """The filtered audit as CSV, re-read on the server; the export itself is audited."""
    if not n_clicks:
        raise PreventUpdate
    try:
        principal = require("admin")
    except AccessDenied:
        raise PreventUpdate from None
    lang = normalise_language(lang)
    filters = _filters(since, actor, kind)
    events = _events(filters, MAX_EXPORT_EVENTS)
    tz = store().settings.tz
    table = [
        {t(f"admin_col_{c}", lang): row[c] for c in _AUDIT_COLUMNS}
        for row in (_event_row(e, lang, tz) for e in events)
    ]
    audit.record_now(
        store().sessions,
        "export",
        actor=principal.actor,
        address=client_address(),
        rows=len(table),
        format="csv",
        what="audit",
        filters={k: str(v) for k, v in filters.items()},
    )
    stamp = utcnow().astimezone(tz).strftime("%Y%m%d-%H%M")
    return dcc.send_bytes(to_csv(table), f"nhat-ky-truy-cap-{stamp}.csv")


dash.register_page(
    "layouts.admin_users",
    path="/admin/users",
    name="Quản trị tài khoản",
    title="Tài khoản – IOC",
    order=70,
    layout=users_layout,
)
dash.register_page(
    "layouts.admin_audit",
    path="/admin/audit",
    name="Nhật ký truy cập",
    title="Nhật ký truy cập – IOC",
    order=71,
    layout=audit_layout,
)
