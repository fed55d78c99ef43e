"""Dịch vụ công (``/dossiers``): the public-service KPIs of a unit (or the agency) for a period,
dossiers received by channel (direct, online, postal) over time with the online share against its
target, finished dossiers early / on time / late, the dossiers open and overdue now, and the units
ranked (by default on the national-index on-time rate).

``?period=mtd&unit=SO-01&rank=DVC-06`` — every view is a URL (see ``layouts/components/pickers.py``).
"""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.domain_data import dossier_channels, trend
from dashboard.i18n import fmt_number, register, t
from layouts.components.charts import Series, empty_figure, share_figure, trend_figure
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

dash.register_page(__name__, path="/dossiers", name="Dịch vụ công", title="Dịch vụ công – IOC", order=20)

register(
    {
        "dvc_channels": {
            "vi": "Hồ sơ tiếp nhận theo kênh, theo {unit}",
            "en": "Dossiers received by channel, per {unit}",
        },
        "dvc_channels_sub": {
            "vi": "Đường: tỷ lệ hồ sơ trực tuyến (DVC-02); nét đứt: mức đạt điểm tối đa chỉ số 766. Không vẽ tỷ lệ khi dưới {n} hồ sơ.",
            "en": "Line: online intake share (DVC-02); dashed: full points of the 766 index. Not drawn under {n} dossiers.",
        },
        "dvc_channel_1": {"vi": "Trực tiếp", "en": "Direct"},
        "dvc_channel_2": {"vi": "Trực tuyến", "en": "Online"},
        "dvc_channel_3": {"vi": "Bưu chính công ích", "en": "Postal"},
        "dvc_online_share": {"vi": "Tỷ lệ trực tuyến", "en": "Online share"},
        "dvc_outcomes": {"vi": "Hồ sơ giải quyết xong theo {unit}", "en": "Dossiers finished per {unit}"},
        "dvc_outcomes_sub": {
            "vi": "So ngày kết thúc với ngày hẹn trả (biểu mẫu 06a). Đường: trước hạn + đúng hạn (DVC-07).",
            "en": "Finish day against the due day (form 06a). Line: early + on time (DVC-07).",
        },
        "dvc_early": {"vi": "Trước hạn", "en": "Early"},
        "dvc_on_time": {"vi": "Đúng hạn", "en": "On time"},
        "dvc_late": {"vi": "Quá hạn", "en": "Late"},
        "dvc_in_time_share": {"vi": "Trước và đúng hạn", "en": "Early or on time"},
        "dvc_period": {"vi": "Cơ cấu trong kỳ", "en": "The period at a glance"},
        "dvc_period_sub": {
            "vi": "Kênh tiếp nhận của hồ sơ đã tiếp nhận; kết quả của hồ sơ đã giải quyết xong",
            "en": "Channels of the dossiers received; outcome of the dossiers finished",
        },
        "dvc_received_centre": {"vi": "{n}<br>tiếp nhận", "en": "{n}<br>received"},
        "dvc_finished_centre": {"vi": "{n}<br>đã xong", "en": "{n}<br>finished"},
        "dvc_returned_note": {
            "vi": "Ngoài ra {n} hồ sơ công dân rút trong kỳ.",
            "en": "Besides, {n} dossiers were withdrawn by the applicant in the period.",
        },
        "dvc_open": {"vi": "Hồ sơ đang giải quyết", "en": "Dossiers in progress"},
        "dvc_open_now": {"vi": "Tại thời điểm hiện tại", "en": "Right now"},
        "dvc_open_at_end": {
            "vi": "Cuối kỳ (ảnh chụp số liệu cuối ngày {day})",
            "en": "At the end of the period (snapshot of {day})",
        },
        "dvc_overdue": {"vi": "Đang xử lý quá hạn", "en": "In progress, overdue"},
        "dvc_due_soon": {"vi": "Đến hạn trong 24 giờ", "en": "Due within 24 hours"},
        "dvc_in_progress": {
            "vi": "Đang xử lý (đã tiếp nhận, đang giải quyết)",
            "en": "In progress (accepted or being processed)",
        },
        "dvc_paused": {
            "vi": "Tạm dừng: chờ bổ sung giấy tờ hoặc nghĩa vụ tài chính",
            "en": "Paused: awaiting documents or payment",
        },
        "dvc_action_list": {"vi": "Danh sách hồ sơ cần xử lý →", "en": "The list of dossiers to act on →"},
    }
)


