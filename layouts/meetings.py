"""Họp trực tuyến (``/meetings``): the online-meeting KPIs of a unit (or the agency) for a period,
a calendar of approved meetings (day × hour), today's agenda, meetings and hours per day, endpoints
connected against scheduled with the connection success rate, and the units ranked.

``?period=mtd&unit=SO-01&rank=HOP-06`` — every view is a URL (see ``layouts/components/pickers.py``).
"""

from __future__ import annotations

from datetime import date

import dash
from babel.dates import format_date
from dash import html

from dashboard.domain_data import by_weekday, meeting_calendar, trend
from dashboard.i18n import (
    fmt_date,
    fmt_duration,
    fmt_number,
    normalise_language,
    register,
    t,
)
from dashboard.live_samples import live_samples
from dashboard.webapp import store
from layouts.components.charts import Series, heatmap_figure, trend_figure
from layouts.components.domain_page import (
    MIN_RATIO_BASE,
    DomainSpec,
    View,
    build,
    card,
    from_data,
    graph,
    per_bucket,
    stat,
)

dash.register_page(__name__, path="/meetings", name="Họp trực tuyến", title="Họp trực tuyến – IOC", order=30)

register(
    {
        "hop_calendar": {"vi": "Lịch họp theo ngày và giờ", "en": "Meetings by day and hour"},
        "hop_calendar_weekdays": {
            "vi": "Lịch họp theo thứ và giờ (cộng dồn cả kỳ)",
            "en": "Meetings by weekday and hour (whole period)",
        },
        "hop_calendar_sub": {
            "vi": "Cuộc họp được duyệt (trực tuyến và tại chỗ) theo giờ bắt đầu; ô đậm là giờ bận.",
            "en": "Approved meetings (online and on site) by starting hour; darker cells are busier hours.",
        },
        "hop_cell": {
            "vi": "{day}, {hour}:00–{next}:00: {n} cuộc họp",
            "en": "{day}, {hour}:00–{next}:00: {n} meetings",
        },
        "hop_agenda": {"vi": "Lịch họp {start} – {end}", "en": "Meetings {start} – {end}"},
        "hop_agenda_day": {"vi": "Lịch họp ngày {day}", "en": "Meetings on {day}"},
        "hop_agenda_sub": {
            "vi": "Cuộc họp đã được duyệt, theo giờ bắt đầu",
            "en": "Approved meetings by starting time",
        },
        "hop_agenda_none": {
            "vi": "Không có cuộc họp nào được duyệt trong những ngày này.",
            "en": "No approved meeting on these days.",
        },
        "hop_agenda_more": {"vi": "… và {n} cuộc họp khác", "en": "… and {n} more meetings"},
        "hop_today": {"vi": "Hôm nay", "en": "Today"},
        "hop_endpoints_planned": {
            "vi": "{scheduled} điểm cầu dự kiến",
            "en": "{scheduled} endpoints planned",
        },
        "hop_endpoints_of": {
            "vi": "{connected}/{scheduled} điểm cầu",
            "en": "{connected}/{scheduled} endpoints",
        },
        "hop_endpoints_only": {"vi": "{connected} điểm cầu", "en": "{connected} endpoints"},
        "hop_on_site": {"vi": "Họp tại chỗ", "en": "On site"},
        "hop_people": {"vi": "{n} người", "en": "{n} people"},
        "hop_live": {"vi": "đang họp", "en": "live"},
        "hop_untitled": {"vi": "(không có tiêu đề)", "en": "(untitled)"},
        "hop_activity": {
            "vi": "Cuộc họp trực tuyến và giờ họp theo {unit}",
            "en": "Online meetings and hours per {unit}",
        },
        "hop_activity_sub": {
            "vi": "Cột: số cuộc họp (HOP-01); đường: giờ họp (HOP-05)",
            "en": "Bars: meetings (HOP-01); line: meeting hours (HOP-05)",
        },
        "hop_meetings": {"vi": "Cuộc họp trực tuyến", "en": "Online meetings"},
        "hop_hours": {"vi": "Giờ họp", "en": "Meeting hours"},
        "hop_endpoints": {
            "vi": "Điểm cầu kết nối so với dự kiến theo {unit}",
            "en": "Endpoints connected against scheduled per {unit}",
        },
        "hop_endpoints_sub": {
            "vi": "Đường: tỷ lệ kết nối thành công (HOP-06); không vẽ khi dưới {n} điểm cầu dự kiến.",
            "en": "Line: connection success (HOP-06); not drawn under {n} scheduled endpoints.",
        },
        "hop_scheduled": {"vi": "Dự kiến", "en": "Scheduled"},
        "hop_connected": {"vi": "Đã kết nối", "en": "Connected"},
        "hop_success": {"vi": "Kết nối thành công", "en": "Connection success"},
        "hop_live_now": {"vi": "Đang diễn ra", "en": "Live now"},
        "hop_live_sub": {
            "vi": "Số liệu trực tiếp từ máy chủ họp, toàn cơ quan",
            "en": "Live figures from the meeting servers, whole agency",
        },
        "hop_live_meetings": {"vi": "{source}: cuộc họp đang diễn ra", "en": "{source}: meetings running"},
        "hop_live_people": {"vi": "{source}: người đang tham dự", "en": "{source}: participants now"},
        "hop_live_age": {"vi": "cập nhật {age} trước", "en": "updated {age} ago"},
        "hop_live_stale": {"vi": "Số liệu cũ: lần cuối {age} trước", "en": "Stale: last sample {age} ago"},
    }
)

