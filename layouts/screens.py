"""The screen fleet (``/screens``, for ``quan_tri`` and ``theo_doi``): every wall screen of the
principal's scope with its state, last heartbeat, the slide on screen, its app version and last
script error; a remote reload per screen, revocation and enrolment of new screens for
``quan_tri``. Refreshes itself every 30 s.

The buttons only *ask*: each callback re-checks the principal's capability and that the screen
(or the unit of a new screen) lies inside its scope, on the server, and records the action in
the audit. Heartbeats come from the screens' own refreshes (:mod:`dashboard.screens`).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, unquote, urlsplit

import dash
from dash import ALL, Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate
from flask import request

from dashboard import __version__, audit, screens
from dashboard.access import AccessDenied, Principal, current_principal, require, scope_codes, unit_tree
from dashboard.auth import client_address
from dashboard.i18n import CATALOGUE, fmt_datetime, fmt_duration, fmt_number, normalise_language, register, t
from dashboard.playlists import PlaylistError, load_playlists, playlists_file
from dashboard.timeutil import utcnow
from dashboard.webapp import read_session, store
from layouts.components.frame import NAV, context, page

dash.register_page(__name__, path="/screens", name="Màn hình", title="Màn hình trình chiếu – IOC", order=60)

REFRESH_MS = 30_000
#: State → (icon, CSS state of the Sources page): colour AND shape, for colour-blind viewers.
STATES = {
    "active": ("●", "ok"),
    "silent": ("▲", "error"),
    "waiting": ("○", "never"),
    "revoked": ("■", "disabled"),
}

register(
    {
        "screens_title": {"vi": "Màn hình trình chiếu", "en": "Wall screens"},
        "screens_intro": {
            "vi": "Mỗi màn hình gửi tín hiệu kèm theo mỗi lần tự làm mới số liệu. Quá {minutes} phút không có "
            "tín hiệu thì màn hình được coi là mất tín hiệu. Trang này tự cập nhật mỗi 30 giây.",
            "en": "Each screen reports with every refresh of its figures. A screen not heard from for {minutes} "
            "minutes is shown as silent. This page updates itself every 30 seconds.",
        },
        "screens_none": {
            "vi": "Chưa có màn hình nào trong phạm vi của bạn.",
            "en": "There is no screen in your scope yet.",
        },
        "screens_summary": {"vi": "{n} màn hình: {parts}", "en": "{n} screens: {parts}"},
        "screen_state_active": {"vi": "Đang hoạt động", "en": "Active"},
        "screen_state_silent": {"vi": "Mất tín hiệu", "en": "Silent"},
        "screen_state_waiting": {"vi": "Chờ đăng ký", "en": "Awaiting enrolment"},
        "screen_state_revoked": {"vi": "Đã thu hồi", "en": "Revoked"},
        "screens_col_screen": {"vi": "Màn hình", "en": "Screen"},
        "screens_col_state": {"vi": "Trạng thái", "en": "State"},
        "screens_col_seen": {"vi": "Tín hiệu gần nhất", "en": "Last heartbeat"},
        "screens_col_slide": {"vi": "Đang hiển thị", "en": "On screen"},
        "screens_col_version": {"vi": "Phiên bản", "en": "Version"},
        "screens_col_error": {"vi": "Lỗi gần nhất trên màn hình", "en": "Last error on the screen"},
        "screens_col_actions": {"vi": "Thao tác", "en": "Actions"},
        "screens_playlist_scope": {
            "vi": "Danh sách: {playlist} · Phạm vi: {unit}",
            "en": "Playlist: {playlist} · Scope: {unit}",
        },
        "screens_never_seen": {"vi": "chưa có tín hiệu", "en": "never heard from"},
        "screens_ago": {"vi": "{age} trước", "en": "{age} ago"},
        "screens_version_old": {
            "vi": "khác máy chủ ({server}): cần tải lại",
            "en": "differs from the server ({server}): reload it",
        },
        "screens_revoked_blank": {"vi": "không hiển thị số liệu (đã thu hồi)", "en": "no figures (revoked)"},
        "screens_no_error": {"vi": "không có", "en": "none"},
        "screens_whole_agency": {"vi": "toàn cơ quan", "en": "whole agency"},
        "screens_reload": {"vi": "Tải lại", "en": "Reload"},
        "screens_reload_pending": {"vi": "Đang chờ tải lại", "en": "Reload pending"},
        "screens_revoke": {"vi": "Thu hồi", "en": "Revoke"},
        "screens_revoke_confirm": {
            "vi": "Thu hồi màn hình '{name}'? Màn hình sẽ ngừng hiển thị số liệu ở lần làm mới tiếp theo và "
            "phải đăng ký lại mới dùng được.",
            "en": "Revoke screen '{name}'? It stops showing figures at its next refresh and must be enrolled again.",
        },
        "screens_reload_done": {
            "vi": "Đã gửi yêu cầu tải lại tới màn hình '{name}': màn hình tải lại ở lần làm mới tiếp theo.",
            "en": "Reload sent to screen '{name}': it reloads at its next refresh.",
        },
        "screens_revoke_done": {"vi": "Đã thu hồi màn hình '{name}'.", "en": "Screen '{name}' revoked."},
        "screens_not_allowed": {
            "vi": "Không có quyền thao tác trên màn hình này.",
            "en": "You may not act on this screen.",
        },
        "screens_add_title": {"vi": "Thêm màn hình", "en": "Add a screen"},
        "screens_add_name": {
            "vi": "Tên màn hình (ví dụ: Phòng họp tầng 3)",
            "en": "Screen name (e.g. Meeting room, 3rd floor)",
        },
        "screens_add_playlist": {"vi": "Danh sách trình chiếu", "en": "Playlist"},
        "screens_add_unit": {"vi": "Phạm vi số liệu (đơn vị)", "en": "Scope of figures (unit)"},
        "screens_add_submit": {"vi": "Tạo mã đăng ký", "en": "Create an enrolment code"},
        "screens_add_done": {
            "vi": "Đã thêm màn hình '{name}'. Mở địa chỉ dưới đây MỘT LẦN trên trình duyệt của màn hình, trong "
            "vòng {hours} giờ. Địa chỉ chỉ hiển thị lần này; nếu mất, tạo mã mới bằng lệnh ioc screens code.",
            "en": "Screen '{name}' added. Open the address below ONCE in the screen's browser, within {hours} hours. "
            "It is shown only now; if lost, make a new one with ioc screens code.",
        },
        "screens_add_no_name": {
            "vi": "Nhập tên màn hình (1–120 ký tự).",
            "en": "Enter the screen's name (1–120 characters).",
        },
        "screens_add_exists": {
            "vi": "Đã có màn hình tên '{name}': chọn tên khác hoặc thu hồi màn hình cũ.",
            "en": "A screen named '{name}' exists already: choose another name or revoke it.",
        },
        "screens_add_no_playlist": {
            "vi": "Chọn một danh sách trình chiếu có trong tệp {path}.",
            "en": "Choose a playlist of the file {path}.",
        },
        "screens_add_no_unit": {
            "vi": "Chọn đơn vị thuộc phạm vi quản trị của bạn.",
            "en": "Choose a unit inside your administration scope.",
        },
    }
)


# --- the page -------------------------------------------------------------------------------------------
def layout(**query) -> html.Div:
    ctx = context(query)
    principal = current_principal()
    lang = ctx.lang
    with read_session() as session:
        table = fleet_view(session, principal, lang)
        add_form = (
            _add_form(session, principal, lang) if principal is not None and principal.can("admin") else None
        )
    return page(
        [
            html.H2(t("screens_title", lang), className="ioc-page-title"),
            html.P(
                t("screens_intro", lang, minutes=int(screens.SILENT_AFTER.total_seconds() // 60)),
                className="ioc-muted",
            ),
            dcc.Store(id="screens-lang", data=lang),
            dcc.Store(id="screens-acted"),
            dcc.Store(id="screens-added"),
            dcc.Interval(id="screens-refresh", interval=REFRESH_MS),
            html.Div(id="screens-message", role="status", className="ioc-screens__message"),
            html.Div(id="screens-table", children=table),
            add_form,
        ],
        ctx=ctx,
        active="/screens",
        simulated=False,
        page_class="ioc-screens",
    )


def fleet_view(session, principal: Principal | None, lang: str):
    """The summary line and the table of the screens inside ``principal``'s scope."""
    if principal is None or not principal.can("screens"):
        return None
    rows = screens.fleet(session, scope_codes(session, principal, "screens"))
    if not rows:
        return html.P(t("screens_none", lang), className="ioc-notice", id="screens-empty")
    names = {u.code: (u.name_en if lang == "en" else u.name_vi) for u in unit_tree(session)}
    titles = _playlist_titles(lang)
    now = utcnow()
    counts = {state: sum(1 for s in rows if s.state == state) for state in STATES}
    parts = ", ".join(
        f"{fmt_number(n, lang)} {t(f'screen_state_{state}', lang).lower()}"
        for state, n in counts.items()
        if n
    )
    may_revoke = principal.can("admin")
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(f"screens_col_{k}", lang))
                for k in ("screen", "state", "seen", "slide", "version", "error", "actions")
            ]
        )
    )
    body = html.Tbody([_row(s, lang, now, names, titles, may_revoke) for s in rows])
    return html.Div(
        [
            html.P(
                t("screens_summary", lang, n=fmt_number(len(rows), lang), parts=parts), id="screens-summary"
            ),
            html.Table(className="ioc-table ioc-screens__table", id="screens-fleet", children=[head, body]),
        ]
    )


