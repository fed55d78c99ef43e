"""Văn bản (``/documents``): the document KPIs of a unit (or the agency) for a period, volumes in,
out and internal over time, the electronic and signed shares against their target, the national
document axis as a funnel of edXML statuses, and the units ranked.

``?period=mtd&unit=SO-01&rank=VB-09`` — every view is a URL (see ``layouts/components/pickers.py``).
"""

from __future__ import annotations

import dash
from dash import html

from dashboard.domain_data import UNKNOWN_STATUS, axis_funnel, funnel_stages, trend
from dashboard.i18n import fmt_number, register, t
from layouts.components.charts import Series, empty_figure, funnel_figure, trend_figure
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

dash.register_page(__name__, path="/documents", name="Văn bản", title="Văn bản – IOC", order=10)

register(
    {
        "vb_volumes": {
            "vi": "Văn bản đến, đi, nội bộ theo {unit}",
            "en": "Documents in, out and internal per {unit}",
        },
        "vb_volumes_total": {
            "vi": "Trong kỳ: {in_} đến · {out} đi · {internal} nội bộ",
            "en": "In the period: {in_} in · {out} out · {internal} internal",
        },
        "vb_in": {"vi": "Đến", "en": "In"},
        "vb_out": {"vi": "Đi", "en": "Out"},
        "vb_internal": {"vi": "Nội bộ", "en": "Internal"},
        "vb_shares": {
            "vi": "Tỷ lệ điện tử và ký số theo {unit}",
            "en": "Electronic and signed shares per {unit}",
        },
        "vb_shares_sub": {
            "vi": "Nét đứt: mục tiêu Chính phủ điện tử. Không vẽ tỷ lệ khi dưới {n} văn bản.",
            "en": "Dashed: the e-government target. A ratio resting on fewer than {n} documents is not drawn.",
        },
        "vb_share_electronic": {"vi": "Trao đổi điện tử (VB-02)", "en": "Exchanged electronically (VB-02)"},
        "vb_share_signed_internal": {"vi": "Ký số nội bộ (VB-03)", "en": "Signed, internal (VB-03)"},
        "vb_share_signed_axis": {"vi": "Ký số trên trục (VB-03)", "en": "Signed, on the axis (VB-03)"},
        "vb_axis": {"vi": "Trục liên thông văn bản quốc gia", "en": "National document axis"},
        "vb_axis_sub": {
            "vi": "Văn bản trong kỳ theo trạng thái hiện tại trên trục: văn bản gửi đi (trạng thái ở bên nhận) và nhận về",
            "en": "Documents of the period by their current status on the axis: sent (the recipient's status) and received",
        },
        "vb_axis_sent": {"vi": "Gửi đi", "en": "Sent"},
        "vb_axis_received": {"vi": "Nhận về", "en": "Received"},
        "vb_stage_01": {"vi": "Đã đến", "en": "Arrived"},
        "vb_stage_03": {"vi": "Đã tiếp nhận", "en": "Accepted"},
        "vb_stage_04": {"vi": "Phân công", "en": "Assigned"},
        "vb_stage_05": {"vi": "Đang xử lý", "en": "In progress"},
        "vb_stage_06": {"vi": "Hoàn thành", "en": "Done"},
        "vb_returned": {"vi": "Bị từ chối tiếp nhận (gửi đi / nhận về)", "en": "Rejected (sent / received)"},
        "vb_recalled": {"vi": "Bị thu hồi (gửi đi / nhận về)", "en": "Recalled (sent / received)"},
        "vb_awaiting": {
            "vi": "Văn bản đến đang chờ tiếp nhận, hiện tại",
            "en": "Received documents awaiting acceptance, now",
        },
        "vb_undated": {
            "vi": "{n} văn bản đến qua trục chưa đăng ký và nguồn không cho biết thời điểm đến: không xếp được vào kỳ nào.",
            "en": "{n} documents received over the axis were never registered and the source gives no arrival time: "
            "they belong to no period.",
        },
        "vb_unknown_status": {
            "vi": "{n} văn bản trên trục không có trạng thái.",
            "en": "{n} documents on the axis carry no status.",
        },
    }
)


def volumes_card(view: View) -> html.Section:
    lang, theme = view.lang, view.theme
    tr, note = from_data(
        trend(
            view.session,
            view.sel.unit,
            view.sel.period,
            metrics=("doc_in", "doc_out", "doc_internal"),
            today=view.today,
        ),
        lang,
    )
    vb01 = view.tile("VB-01")
    figure, subtitle = view.no_data_figure("VB-01"), None
    if figure is None:
        figure = trend_figure(
            tr.starts,
            [
                Series(t("vb_in", lang), tr.metrics["doc_in"], colour="c1"),
                Series(t("vb_out", lang), tr.metrics["doc_out"], colour="c2"),
                Series(t("vb_internal", lang), tr.metrics["doc_internal"], colour="c3"),
            ],
            granularity=tr.granularity,
            lang=lang,
            theme=theme,
        )
        parts = vb01.parts
        subtitle = t(
            "vb_volumes_total",
            lang,
            in_=fmt_number(parts["in"].value, lang),
            out=fmt_number(parts["out"].value, lang),
            internal=fmt_number(parts["internal"].value, lang),
        )
    return card(
        t("vb_volumes", lang, unit=per_bucket(tr.granularity, lang)),
        graph("documents-volumes", figure),
        card_id="documents-volumes-card",
        subtitle=subtitle,
        note=note,
    )