#: Meetings a wall's agenda lists (the rest are counted): what fits its third of a 1080p screen.
KIOSK_AGENDA = 7
#: Meeting platforms by their product names (the sources' ids are lower-case codes).
PLATFORM_NAMES = {
    "bigbluebutton": "BigBlueButton",
    "bbb": "BigBlueButton",
    "jitsi": "Jitsi Meet",
    "trueconf": "TrueConf",
    "zoom": "Zoom",
    "webex": "Webex",
    "teams": "Microsoft Teams",
}


def source_label(name: str) -> str:
    """A meeting server as people call it ("BigBlueButton"), not its source id ("mo-phong-bbb")."""
    adapter = next((s.adapter for s in store().sources if s.name == name), None)
    return PLATFORM_NAMES.get(adapter or "", name)


#: Periods longer than this fold the calendar onto weekdays (a column per day would be too thin).
CALENDAR_MAX_DAYS = 31


def _locale(lang: str) -> str:
    return "vi_VN" if normalise_language(lang) == "vi" else "en_US"


def day_label(day: date, lang: str) -> str:
    """ "Th 2<br>16" (vi) or "Mon<br>16" (en): a calendar column (the month is in the page's period)."""
    return format_date(day, "EEE'<br>'d", locale=_locale(lang))


def weekday_label(weekday: int, lang: str) -> str:
    return format_date(date(2024, 1, 1 + weekday), "EEEE", locale=_locale(lang))  # 1/1/2024 was a Monday


def calendar_card(view: View) -> html.Section:
    lang, theme = view.lang, view.theme
    cal = meeting_calendar(view.session, view.sel.unit, view.sel.period, today=view.today)
    hours = list(cal.hours)
    y = [f"{h:02d}:00" for h in hours]
    if len(cal.days) <= CALENDAR_MAX_DAYS:
        title = t("hop_calendar", lang)
        columns = list(cal.days)
        x = [day_label(d, lang) for d in columns]
        value = {(d, h): n for (d, h), n in cal.counts.items()}
        names = [
            format_date(d, "EEEE dd/MM/yyyy" if lang == "vi" else "EEEE d MMM yyyy", locale=_locale(lang))
            for d in columns
        ]
    else:
        title = t("hop_calendar_weekdays", lang)
        columns = list(range(7))
        x = [weekday_label(w, lang) for w in columns]
        value = by_weekday(cal.counts)
        names = x
    z = [[value.get((c, h), 0) for c in columns] for h in hours]
    hover = [
        [
            t(
                "hop_cell",
                lang,
                day=names[i],
                hour=f"{h:02d}",
                next=f"{h + 1:02d}",
                n=fmt_number(value.get((c, h), 0), lang),
            )
            for i, c in enumerate(columns)
        ]
        for h in hours
    ]
    figure = view.no_data_figure("HOP-01") or heatmap_figure(x, y, z, hover=hover, lang=lang, theme=theme)
    return card(
        title,
        graph("meetings-calendar", figure, 24),
        card_id="meetings-calendar-card",
        subtitle=t("hop_calendar_sub", lang),
    )