def channels_card(view: View) -> html.Section:
    lang, theme = view.lang, view.theme
    channels = dossier_channels(view.session, view.sel.unit, view.sel.period, today=view.today)
    tr, note = from_data(channels.trend, lang)
    share = trend(
        view.session, view.sel.unit, view.sel.period, kpis=("DVC-02",), today=view.today
    ).since_data(channels.trend.data_since)
    figure = view.no_data_figure("DVC-01") or trend_figure(
        tr.starts,
        [
            Series(t("dvc_channel_2", lang), tr.metrics["channel_2"], colour="c1"),
            Series(t("dvc_channel_1", lang), tr.metrics["channel_1"], colour="c2"),
            Series(t("dvc_channel_3", lang), tr.metrics["channel_3"], colour="c3"),
        ],
        [
            Series(
                t("dvc_online_share", lang),
                share.kpi_values("DVC-02", MIN_RATIO_BASE),
                unit="percent",
                colour="text",
            )
        ],
        reference=view.target("DVC-02"),
        granularity=tr.granularity,
        lang=lang,
        theme=theme,
    )
    return card(
        t("dvc_channels", lang, unit=per_bucket(tr.granularity, lang)),
        graph("dossiers-channels", figure),
        card_id="dossiers-channels-card",
        subtitle=t("dvc_channels_sub", lang, n=MIN_RATIO_BASE),
        note=note,
    )


def outcomes_card(view: View) -> html.Section:
    lang, theme = view.lang, view.theme
    metrics = ("dossier_finished_early", "dossier_finished_on_time", "dossier_finished_late")
    tr, note = from_data(
        trend(
            view.session, view.sel.unit, view.sel.period, metrics=metrics, kpis=("DVC-07",), today=view.today
        ),
        lang,
    )
    figure = view.no_data_figure("DVC-01") or trend_figure(
        tr.starts,
        [
            Series(t("dvc_early", lang), tr.metrics["dossier_finished_early"], colour="good"),
            Series(t("dvc_on_time", lang), tr.metrics["dossier_finished_on_time"], colour="accent"),
            Series(t("dvc_late", lang), tr.metrics["dossier_finished_late"], colour="bad", pattern="/"),
        ],
        [
            Series(
                t("dvc_in_time_share", lang),
                tr.kpi_values("DVC-07", MIN_RATIO_BASE),
                unit="percent",
                colour="text",
            )
        ],
        reference=view.target("DVC-07"),
        granularity=tr.granularity,
        lang=lang,
        theme=theme,
    )
    return card(
        t("dvc_outcomes", lang, unit=per_bucket(tr.granularity, lang)),
        graph("dossiers-outcomes", figure),
        card_id="dossiers-outcomes-card",
        subtitle=t("dvc_outcomes_sub", lang),
        note=note,
    )


def period_card(view: View) -> html.Section:
    lang, theme = view.lang, view.theme
    if view.no_data_figure("DVC-01") is not None:  # one sentence for the card, not two empty rings
        reason = view.tile("DVC-01").reason
        return card(
            t("dvc_period", lang),
            graph(
                "dossiers-period-empty",
                empty_figure(reason.text(lang) if reason else t("dom_no_data_chart", lang), theme=theme),
            ),
            card_id="dossiers-period-card",
            subtitle=t("dvc_period_sub", lang),
        )
    channels = dossier_channels(view.session, view.sel.unit, view.sel.period, today=view.today)
    if not channels.received:
        by_channel = empty_figure(t("dom_no_data_chart", lang), theme=theme, width=28)
    else:
        by_channel = share_figure(
            [t("dvc_channel_2", lang), t("dvc_channel_1", lang), t("dvc_channel_3", lang)],
            [channels.totals.get(2, 0), channels.totals.get(1, 0), channels.totals.get(3, 0)],
            colours=["c1", "c2", "c3"],
            centre=t("dvc_received_centre", lang, n=fmt_number(channels.received, lang)),
            lang=lang,
            theme=theme,
        )
    dvc07 = view.tile("DVC-07")
    parts = dvc07.parts
    counts = [parts[k].numerator or 0 for k in ("early", "on_time", "late")] if parts else [0, 0, 0]
    finished = sum(counts)
    if not finished:
        by_outcome = empty_figure(t("dom_no_data_chart", lang), theme=theme, width=28)
    else:
        by_outcome = share_figure(
            [t("dvc_early", lang), t("dvc_on_time", lang), t("dvc_late", lang)],
            counts,
            colours=["good", "accent", "bad"],
            patterns=[None, None, "/"],
            centre=t("dvc_finished_centre", lang, n=fmt_number(finished, lang)),
            lang=lang,
            theme=theme,
        )
    returned = parts["returned"].value if parts and parts.get("returned") else None
    return card(
        t("dvc_period", lang),
        html.Div(
            className="dom-pair",
            children=[
                graph("dossiers-channel-share", by_channel, 19),
                graph("dossiers-outcome-share", by_outcome, 19),
            ],
        ),
        html.P(t("dvc_returned_note", lang, n=fmt_number(returned, lang)), className="dom-note")
        if returned
        else None,
        card_id="dossiers-period-card",
        subtitle=t("dvc_period_sub", lang),
    )


