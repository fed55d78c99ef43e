"""Playlists for wall screens (``/wall?playlist=NAME``): pages rotate, each with its unit, period
and dwell time, as configured in ``playlists.toml`` (:mod:`dashboard.playlists`).

The page itself is a still frame; ``assets/wall.js`` loads each slide in kiosk mode in one of two
iframes, shows it once it has rendered, and keeps the previous slide on screen while the next
one cannot be loaded (server restarting, network blip). It reloads itself once a day to pick up
configuration and code changes. A missing or wrong playlist gives a page that says so in plain
words and lists the playlists there are — never an error.
"""

from __future__ import annotations

import json
import logging

import dash
from dash import dcc, html

from dashboard.access import UnitOption, current_principal, may_see_page, unit_exists, visible_units
from dashboard.i18n import fmt_duration, fmt_number, register, t
from dashboard.playlists import Playlist, PlaylistError, Problem, load_playlists, playlists_file
from dashboard.queries import ranking, store_summary
from dashboard.webapp import read_session, store
from layouts.components.frame import PageContext, context, page
from layouts.components.wall_parts import DEFAULT_PERIOD, peer_group, weakest

dash.register_page(__name__, path="/wall", name="Trình chiếu", title="Trình chiếu – IOC", order=90)
log = logging.getLogger(__name__)

register(
    {
        "wall_playlist_choose": {"vi": "Chọn danh sách trình chiếu", "en": "Choose a playlist"},
        "wall_playlist_unknown": {
            "vi": "Không có danh sách trình chiếu '{name}'",
            "en": "There is no playlist '{name}'",
        },
        "wall_playlist_available": {
            "vi": "Các danh sách trình chiếu hiện có:",
            "en": "The playlists there are:",
        },
        "wall_playlist_summary": {
            "vi": "{n} trang chiếu, {duration} một vòng",
            "en": "{n} slides, {duration} per round",
        },
        "wall_playlist_file": {"vi": "Cấu hình trong tệp {path}", "en": "Configured in {path}"},
        "wall_playlist_hint": {
            "vi": "Mở trên màn hình tường: /wall?playlist=TÊN — thanh điều hướng và con trỏ chuột tự ẩn.",
            "en": "Open on a wall screen: /wall?playlist=NAME — navigation and the mouse pointer are hidden.",
        },
        "wall_playlist_invalid": {
            "vi": "Tệp danh sách trình chiếu có lỗi",
            "en": "The playlist file has errors",
        },
        "wall_playlist_fix": {
            "vi": "Sửa tệp theo các lỗi dưới đây. Màn hình này tự thử lại mỗi phút.",
            "en": "Fix the file as listed below. This screen tries again every minute.",
        },
        "wall_playlist_no_slide": {
            "vi": "Danh sách '{name}' không còn trang chiếu nào hiển thị được.",
            "en": "No slide of playlist '{name}' can be shown.",
        },
    }
)

#: A screen showing a problem tries again this often (the file may have been fixed).
RETRY_S = 60


def layout(**query) -> html.Div:
    ctx = context(query)
    path = playlists_file(store().settings)
    try:
        playlists = load_playlists(path)
    except PlaylistError as exc:
        return _problems_page(ctx, t("wall_playlist_invalid", ctx.lang), exc.problems, str(path))
    name = query.get("playlist")
    if not name or name not in playlists:
        return _chooser(ctx, playlists, name, str(path))
    playlist = playlists[name]
    with read_session() as session:
        units = visible_units(session)
        slides, problems = _resolve(session, playlist, units, ctx, query.get("theme"))
    if problems:
        return _problems_page(ctx, t("wall_playlist_invalid", ctx.lang), problems, str(path))
    if not slides:
        return _problems_page(ctx, t("wall_playlist_no_slide", ctx.lang, name=name), [], str(path))
    return html.Div(
        id="wall-playlist",
        className=f"ioc-playlist ioc-kiosk ioc-theme-{ctx.theme}",
        lang=ctx.lang,
        **{"data-playlist": name, "data-title": playlist.title(ctx.lang), "data-slides": json.dumps(slides)},
        children=[
            html.Div(className="ioc-playlist__stage"),  # wall.js puts the two iframes here
            html.Div(id="wall-playlist-progress", className="ioc-playlist__progress"),
            html.Div(
                t("connection_lost", ctx.lang),
                id="wall-connection",
                className="ioc-connection",
                role="status",
            ),
        ],
    )