def _agenda_item(view: View, m, now) -> html.Li:
    lang = view.lang
    when = m.start.strftime("%H:%M") + (f"–{m.end.strftime('%H:%M')}" if m.end else "")
    live = m.start <= now and (m.end is None or m.end > now) and m.start.date() == now.date()
    meta = []
    if not m.online:
        meta.append(t("hop_on_site", lang))
    elif m.endpoints_connected is not None and m.endpoints_scheduled and m.start <= now:
        meta.append(
            t(
                "hop_endpoints_of",
                lang,
                connected=fmt_number(m.endpoints_connected, lang),
                scheduled=fmt_number(m.endpoints_scheduled, lang),
            )
        )
    elif m.endpoints_scheduled:
        meta.append(t("hop_endpoints_planned", lang, scheduled=fmt_number(m.endpoints_scheduled, lang)))
    if m.participants:
        meta.append(t("hop_people", lang, n=fmt_number(m.participants, lang)))
    if m.platform:
        meta.append(PLATFORM_NAMES.get(m.platform.lower(), m.platform))
    label = view.labels.get(m.unit_code)
    return html.Li(
        className="dom-agenda__item" + (" dom-agenda__item--live" if live else ""),
        children=[
            html.Span(
                [when, html.Br(), html.Small(f"● {t('hop_live', lang)}")] if live else when,
                className="dom-agenda__time",
            ),
            html.Div(
                [
                    html.Div(
                        m.title or t("hop_untitled", lang), className="dom-agenda__title", title=m.title or ""
                    ),
                    html.Div(label.short(lang) if label else m.unit_code, className="dom-agenda__meta"),
                ]
            ),
            html.Span(" · ".join(meta), className="dom-agenda__meta"),
        ],
    )


def agenda_card(view: View) -> html.Section:
    """Today's and the coming days' approved meetings, by day (a past period: its last day)."""
    lang = view.lang
    cal = meeting_calendar(view.session, view.sel.unit, view.sel.period, today=view.today)
    now = view.now.astimezone(view.tz)
    children = []
    current = None
    agenda, more = list(cal.agenda), cal.agenda_more
    if view.ctx.kiosk and len(agenda) > KIOSK_AGENDA:  # a wall shows what fits and says how many more
        agenda, more = agenda[:KIOSK_AGENDA], more + len(agenda) - KIOSK_AGENDA
    for m in agenda:
        if m.start.date() != current:
            current = m.start.date()
            name = (
                t("hop_today", lang)
                if current == view.today
                else format_date(
                    current, "EEEE, dd/MM/yyyy" if lang == "vi" else "EEEE d MMM yyyy", locale=_locale(lang)
                )
            )
            children.append(html.Li(name, className="dom-agenda__day"))
        children.append(_agenda_item(view, m, now))
    if more:
        children.append(
            html.Li(t("hop_agenda_more", lang, n=fmt_number(more, lang)), className="dom-agenda__day")
        )
    no_source = view.tile("HOP-01").reason if view.tile("HOP-01").value is None else None
    if children:
        body = html.Ul(children, className="dom-agenda", id="meetings-agenda")
    else:
        body = html.P(
            no_source.text(lang) if no_source else t("hop_agenda_none", lang),
            className="dom-note",
            id="meetings-agenda",
        )
    if cal.agenda_from == cal.agenda_to:
        title = t("hop_agenda_day", lang, day=fmt_date(cal.agenda_from, lang))
    else:
        title = t(
            "hop_agenda", lang, start=fmt_date(cal.agenda_from, lang), end=fmt_date(cal.agenda_to, lang)
        )
    return card(title, body, card_id="meetings-agenda-card", subtitle=t("hop_agenda_sub", lang))


def activity_card(view: View) -> html.Section:
    lang, theme = view.lang, view.theme
    tr, note = from_data(
        trend(
            view.session,
            view.sel.unit,
            view.sel.period,
            metrics=("meeting_online", "meeting_minutes"),
            today=view.today,
        ),
        lang,
    )
    figure = view.no_data_figure("HOP-01") or trend_figure(
        tr.starts,
        [Series(t("hop_meetings", lang), tr.metrics["meeting_online"], colour="c1")],
        [
            Series(
                t("hop_hours", lang),
                [m / 60 for m in tr.metrics["meeting_minutes"]],
                unit="hours",
                colour="c2",
            )
        ],
        granularity=tr.granularity,
        lang=lang,
        theme=theme,
    )
    return card(
        t("hop_activity", lang, unit=per_bucket(tr.granularity, lang)),
        graph("meetings-activity", figure),
        card_id="meetings-activity-card",
        subtitle=t("hop_activity_sub", lang),
        note=note,
    )