def _row(
    s: screens.ScreenInfo, lang: str, now: datetime, names: dict, titles: dict, may_revoke: bool
) -> html.Tr:
    tz = store().settings.tz
    icon, css = STATES[s.state]
    unit = names.get(s.unit_code, s.unit_code)
    seen = html.Span(t("screens_never_seen", lang), className="ioc-muted")
    if s.last_seen_at is not None:
        age = fmt_duration((now - s.last_seen_at).total_seconds(), lang)
        seen = html.Div(
            [
                html.Div(t("screens_ago", lang, age=age)),
                html.Small(fmt_datetime(s.last_seen_at, lang, tz), className="ioc-muted"),
                html.Small(f" · {s.last_address}", className="ioc-muted") if s.last_address else None,
            ]
        )
    version = "–"
    if s.app_version:
        old = s.app_version != __version__
        version = html.Div(
            [
                html.Span(s.app_version),
                html.Div(
                    ["▲ ", t("screens_version_old", lang, server=__version__)],
                    className="ioc-state ioc-state--stale ioc-screens__flag",
                )
                if old
                else None,
            ],
            **{"data-version-old": "1" if old else "0"},
        )
    error = html.Span(t("screens_no_error", lang), className="ioc-muted")
    if s.last_client_error:
        error = html.Div(
            [
                html.Div(unquote(s.last_client_error), className="ioc-screens__error"),
                html.Small(fmt_datetime(s.last_client_error_at, lang, tz), className="ioc-muted")
                if s.last_client_error_at
                else None,
            ]
        )
    actions = []
    if s.state in {"active", "silent"}:
        actions.append(
            html.Button(
                t("screens_reload_pending" if s.reload_pending else "screens_reload", lang),
                id={"type": "screen-reload", "index": s.id},
                className="ioc-button",
                disabled=s.reload_pending,
            )
        )
    if may_revoke and s.state != "revoked":
        actions.append(
            dcc.ConfirmDialogProvider(
                html.Button(t("screens_revoke", lang), className="ioc-button ioc-button--danger"),
                id={"type": "screen-revoke", "index": s.id},
                message=t("screens_revoke_confirm", lang, name=s.name),
            )
        )
    return html.Tr(
        id=f"screen-{s.id}",
        className=f"ioc-screen ioc-screen--{s.state}",
        **{"data-screen": s.name, "data-state": s.state},
        children=[
            html.Td(
                [
                    html.Strong(s.name),
                    html.Br(),
                    html.Small(
                        t(
                            "screens_playlist_scope",
                            lang,
                            playlist=titles.get(s.playlist, s.playlist),
                            unit=unit,
                        ),
                        className="ioc-muted",
                    ),
                ]
            ),
            html.Td(
                html.Span(
                    [
                        html.Span(icon, className="ioc-state__icon", **{"aria-hidden": "true"}),
                        " ",
                        t(f"screen_state_{s.state}", lang),
                    ],
                    className=f"ioc-state ioc-state--{css}",
                )
            ),
            html.Td(seen, className="ioc-screens__seen"),
            html.Td(
                html.Span(t("screens_revoked_blank", lang), className="ioc-muted")
                if s.state == "revoked"
                else _slide(s.last_slide, lang, names),
                className="ioc-screens__slide",
            ),
            html.Td(version, className="ioc-screens__version"),
            html.Td(error),
            html.Td(html.Div(actions, className="ioc-screens__actions") if actions else "–"),
        ],
    )