def _resolve(session, playlist: Playlist, units: list[UnitOption], ctx: PageContext, theme: str | None):
    """Each slide's address; "weakest:KPI" becomes today's weakest unit, units must be visible."""
    visible = {u.code for u in units}
    slides, problems = [], []
    principal = current_principal()
    for number, slide in enumerate(playlist.slides, start=1):
        unit = slide.unit
        if not may_see_page(principal, slide.page):
            # A page outside the role (a screen may not open /sources): skipped, never an error page.
            log.info(
                "playlist %s, slide %d: %s may not open %s; slide skipped",
                playlist.name,
                number,
                getattr(principal, "actor", "?"),
                slide.page,
            )
            continue
        if slide.weakest_kpi:
            members, where = peer_group(units, None)
            rows = (
                ranking(session, slide.weakest_kpi, slide.period or DEFAULT_PERIOD, **where)
                if members
                else ()
            )
            worst = weakest(slide.weakest_kpi, [r for r in rows if r.code in visible])
            if not worst:
                log.info(
                    "playlist %s, slide %d: no unit is weak on %s; slide skipped",
                    playlist.name,
                    number,
                    slide.weakest_kpi,
                )
                continue  # nobody is weak on it today: nothing to show
            unit = worst[0].code
        elif unit is not None and unit not in visible and unit_exists(session, unit):
            # Outside this screen's (or person's) scope: not shown, and not named on the page.
            log.info(
                "playlist %s, slide %d: unit outside the scope of %s; slide skipped",
                playlist.name,
                number,
                getattr(principal, "actor", "?"),
            )
            continue
        elif unit is not None and unit not in visible:
            problems.append(
                Problem(
                    f"danh sách '{playlist.name}', trang chiếu {number}, trường 'unit': không có đơn vị mã '{unit}' "
                    "hoặc đơn vị này không thuộc phạm vi được xem",
                    f"playlist '{playlist.name}', slide {number}, field 'unit': there is no unit '{unit}' or it is not visible",
                )
            )
            continue
        slides.append(
            {
                "url": slide.url(unit=unit, lang=ctx.lang, theme=theme),
                "dwell": slide.dwell_s,
                "unit": unit or "",
            }
        )
    return slides, problems


def _simulated() -> bool:
    with read_session() as session:
        return store_summary(session).simulated_units > 0


def _chooser(ctx: PageContext, playlists: dict[str, Playlist], unknown: str | None, path: str) -> html.Div:
    lang = ctx.lang
    items = []
    for name, playlist in playlists.items():
        round_s = sum(s.dwell_s for s in playlist.slides)
        items.append(
            html.Li(
                [
                    dcc.Link(
                        playlist.title(lang), href=ctx.href("/wall", playlist=name), id=f"playlist-{name}"
                    ),
                    html.Span(
                        f" — {t('wall_playlist_summary', lang, n=fmt_number(len(playlist.slides), lang), duration=fmt_duration(round_s, lang))} "
                    ),
                    html.Code(f"playlist={name}"),
                ]
            )
        )
    title = t("wall_playlist_unknown", lang, name=unknown) if unknown else t("wall_playlist_choose", lang)
    return page(
        [
            html.Div(
                id="wall-playlist-unknown" if unknown else "wall-playlist-chooser",
                className="ioc-notice ioc-playlists",
                **({"data-reload-after": str(RETRY_S)} if unknown else {}),
                children=[
                    html.H2(title),
                    html.P(t("wall_playlist_available", lang)),
                    html.Ul(items, id="wall-playlist-list"),
                    html.P(t("wall_playlist_hint", lang), className="ioc-muted"),
                    html.P(t("wall_playlist_file", lang, path=path), className="ioc-muted"),
                ],
            )
        ],
        ctx=ctx,
        active="/wall",
        simulated=_simulated(),
    )


def _problems_page(ctx: PageContext, title: str, problems: list[Problem], path: str) -> html.Div:
    lang = ctx.lang
    return page(
        [
            html.Div(
                id="wall-playlist-problems",
                className="ioc-notice ioc-problems",
                **{"data-reload-after": str(RETRY_S)},
                children=[
                    html.H2(title),
                    html.P(t("wall_playlist_file", lang, path=path), className="ioc-muted"),
                    html.P(t("wall_playlist_fix", lang)) if problems else None,
                    html.Ul([html.Li(p.text(lang)) for p in problems]) if problems else None,
                ],
            )
        ],
        ctx=ctx,
        active="/wall",
        simulated=_simulated(),
    )