def endpoints_card(view: View) -> html.Section:
    lang, theme = view.lang, view.theme
    tr, note = from_data(
        trend(
            view.session,
            view.sel.unit,
            view.sel.period,
            metrics=("meeting_connection_scheduled", "meeting_connection_connected"),
            kpis=("HOP-06",),
            today=view.today,
        ),
        lang,
    )
    figure = view.no_data_figure("HOP-01") or trend_figure(
        tr.starts,
        [
            Series(t("hop_scheduled", lang), tr.metrics["meeting_connection_scheduled"], colour="muted"),
            Series(t("hop_connected", lang), tr.metrics["meeting_connection_connected"], colour="c1"),
        ],
        [
            Series(
                t("hop_success", lang), tr.kpi_values("HOP-06", MIN_RATIO_BASE), unit="percent", colour="text"
            )
        ],
        reference=view.target("HOP-06"),
        granularity=tr.granularity,
        stacked=False,
        lang=lang,
        theme=theme,
    )
    return card(
        t("hop_endpoints", lang, unit=per_bucket(tr.granularity, lang)),
        graph("meetings-endpoints", figure),
        card_id="meetings-endpoints-card",
        subtitle=t("hop_endpoints_sub", lang, n=MIN_RATIO_BASE),
        note=note,
    )


def live_strip(view: View) -> html.Section | None:
    """ "Đang diễn ra": the latest sample of each meeting server; None when no server reports.

    A sample older than 3 × its source's interval is shown as stale (no figure), never as "now".
    """
    lang = view.lang
    samples = live_samples(view.session, store().sources, view.now)
    if not samples:
        return None
    items = []
    for s in samples:
        age = fmt_duration(s.age_s, lang)
        label = source_label(s.source)
        if s.stale:
            note = t("hop_live_stale", lang, age=age)
            items += [
                stat(
                    t("hop_live_meetings", lang, source=label),
                    "–",
                    stat_id=f"meetings-live-{s.source}-running",
                    note=note,
                ),
                stat(
                    t("hop_live_people", lang, source=label), "–", stat_id=f"meetings-live-{s.source}-people"
                ),
            ]
        else:
            note = t("hop_live_age", lang, age=age)
            items += [
                stat(
                    t("hop_live_meetings", lang, source=label),
                    fmt_number(s.meetings_running, lang),
                    stat_id=f"meetings-live-{s.source}-running",
                    note=note,
                ),
                stat(
                    t("hop_live_people", lang, source=label),
                    fmt_number(s.participants, lang),
                    stat_id=f"meetings-live-{s.source}-people",
                ),
            ]
    return card(
        t("hop_live_now", lang),
        html.Div(items, className="dom-stats"),
        card_id="meetings-live",
        subtitle=t("hop_live_sub", lang),
        wide=True,
    )


def sections(view: View) -> list:
    live = live_strip(view)
    return [
        *([live] if live is not None else []),
        calendar_card(view),
        agenda_card(view),
        activity_card(view),
        endpoints_card(view),
    ]


def kiosk_sections(view: View) -> list:
    """On a wall: what is live now (or the week's calendar), today's agenda, the activity trend."""
    live = live_strip(view)
    return [live if live is not None else calendar_card(view), agenda_card(view), activity_card(view)]


SPEC = DomainSpec(
    page="meetings",
    path="/meetings",
    domain="meetings",
    title_key="domain_meetings",
    kpi_ids=("HOP-01", "HOP-02", "HOP-03", "HOP-04", "HOP-05", "HOP-06", "HOP-07"),
    rank_kpis=("HOP-01", "HOP-06", "HOP-02", "HOP-03", "HOP-04", "HOP-05"),
    sections=sections,
    tile_columns=7,
    kiosk_sections=kiosk_sections,
)
URL, layout = build(SPEC)