def slide_label(url: str, lang: str, names: dict[str, str]) -> str:
    """A slide's address in words: "/dossiers?unit=SO-01&period=mtd&kiosk=1" → "Dịch vụ công · Sở
    Tư pháp · Từ đầu tháng"."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    path = parts.path.rstrip("/") or "/"
    page_key = dict(NAV).get(path)
    words = [t(page_key, lang) if page_key else path]
    unit = query.get("unit")
    words.append(names.get(unit, unit) if unit else t("screens_whole_agency", lang))
    period = query.get("period")
    if period:
        key = f"picker_period_{period}"
        words.append(t(key, lang) if key in CATALOGUE else period)
    return " · ".join(words)


def _slide(url: str | None, lang: str, names: dict[str, str]):
    if not url:
        return "–"
    return html.Div(
        [html.Div(slide_label(url, lang, names)), html.Small(url, className="ioc-muted ioc-screens__url")]
    )


def _playlist_titles(lang: str) -> dict[str, str]:
    try:
        return {name: p.title(lang) for name, p in load_playlists(playlists_file(store().settings)).items()}
    except PlaylistError:
        return {}  # the wall page says what is wrong with the file; here the names will do


def _add_form(session, principal: Principal, lang: str) -> html.Section:
    titles = _playlist_titles(lang)
    inside = scope_codes(session, principal, "admin")
    units = [u for u in unit_tree(session) if u.code in inside]
    top = min((u.depth for u in units), default=0)
    return html.Section(
        className="ioc-screens__add",
        id="screens-add",
        children=[
            html.H3(t("screens_add_title", lang), className="ioc-section-title"),
            html.Div(
                className="ioc-controls",
                children=[
                    html.Label(
                        [
                            t("screens_add_name", lang),
                            dcc.Input(
                                id="screen-add-name",
                                type="text",
                                maxLength=120,
                                debounce=False,
                                className="ioc-input",
                            ),
                        ],
                        className="ioc-control ioc-control--wide",
                    ),
                    html.Label(
                        [
                            t("screens_add_playlist", lang),
                            dcc.Dropdown(
                                id="screen-add-playlist",
                                clearable=False,
                                searchable=False,
                                options=[
                                    {"label": f"{title} ({name})", "value": name}
                                    for name, title in titles.items()
                                ],
                                value=next(iter(titles), None),
                            ),
                        ],
                        className="ioc-control ioc-control--wide",
                    ),
                    html.Label(
                        [
                            t("screens_add_unit", lang),
                            dcc.Dropdown(
                                id="screen-add-unit",
                                clearable=False,
                                searchable=True,
                                options=[
                                    {
                                        "label": ("\u2003" * (u.depth - top))
                                        + (u.name_en if lang == "en" else u.name_vi),
                                        "value": u.code,
                                    }
                                    for u in units
                                ],
                                value=units[0].code if units else None,
                            ),
                        ],
                        className="ioc-control ioc-control--wide",
                    ),
                    html.Button(t("screens_add_submit", lang), id="screen-add", className="ioc-button"),
                ],
            ),
            html.Div(id="screen-add-result", role="status"),
        ],
    )


# --- callbacks: every one re-checks the principal and the scope on the server ---------------------------
@callback(
    Output("screens-table", "children"),
    Input("screens-refresh", "n_intervals"),
    Input("screens-acted", "data"),
    Input("screens-added", "data"),
    State("screens-lang", "data"),
    prevent_initial_call=True,
)
def refresh(_n, _acted, _added, lang):
    try:
        principal = require("screens")
    except AccessDenied:
        raise PreventUpdate from None
    with read_session() as session:
        return fleet_view(session, principal, normalise_language(lang))


@callback(
    Output("screens-message", "children"),
    Output("screens-acted", "data"),
    Input({"type": "screen-reload", "index": ALL}, "n_clicks"),
    Input({"type": "screen-revoke", "index": ALL}, "submit_n_clicks"),
    State("screens-lang", "data"),
    prevent_initial_call=True,
)
def act(_reloads, _revokes, lang):
    """Reload (``quan_tri``, ``theo_doi``) or revoke (``quan_tri``) one screen of the scope."""
    lang = normalise_language(lang)
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or not any(item.get("value") for item in dash.ctx.triggered):
        raise PreventUpdate  # buttons drawn afresh by a refresh, not a click
    revoking = trigger.get("type") == "screen-revoke"
    capability = "admin" if revoking else "screens"
    principal = current_principal()
    with store().sessions() as session, session.begin():
        target = None
        if principal is not None and principal.can(capability):
            inside = {s.id: s for s in screens.fleet(session, scope_codes(session, principal, capability))}
            target = inside.get(trigger.get("index")) if isinstance(trigger.get("index"), int) else None
        if target is None or target.state == "revoked":
            audit.record(
                session,
                "denied",
                actor=principal.actor if principal else None,
                address=client_address(),
                outcome="denied",
                action="screen_revoked" if revoking else "screen_reload",
                screen_id=str(trigger.get("index"))[:40],
            )
            return _message(t("screens_not_allowed", lang), "error"), dash.no_update
        if revoking:
            screens.revoke(session, target.name)
            audit.record(
                session,
                "screen_revoked",
                actor=principal.actor,
                address=client_address(),
                unit_code=target.unit_code,
                target=target.name,
            )
            text = t("screens_revoke_done", lang, name=target.name)
        else:
            screens.request_reload(session, target.name)
            audit.record(
                session,
                "screen_reload",
                actor=principal.actor,
                address=client_address(),
                unit_code=target.unit_code,
                target=target.name,
            )
            text = t("screens_reload_done", lang, name=target.name)
    return _message(text, "ok"), utcnow().isoformat()


@callback(
    Output("screen-add-result", "children"),
    Output("screens-added", "data"),
    Input("screen-add", "n_clicks"),
    State("screen-add-name", "value"),
    State("screen-add-playlist", "value"),
    State("screen-add-unit", "value"),
    State("screens-lang", "data"),
    prevent_initial_call=True,
)
def add(n_clicks, name, playlist, unit, lang):
    """Register a screen (``quan_tri``, a unit of its scope, a playlist of the file) and show its
    one-time enrolment address once."""
    lang = normalise_language(lang)
    if not n_clicks:
        raise PreventUpdate
    try:
        principal = require("admin")
    except AccessDenied:
        raise PreventUpdate from None
    name = (name if isinstance(name, str) else "").strip()
    settings = store().settings
    path = playlists_file(settings)
    try:
        known = load_playlists(path)
    except PlaylistError:
        known = {}
    with store().sessions() as session, session.begin():
        problem = None
        if not name or len(name) > 120:
            problem = t("screens_add_no_name", lang)
        elif not isinstance(playlist, str) or playlist not in known:
            problem = t("screens_add_no_playlist", lang, path=str(path))
        elif not isinstance(unit, str) or unit not in scope_codes(session, principal, "admin"):
            problem = t("screens_add_no_unit", lang)
        elif any(s.name == name for s in screens.fleet(session)):
            problem = t("screens_add_exists", lang, name=name)
        if problem:
            return _message(problem, "error"), dash.no_update
        screen, code = screens.add(session, name, playlist, unit, settings.screen_enrol_hours)
        audit.record(
            session,
            "screen_added",
            actor=principal.actor,
            address=client_address(),
            unit_code=unit,
            target=screen.name,
            playlist=playlist,
        )
    url = f"{request.host_url.rstrip('/')}/screens/enrol/{code}"
    return html.Div(
        className="ioc-notice ioc-screens__enrol",
        children=[
            html.P(t("screens_add_done", lang, name=name, hours=settings.screen_enrol_hours)),
            html.Code(url, id="screen-enrol-url", className="ioc-screens__enrol-url"),
        ],
    ), utcnow().isoformat()


def _message(text: str, kind: str) -> html.P:
    return html.P(text, className=f"ioc-screens__note ioc-screens__note--{kind}", id="screens-note")