def shares_card(view: View) -> html.Section:
    lang, theme = view.lang, view.theme
    tr, note = from_data(
        trend(
            view.session,
            view.sel.unit,
            view.sel.period,
            kpis=("VB-02", "VB-03", "VB-03.axis"),
            today=view.today,
        ),
        lang,
    )
    lines = [
        Series(
            t("vb_share_electronic", lang),
            tr.kpi_values("VB-02", MIN_RATIO_BASE),
            unit="percent",
            colour="c1",
        ),
        Series(
            t("vb_share_signed_internal", lang),
            tr.kpi_values("VB-03", MIN_RATIO_BASE),
            unit="percent",
            colour="c3",
        ),
        Series(
            t("vb_share_signed_axis", lang),
            tr.kpi_values("VB-03.axis", MIN_RATIO_BASE),
            unit="percent",
            colour="c4",
            dash="dot",
        ),
    ]
    figure = view.no_data_figure("VB-01")
    if figure is None and all(v is None for s in lines for v in s.values):
        figure = empty_figure(t("dom_no_data_chart", lang), theme=theme)
    elif figure is None:
        figure = trend_figure(
            tr.starts,
            lines=lines,
            reference=view.target("VB-02"),
            granularity=tr.granularity,
            lang=lang,
            theme=theme,
        )
    return card(
        t("vb_shares", lang, unit=per_bucket(tr.granularity, lang)),
        graph("documents-shares", figure),
        card_id="documents-shares-card",
        subtitle=t("vb_shares_sub", lang, n=MIN_RATIO_BASE),
        note=note,
    )


def axis_card(view: View) -> html.Section:
    lang, theme = view.lang, view.theme
    figure = view.no_data_figure("VB-01")
    if figure is not None:  # no document source yet: say so once, no zeros
        return card(
            t("vb_axis", lang),
            graph("documents-axis", figure, 20),
            card_id="documents-axis-card",
            subtitle=t("vb_axis_sub", lang),
        )
    funnel = axis_funnel(view.session, view.sel.unit, view.sel.period, today=view.today)
    sent, received = funnel_stages(funnel.sent), funnel_stages(funnel.received)
    labels = [t(f"vb_stage_{code}", lang) for code, _ in sent]
    if not sent[0][1] and not received[0][1]:
        figure = empty_figure(t("dom_no_data_chart", lang), theme=theme)
    else:
        figure = funnel_figure(
            labels,
            [
                Series(t("vb_axis_sent", lang), [n for _, n in sent], colour="c2"),
                Series(t("vb_axis_received", lang), [n for _, n in received], colour="c1"),
            ],
            lang=lang,
            theme=theme,
        )

    def pair(code: str) -> str:
        return (
            f"{fmt_number(funnel.sent.get(code, 0), lang)} / {fmt_number(funnel.received.get(code, 0), lang)}"
        )

    returned = funnel.sent.get("02", 0) + funnel.received.get("02", 0)
    recalled = funnel.sent.get("13", 0) + funnel.received.get("13", 0)
    stats = html.Div(
        className="dom-stats",
        children=[
            stat(
                t("vb_returned", lang),
                pair("02"),
                state="amber" if returned else "none",
                stat_id="documents-returned",
            ),
            stat(
                t("vb_recalled", lang),
                pair("13"),
                state="amber" if recalled else "none",
                stat_id="documents-recalled",
            ),
            stat(t("vb_awaiting", lang), fmt_number(funnel.awaiting_now, lang), stat_id="documents-awaiting"),
        ],
    )
    notes = []
    if funnel.undated:
        notes.append(html.P(t("vb_undated", lang, n=fmt_number(funnel.undated, lang)), className="dom-note"))
    unknown = funnel.sent.get(UNKNOWN_STATUS, 0) + funnel.received.get(UNKNOWN_STATUS, 0)
    if unknown:
        notes.append(html.P(t("vb_unknown_status", lang, n=fmt_number(unknown, lang)), className="dom-note"))
    return card(
        t("vb_axis", lang),
        graph("documents-axis", figure, 20),
        stats,
        *notes,
        card_id="documents-axis-card",
        subtitle=t("vb_axis_sub", lang),
    )


def sections(view: View) -> list:
    return [volumes_card(view), shares_card(view), axis_card(view)]


SPEC = DomainSpec(
    page="documents",
    path="/documents",
    domain="documents",
    title_key="domain_documents",
    kpi_ids=("VB-01", "VB-02", "VB-03", "VB-04", "VB-05", "VB-06", "VB-07", "VB-08", "VB-09"),
    rank_kpis=("VB-09", "VB-02", "VB-03", "VB-04", "VB-05", "VB-06", "VB-07", "VB-08", "VB-01"),
    sections=sections,
    tile_columns=5,
    ranking_wide=False,
)
URL, layout = build(SPEC)