def open_card(view: View) -> html.Section:
    lang = view.lang
    r = view.tile("DVC-08")
    period = view.sel.period
    when = (
        t("dvc_open_now", lang)
        if period.observed_end(view.today) >= view.today
        else t("dvc_open_at_end", lang, day=period.end.strftime("%d/%m/%Y"))
    )
    if r.value is None:
        body = html.P(r.reason.text(lang) if r.reason else t("no_data", lang), className="dom-note")
    else:

        def count(key: str) -> str:
            part = r.parts.get(key)
            return fmt_number(part.value, lang) if part is not None and part.value is not None else "–"

        body = html.Div(
            className="dom-stats dom-stats--two",
            children=[
                # The tile's own status (catalogue thresholds, targets.toml): panel and tile never disagree.
                stat(
                    t("dvc_overdue", lang),
                    fmt_number(r.value, lang),
                    state=r.status,
                    stat_id="dossiers-overdue",
                ),
                stat(
                    t("dvc_due_soon", lang),
                    count("due_soon"),
                    state="amber" if count("due_soon") not in ("0", "–") else "none",
                    stat_id="dossiers-due-soon",
                ),
                stat(t("dvc_in_progress", lang), count("in_progress"), stat_id="dossiers-in-progress"),
                stat(t("dvc_paused", lang), count("paused"), stat_id="dossiers-paused"),
            ],
        )
    target_unit = view.sel.unit or next(
        (code for code, label in view.labels.items() if label.parent_code is None), None
    )
    link = None
    if target_unit and not view.ctx.kiosk:
        link = dcc.Link(
            t("dvc_action_list", lang),
            href=view.ctx.href(f"/units/{target_unit}", period=period.kind),
            className="dom-link",
            id="dossiers-action-link",
        )
    return card(t("dvc_open", lang), body, link, card_id="dossiers-open-card", subtitle=when)


def sections(view: View) -> list:
    return [channels_card(view), outcomes_card(view), period_card(view), open_card(view)]


def kiosk_sections(view: View) -> list:
    """On a wall: intake, outcomes and what is open and overdue now."""
    return [channels_card(view), outcomes_card(view), open_card(view)]


SPEC = DomainSpec(
    page="dossiers",
    path="/dossiers",
    domain="dossiers",
    title_key="domain_dossiers",
    kpi_ids=(
        "DVC-01",
        "DVC-02",
        "DVC-06",
        "DVC-07",
        "DVC-08",
        "DVC-09",
        "DVC-14",
        "DVC-03",
        "DVC-04",
        "DVC-05",
        "DVC-10",
        "DVC-11",
        "DVC-12",
        "DVC-13",
    ),
    rank_kpis=(
        "DVC-06",
        "DVC-07",
        "DVC-02",
        "DVC-08",
        "DVC-09",
        "DVC-13",
        "DVC-10",
        "DVC-11",
        "DVC-12",
        "DVC-03",
        "DVC-05",
        "DVC-01",
        "DVC-14",
    ),
    sections=sections,
    tile_columns=7,
    kiosk_sections=kiosk_sections,
)
URL, layout = build(SPEC)
