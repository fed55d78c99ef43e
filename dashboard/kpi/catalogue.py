"""The KPI catalogue (domain.md §2): every KPI defined once — names in Vietnamese and English,
domain, unit, direction, basis, definition text, default target and thresholds, and the formula
as a plain function of its inputs.

A formula receives an :class:`Inputs` mapping and returns an :class:`Outcome`. Input keys:

- a rollup metric name (``dossier_received`` …): its sum over the period's days (0 when absent);
- ``has:<metric>``: whether any fact in the store ever counted in that metric — how we tell
  "the source does not provide this field" (no value) from "there were none" (0);
- ``facts:documents`` / ``facts:dossiers`` / ``facts:meetings``: the store holds facts of the domain;
- ``end:dossier_open`` / ``end:dossier_late``: dossiers open (and late) at the end of the period;
- ``state:…``: point-in-time values (now, or the end-of-day snapshot for a past period);
  ``state:reason`` says why they are missing;
- ``vb04:on_time`` / ``vb04:late`` / ``vb04:pending``: registration on time (working days);
- ``cat:…``: the procedure catalogue of the scope; ``used:…``: services used in the period;
- ``units:…``, ``meetings:distinct_endpoints``: per-unit participation and distinct endpoints.

Percentages are fractions (0.5347 is shown "53,47 %"); rounding is the page's job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dashboard import service_index
from dashboard.kpi.maths import count, median_from_histogram, ratio
from dashboard.kpi.values import (
    NO_CATALOGUE,
    Figure,
    Outcome,
    Reason,
    empty_denominator,
    field_not_provided,
    no_facts,
)
from dashboard.rollups import ACK_LATENCY_EDGES_MIN, ACK_LATENCY_METRICS, ARRIVAL_LAG_METRICS, METRICS_BY_NAME

DOMAINS = ("documents", "dossiers", "meetings", "petitions", "tasks")
UNITS = ("count", "percent", "days", "hours", "points")
DIRECTIONS = ("up", "down", None)
BASES = ("official", "practice", "ours")
BASIS_LABELS = {
    "official": ("Chính thức", "Official"),
    "practice": ("Thực tiễn triển khai", "Common practice"),
    "ours": ("Định nghĩa của IOC", "IOC definition"),
}
_DOMAIN_WORDS = {
    "documents": ("văn bản", "documents"),
    "dossiers": ("hồ sơ thủ tục hành chính", "public-service dossiers"),
    "meetings": ("cuộc họp", "meetings"),
    "petitions": ("phản ánh, kiến nghị", "citizens' petitions"),
    "tasks": ("nhiệm vụ được giao", "assigned tasks"),
}


class Inputs(dict):
    """The inputs of a formula: a missing rollup metric sums to 0; any other missing key is a
    bug (an input the engine was not asked for) and raises KeyError."""

    def __missing__(self, key: str) -> Any:
        if key in METRICS_BY_NAME:
            return 0.0
        raise KeyError(key)


@dataclass(frozen=True)
class PartDef:
    key: str
    name_vi: str
    name_en: str
    unit: str

    def name(self, lang: str = "vi") -> str:
        return self.name_en if lang == "en" else self.name_vi


@dataclass(frozen=True)
class Thresholds:
    """A reference line (``target``) and the red/amber/green limits of a KPI's headline value."""

    target: float | None = None
    green: float | None = None
    amber: float | None = None


@dataclass(frozen=True)
class KpiDef:
    id: str
    name_vi: str
    name_en: str
    domain: str
    unit: str
    direction: str | None  # "up": higher is better; "down": lower is better; None: neither
    basis: str  # official / practice / ours
    definition_vi: str
    definition_en: str
    reference: str
    formula: Callable[[Mapping[str, Any]], Outcome]
    metrics: tuple[str, ...] = ()  # rollup metrics summed over the period
    needs: frozenset[str] = frozenset()  # other inputs: end, state, vb04, cat, used, units, endpoints
    presence: tuple[str, ...] = ()  # has:<metric> inputs
    parts: tuple[PartDef, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    kind: str = "period"  # "period": over the period; "state": point in time (now or a snapshot)
    series: str | None = "daily"  # "daily": the formula per day; "snapshot": end-of-day values; None
    rank_decimals: int = 2  # precision users see: ties in ranking are judged at it

    def name(self, lang: str = "vi") -> str:
        return self.name_en if lang == "en" else self.name_vi

    def definition(self, lang: str = "vi") -> str:
        """The tooltip text: the basis first, then the rule and its reference."""
        label = BASIS_LABELS[self.basis][1 if lang == "en" else 0]
        text = self.definition_en if lang == "en" else self.definition_vi
        return f"[{label}] {text} ({self.reference})" if self.reference else f"[{label}] {text}"

    def part(self, key: str) -> PartDef:
        for part in self.parts:
            if part.key == key:
                return part
        raise KeyError(f"{self.id} has no part {key!r}")


# --- helpers for formulas ---------------------------------------------------------------------------
def _none(reason: Reason, **parts: Figure) -> Outcome:
    return Outcome(None, reason=reason, parts=parts)


def _headline(figure: Figure, parts: dict[str, Figure] | None = None, estimate: bool = False) -> Outcome:
    return Outcome(figure.value, figure.numerator, figure.denominator, figure.reason, parts or {}, estimate)


def _facts(x: Mapping[str, Any], domain: str) -> Reason | None:
    """No value at all while no source has delivered facts of the domain."""
    if x[f"facts:{domain}"]:
        return None
    return no_facts(*_DOMAIN_WORDS[domain])


def _missing(x: Mapping[str, Any], metric: str, field_name: str, vi: str, en: str) -> Reason | None:
    return None if x[f"has:{metric}"] else field_not_provided(field_name, vi, en)


def _state(x: Mapping[str, Any], key: str) -> Figure:
    value = x[f"state:{key}"]
    if value is None:
        return Figure(None, reason=x["state:reason"])
    return count(value)


# --- documents --------------------------------------------------------------------------------------
def vb01(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "documents"):
        return _none(reason)
    parts = {"in": count(x["doc_in"]), "out": count(x["doc_out"]), "internal": count(x["doc_internal"])}
    total = x["doc_in"] + x["doc_out"] + x["doc_internal"]
    return Outcome(total, total, None, parts=parts)


def vb02(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "documents"):
        return _none(reason)
    return _headline(
        ratio(
            x["doc_exchange_electronic"],
            x["doc_exchange_total"],
            empty_denominator("văn bản đến, đi (không mật)", "incoming or outgoing (non-secret) document"),
        )
    )


def vb03(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "documents"):
        return _none(reason)
    internal = ratio(
        x["doc_internal_signed"],
        x["doc_internal_electronic"],
        empty_denominator("văn bản nội bộ điện tử", "internal electronic document"),
    )
    axis = ratio(
        x["doc_axis_signed"],
        x["doc_axis"],
        empty_denominator("văn bản trên trục liên thông", "document on the national axis"),
    )
    return _headline(internal, {"internal": internal, "axis": axis})


def vb04(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "documents") or _missing(
        x,
        "doc_arrival_known",
        "arrived_at",
        "thời điểm văn bản đến",
        "the arrival time of incoming documents",
    ):
        return _none(reason)
    on_time, late, pending = x["vb04:on_time"], x["vb04:late"], x["vb04:pending"]
    figure = ratio(
        on_time,
        on_time + late,
        empty_denominator(
            "văn bản đến đã quá hạn đăng ký hoặc đã đăng ký", "incoming document due for registration"
        ),
    )
    return _headline(figure, {"late": count(late), "pending": count(pending)})


def vb05(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "documents"):
        return _none(reason)
    completion = ratio(
        x["doc_completed_on_time"],
        x["doc_completed_with_due"],
        empty_denominator("văn bản có hạn xử lý được hoàn thành", "completed document with a due date"),
    )
    overdue = _state(x, "doc_overdue")
    parts = {"open": _state(x, "doc_open"), "completed_on_time": completion}
    return Outcome(overdue.value, overdue.value, None, overdue.reason, parts)


def vb06(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "documents"):
        return _none(reason)
    return _headline(
        ratio(
            x["doc_sent_axis_acknowledged"],
            x["doc_sent_axis"],
            empty_denominator("văn bản gửi qua trục liên thông", "document sent over the national axis"),
        )
    )


def vb07(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "documents") or _missing(
        x,
        "doc_ack_timed",
        "acknowledged_at",
        "thời điểm bên nhận tiếp nhận văn bản",
        "the time the recipient acknowledged a document",
    ):
        return _none(reason)
    edges = ACK_LATENCY_EDGES_MIN
    buckets = [
        (lo, edges[i + 1] if i + 1 < len(edges) else None, x[name])
        for i, (lo, name) in enumerate(zip(edges, ACK_LATENCY_METRICS, strict=False))
    ]
    median_min = median_from_histogram(buckets)
    n = x["doc_ack_timed"]
    if median_min is None:
        return _none(empty_denominator("văn bản gửi được tiếp nhận", "acknowledged sent document"))
    return Outcome(median_min / 60.0, None, n, parts={"acknowledged": count(n)})


def vb08(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "documents"):
        return _none(reason)
    returned, recalled = x["doc_returned_on_status_day"], x["doc_recalled_on_status_day"]
    return Outcome(
        returned + recalled,
        returned + recalled,
        None,
        parts={"returned": count(returned), "recalled": count(recalled)},
    )


def vb09(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "documents"):
        return _none(reason)
    total = x["doc_in"] + x["doc_out"]
    participation = ratio(x["units:participating"], x["units:total"], empty_denominator("đơn vị", "unit"))
    parts = {"received": count(x["doc_in"]), "sent": count(x["doc_out"]), "participation": participation}
    return Outcome(total, total, None, parts=parts)


# --- public services ---------------------------------------------------------------------------------
_RECEIVED = empty_denominator("hồ sơ được tiếp nhận", "received dossier")
_FINISHED = empty_denominator("hồ sơ giải quyết xong", "finished dossier")


def dvc01(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "dossiers"):
        return _none(reason)
    return _headline(count(x["dossier_received"]))


def dvc02(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "dossiers"):
        return _none(reason)
    return _headline(ratio(x["dossier_received_online"], x["dossier_received"], _RECEIVED))


def dvc03(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "dossiers"):
        return _none(reason)
    if not x["cat:present"]:
        return _none(NO_CATALOGUE)
    return _headline(
        ratio(
            x["dossier_received_full_svc_online"],
            x["dossier_received_full_svc"],
            empty_denominator(
                "hồ sơ của thủ tục đủ điều kiện trực tuyến toàn trình", "dossier of a fully-online procedure"
            ),
        )
    )


def dvc04(x: Mapping[str, Any]) -> Outcome:
    if not x["cat:present"]:
        return _none(NO_CATALOGUE)
    procedures = _state(x, "procedures")
    online = _state(x, "procedures_online")
    if procedures.value is None:
        return _none(procedures.reason)
    return _headline(
        ratio(
            online.value,
            procedures.value,
            empty_denominator("thủ tục hành chính thuộc thẩm quyền", "procedure in the unit's competence"),
        )
    )


def dvc05(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "dossiers"):
        return _none(reason)
    if not x["cat:present"]:
        return _none(NO_CATALOGUE)
    return _headline(
        ratio(
            x["used:online"], x["cat:online"], empty_denominator("dịch vụ công trực tuyến", "online service")
        )
    )


_POPULATION = empty_denominator(
    "hồ sơ kết thúc trong kỳ hoặc đang giải quyết cuối kỳ", "dossier ended in the period or open at its end"
)


def population_766(x: Mapping[str, Any]) -> tuple[float, float]:
    """The 766 on-time rule over "the period's dossiers" (domain.md §2.2 DVC-06): (on time, all) —
    dossiers ended in the period in any end state (7 withdrawn, 8 stopped, 9, 10) plus dossiers
    open at its end. DVC-11, DVC-12 and DVC-13 divide by the same population."""
    open_, late = x["end:dossier_open"], x["end:dossier_late"]
    return x["dossier_ended_766_on_time"] + open_ - late, x["dossier_ended"] + open_


def dvc06(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "dossiers"):
        return _none(reason)
    open_, late = x["end:dossier_open"], x["end:dossier_late"]
    ended, ended_on_time = x["dossier_ended"], x["dossier_ended_766_on_time"]
    figure = ratio(*population_766(x), _POPULATION)
    parts = {
        "finished_on_time": count(ended_on_time),
        "finished": count(ended),
        "open_on_time": count(open_ - late),
        "open_late": count(late),
    }
    return _headline(figure, parts)


def dvc07(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "dossiers"):
        return _none(reason)
    finished = x["dossier_finished"]
    early, on_time, late = (
        x["dossier_finished_early"],
        x["dossier_finished_on_time"],
        x["dossier_finished_late"],
    )
    parts = {
        "early": ratio(early, finished, _FINISHED),
        "on_time": ratio(on_time, finished, _FINISHED),
        "late": ratio(late, finished, _FINISHED),
        "returned": count(x["dossier_returned"]),
    }
    return _headline(ratio(early + on_time, finished, _FINISHED), parts)


def dvc08(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "dossiers"):
        return _none(reason)
    overdue = _state(x, "dossier_overdue")
    parts = {
        "in_progress": _state(x, "dossier_in_progress"),
        "paused": _state(x, "dossier_paused"),
        "due_soon": _state(x, "dossier_due_soon"),
    }
    return Outcome(overdue.value, overdue.value, None, overdue.reason, parts)


def dvc09(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "dossiers"):
        return _none(reason)
    return _headline(ratio(x["dossier_finished_days"], x["dossier_finished_timed"], _FINISHED))


def dvc10(x: Mapping[str, Any]) -> Outcome:
    if reason := (
        _facts(x, "dossiers")
        or _missing(
            x, "dossier_received_fee", "CoPhi", "việc hồ sơ có phí, lệ phí", "whether a dossier carries a fee"
        )
        or _missing(
            x,
            "dossier_received_paid_online",
            "DuocThanhToanTrucTuyen",
            "việc thanh toán trực tuyến",
            "online payment",
        )
    ):
        return _none(reason)
    return _headline(
        ratio(
            x["dossier_received_paid_online"],
            x["dossier_received_fee"],
            empty_denominator("hồ sơ có nghĩa vụ tài chính", "dossier with a fee to pay"),
        )
    )


def dvc11(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "dossiers") or _missing(
        x, "dossier_ended_e_result", "CoKetQuaDienTu", "kết quả điện tử", "electronic results"
    ):
        return _none(reason)
    # An open dossier has no result yet: the numerator is the ended ones with an electronic result.
    return _headline(ratio(x["dossier_ended_e_result"], population_766(x)[1], _POPULATION))


def dvc12(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "dossiers") or _missing(
        x, "dossier_received_digitised", "DaSoHoa", "việc số hóa thành phần hồ sơ", "digitised components"
    ):
        return _none(reason)
    digitised = x["dossier_ended_digitised"] + x["end:dossier_open_digitised"]
    return _headline(ratio(digitised, population_766(x)[1], _POPULATION))


def dvc13(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "dossiers") or _missing(
        x, "dossier_finished_rated", "DanhGia", "đánh giá mức độ hài lòng", "satisfaction ratings"
    ):
        return _none(reason)
    on_time, population = population_766(x)
    if not population:
        return _none(_POPULATION)
    late = population - on_time
    dissatisfied = x["dossier_ended_dissatisfied"]
    # (DVC-06 numerator − dissatisfied) ÷ DVC-06 denominator, never below 0.
    satisfied = max(0.0, on_time - dissatisfied)
    points = min(6.0, 6.0 * (satisfied / population) / 0.9)
    parts = {
        "late": ratio(late, population, _POPULATION),
        "dissatisfied": ratio(dissatisfied, population, _POPULATION),
        "points": Figure(points, None, None),
    }
    return Outcome(satisfied / population, satisfied, population, parts=parts)


def _sync_figure(x: Mapping[str, Any]) -> Figure:
    if reason := _missing(
        x,
        "dossier_received_synced",
        "DongBoQuocGia",
        "việc đồng bộ hồ sơ lên Cổng DVC quốc gia",
        "synchronisation to the national portal",
    ):
        return Figure(None, reason=reason)
    return ratio(x["dossier_received_synced"], x["dossier_received"], _RECEIVED)


SERVICE_INDEX_INPUTS = ("DVC-02", "DVC-05", "DVC-06", "DVC-10", "DVC-11", "DVC-12", "DVC-13")


def service_index_figures(x: Mapping[str, Any]) -> dict[str, Figure]:
    """The figures the 766 rules score, from the same inputs as the KPIs that define them."""
    figures: dict[str, Figure] = {k: CATALOGUE[k].formula(x) for k in SERVICE_INDEX_INPUTS}
    if x["cat:present"]:
        figures["provision"] = ratio(
            x["cat:online"], x["cat:procedures"], empty_denominator("thủ tục hành chính", "procedure")
        )
        figures["fee_procedures_paid"] = ratio(
            x["used:fee_paid"], x["cat:fee"], empty_denominator("thủ tục có phí", "fee procedure")
        )
    else:
        figures["provision"] = figures["fee_procedures_paid"] = Figure(None, reason=NO_CATALOGUE)
    figures["sync"] = _sync_figure(x)
    return figures


def dvc14(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "dossiers"):
        return _none(reason)
    est = service_index.estimate(service_index_figures(x), x["index:inputs"])
    parts = {g.key: Figure(g.points, g.points, g.known_max) for g in est.groups}
    parts["unknown"] = Figure(est.unknown_points, None, None)
    if not est.known_max:
        return _none(
            Reason(
                "no_indicator",
                "Chưa tính được chỉ tiêu nào của chỉ số 766",
                "No indicator of the 766 index is computable",
            ),
            **parts,
        )
    # On the 100-point scale: the known indicators' points; the unknown ones are a part of their
    # own ("unknown"), never 0 and never spread over the known ones.
    return Outcome(est.points, est.points, None, parts=parts, estimate=True)


# --- online meetings -----------------------------------------------------------------------------------
def hop01(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "meetings"):
        return _none(reason)
    return _headline(count(x["meeting_online"]))


def hop02(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "meetings"):
        return _none(reason)
    return _headline(
        ratio(
            x["meeting_online"],
            x["meeting_approved"],
            empty_denominator("cuộc họp được duyệt", "approved meeting"),
        )
    )


def hop03(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "meetings"):
        return _none(reason)
    distinct = x["meetings:distinct_endpoints"]
    distinct_figure = (
        count(distinct)
        if distinct is not None
        else Figure(
            None, reason=field_not_provided("meeting_endpoint", "danh sách điểm cầu", "the list of endpoints")
        )
    )
    return Outcome(
        x["meeting_endpoints_connected"],
        x["meeting_endpoints_connected"],
        None,
        parts={"distinct": distinct_figure},
    )


def hop04(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "meetings") or _missing(
        x, "meeting_participants_known", "participants", "số người tham dự", "participant counts"
    ):
        return _none(reason)
    coverage = ratio(
        x["meeting_participants_known"],
        x["meeting_online"],
        empty_denominator("cuộc họp trực tuyến", "online meeting"),
    )
    return Outcome(x["meeting_participants"], x["meeting_participants"], None, parts={"coverage": coverage})


def hop05(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "meetings") or _missing(
        x, "meeting_timed", "start_at/end_at", "thời điểm bắt đầu và kết thúc", "start and end times"
    ):
        return _none(reason)
    hours = x["meeting_minutes"] / 60.0
    return Outcome(
        hours,
        hours,
        None,
        parts={
            "endpoint_hours": count(x["meeting_endpoint_minutes"] / 60.0),
            "timed": count(x["meeting_timed"]),
        },
    )


def hop06(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "meetings") or _missing(
        x, "meeting_connection_scheduled", "endpoints_scheduled", "số điểm cầu dự kiến", "scheduled endpoints"
    ):
        return _none(reason)
    return _headline(
        ratio(
            x["meeting_connection_connected"],
            x["meeting_connection_scheduled"],
            empty_denominator("điểm cầu dự kiến", "scheduled endpoint"),
        )
    )


def hop07(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "meetings"):
        return _none(reason)
    running = _state(x, "live_running")
    return Outcome(
        running.value, running.value, None, running.reason, {"participants": _state(x, "live_participants")}
    )


# --- citizens' petitions (domain.md §8) ----------------------------------------------------------------
_PAKN_POPULATION = empty_denominator(
    "phản ánh, kiến nghị xử lý trong kỳ hoặc đang xử lý cuối kỳ",
    "petition handled in the period or open at its end",
)
_PAKN_HANDLED = empty_denominator("phản ánh, kiến nghị đã xử lý", "handled petition")


def petition_population(x: Mapping[str, Any]) -> float:
    """PAKN-02's population: petitions within the unit's competence handled in the period, plus
    those open at its end. PAKN-03 divides by the same."""
    return x["petition_handled"] + x["end:petition_open"]


def pakn01(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "petitions"):
        return _none(reason)
    return _headline(count(x["petition_received"]))


def pakn02(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "petitions"):
        return _none(reason)
    population = petition_population(x)
    parts = {
        "handled_on_time": count(x["petition_handled_on_time"]),
        "handled_late": count(x["petition_handled_late"]),
        "open": count(x["end:petition_open"]),
        "open_late": count(x["end:petition_late"]),
    }
    return _headline(ratio(x["petition_handled_on_time"], population, _PAKN_POPULATION), parts)


def pakn03(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "petitions"):
        return _none(reason)
    population = petition_population(x)
    # Not rated dissatisfied and not late: handled on time without a "không hài lòng", or still
    # open at the end of the period and not yet past the deadline.
    good = x["petition_handled_good"] + x["end:petition_open"] - x["end:petition_late"]
    parts = {
        "dissatisfied": count(x["petition_handled_dissatisfied"]),
        "rated": count(x["petition_handled_rated"]),
        "late": count(x["petition_handled_late"] + x["end:petition_late"]),
    }
    return _headline(ratio(good, population, _PAKN_POPULATION), parts)


def pakn04(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "petitions"):
        return _none(reason)
    overdue = _state(x, "petition_overdue")
    parts = {"open": _state(x, "petition_open")}
    return Outcome(overdue.value, overdue.value, None, overdue.reason, parts)


def pakn05(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "petitions"):
        return _none(reason)
    return _headline(ratio(x["petition_handled_workdays"], x["petition_handled_timed"], _PAKN_HANDLED))


# --- the catalogue ----------------------------------------------------------------------------------------
# --- directive tasks (domain.md §7; counts from dashboard/kpi/tasks.py) ------------------------------
_COMPLETED_TIMED = empty_denominator("nhiệm vụ hoàn thành có thời hạn", "completed task with a deadline")
_TASKS_TIMED = empty_denominator(
    "nhiệm vụ có thời hạn hoàn thành trong kỳ hoặc đang thực hiện cuối kỳ",
    "task with a deadline completed in the period or open at its end",
)


def _task_count(x: Mapping[str, Any], key: str, **parts: str) -> Outcome:
    if reason := _facts(x, "tasks"):
        return _none(reason)
    value = x[f"task:{key}"]
    return Outcome(value, value, None, parts={k: count(x[f"task:{v}"]) for k, v in parts.items()})


def nv01(x: Mapping[str, Any]) -> Outcome:
    return _task_count(x, "assigned")


def nv02(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "tasks"):
        return _none(reason)
    parts = {
        "on_time": count(x["task:completed_on_time"]),
        "late": count(x["task:completed_late"]),
        "untimed": count(x["task:completed"] - x["task:completed_timed"]),
    }
    return _headline(ratio(x["task:completed_on_time"], x["task:completed_timed"], _COMPLETED_TIMED), parts)


def nv03(x: Mapping[str, Any]) -> Outcome:
    return _task_count(x, "completed_late", completed="completed")


def nv04(x: Mapping[str, Any]) -> Outcome:
    return _task_count(x, "open_in_time", untimed="open_untimed")


def nv05(x: Mapping[str, Any]) -> Outcome:
    return _task_count(x, "open_late", open="open")


def nv06(x: Mapping[str, Any]) -> Outcome:
    return _task_count(x, "due_soon")


def nv07(x: Mapping[str, Any]) -> Outcome:
    if reason := _facts(x, "tasks"):
        return _none(reason)
    late = x["task:completed_late"] + x["task:open_late"]
    population = x["task:completed_timed"] + x["task:open_timed"]
    parts = {"completed_late": count(x["task:completed_late"]), "open_late": count(x["task:open_late"])}
    return _headline(ratio(late, population, _TASKS_TIMED), parts)


def _pct(key: str, vi: str, en: str) -> PartDef:
    return PartDef(key, vi, en, "percent")


def _cnt(key: str, vi: str, en: str) -> PartDef:
    return PartDef(key, vi, en, "count")


_DVC06_METRICS = ("dossier_ended", "dossier_ended_766_on_time")
_VB04_METRICS = (
    "doc_arrived",
    *ARRIVAL_LAG_METRICS,
    "doc_arrived_unregistered",
    "doc_arrived_urgent_same_day",
    "doc_arrived_urgent_later",
    "doc_arrived_urgent_unregistered",
)

_DOCUMENTS: tuple[KpiDef, ...] = (
    KpiDef(
        "VB-01",
        "Văn bản đến, đi, nội bộ",
        "Documents in, out, internal",
        "documents",
        "count",
        None,
        "ours",
        "Số văn bản đến, đi và nội bộ, tính theo ngày đăng ký.",
        "Incoming, outgoing and internal documents, counted by registration date.",
        "",
        vb01,
        ("doc_in", "doc_out", "doc_internal"),
        parts=(
            _cnt("in", "Văn bản đến", "Incoming"),
            _cnt("out", "Văn bản đi", "Outgoing"),
            _cnt("internal", "Nội bộ", "Internal"),
        ),
    ),
    KpiDef(
        "VB-02",
        "Tỷ lệ văn bản trao đổi dưới dạng điện tử",
        "Electronically exchanged share",
        "documents",
        "percent",
        "up",
        "official",
        "Văn bản đến và đi dạng điện tử ÷ tổng văn bản đến và đi, không tính văn bản mật; theo ngày đăng ký. "
        "Mục tiêu Chính phủ điện tử 2020: 90 %.",
        "Electronic incoming and outgoing documents ÷ all incoming and outgoing, secret documents excluded; by "
        "registration date. 2020 e-government target: 90 %.",
        "mục tiêu Chính phủ điện tử 2020",
        vb02,
        ("doc_exchange_electronic", "doc_exchange_total"),
        thresholds=Thresholds(0.90, 0.90, 0.80),
    ),
    KpiDef(
        "VB-03",
        "Tỷ lệ văn bản ký số",
        "Digitally signed share",
        "documents",
        "percent",
        "up",
        "practice",
        "Hai tỷ lệ theo ngày đăng ký: nội bộ = văn bản nội bộ điện tử được ký số ÷ văn bản nội bộ điện tử; trục "
        "liên thông = văn bản trên trục được ký số ÷ văn bản trên trục (gửi và nhận). Số lớn là tỷ lệ nội bộ.",
        "Two figures by registration date: internal = signed ÷ internal electronic documents; axis = signed ÷ "
        "documents on the national axis (sent and received). The headline is the internal one.",
        "báo cáo công khai của một bộ: 90 % nội bộ, 97 % trên trục",
        vb03,
        ("doc_internal_signed", "doc_internal_electronic", "doc_axis_signed", "doc_axis"),
        parts=(
            _pct("internal", "Nội bộ", "Internal"),
            _pct("axis", "Trên trục liên thông", "On the national axis"),
        ),
        thresholds=Thresholds(0.90, 0.90, 0.80),
    ),
    KpiDef(
        "VB-04",
        "Văn bản đến xử lý đúng hạn đăng ký",
        "Incoming registered on time",
        "documents",
        "percent",
        "up",
        "official",
        "Văn bản đến được đăng ký trong ngày đến hoặc chậm nhất ngày làm việc tiếp theo (văn bản hỏa tốc, thượng "
        "khẩn, khẩn: trong ngày) ÷ văn bản đến đã đăng ký hoặc đã quá hạn đăng ký; theo ngày đến, lịch ngày làm việc "
        "trừ ngày lễ. Văn bản bị trả lại, thu hồi không tính.",
        "Incoming documents registered the day they arrive or at the latest the next working day (urgent ones: "
        "the same day) ÷ incoming documents registered or past their deadline; by arrival day, on the working-day "
        "calendar. Returned or recalled documents are left out.",
        "Nghị định 30/2020/NĐ-CP, Điều 4",
        vb04,
        _VB04_METRICS,
        needs=frozenset({"vb04"}),
        presence=("doc_arrival_known",),
        parts=(
            _cnt("late", "Đăng ký trễ", "Registered late"),
            _cnt("pending", "Đang trong hạn đăng ký", "Awaiting registration, in time"),
        ),
        thresholds=Thresholds(1.0, 0.95, 0.85),
    ),
    KpiDef(
        "VB-05",
        "Văn bản quá hạn xử lý",
        "Overdue documents",
        "documents",
        "count",
        "down",
        "ours",
        "Văn bản đã đăng ký, đang mở (trạng thái khác 06, 02, 13, chưa hoàn thành) có hạn xử lý trước hôm nay — tại "
        "thời điểm hiện tại hoặc cuối kỳ. Kèm tỷ lệ văn bản hoàn thành đúng hạn = hoàn thành không muộn hơn ngày hạn ÷ "
        "hoàn thành có hạn xử lý.",
        "Registered documents still open (status other than 06, 02, 13, not completed) with a due day before today — "
        "now, or at the end of the period. With the on-time completion rate = completed by the due day ÷ completed "
        "with a due date.",
        "",
        vb05,
        ("doc_completed_on_time", "doc_completed_with_due"),
        needs=frozenset({"state:documents"}),
        parts=(
            _cnt("open", "Văn bản đang xử lý", "Open documents"),
            _pct("completed_on_time", "Hoàn thành đúng hạn", "Completed on time"),
        ),
        kind="state",
        series="snapshot",
    ),
    KpiDef(
        "VB-06",
        "Tỷ lệ văn bản gửi qua trục được tiếp nhận",
        "Axis receipts acknowledged",
        "documents",
        "percent",
        "up",
        "ours",
        "Văn bản gửi qua trục liên thông mà bên nhận đã tiếp nhận (trạng thái edXML từ 03 trở đi) ÷ văn bản gửi qua "
        "trục; không tính văn bản đã thu hồi (13); theo ngày đăng ký.",
        "Documents sent over the national axis that the recipient took in (edXML status 03 or later) ÷ documents "
        "sent; recalled ones (13) are left out; by registration date.",
        "mã trạng thái edXML, QCVN 102:2016/BTTTT",
        vb06,
        ("doc_sent_axis_acknowledged", "doc_sent_axis"),
        thresholds=Thresholds(0.95, 0.95, 0.85),
    ),
    KpiDef(
        "VB-07",
        "Thời gian tiếp nhận",
        "Acknowledgement latency",
        "documents",
        "hours",
        "down",
        "ours",
        "Trung vị (thời điểm bên nhận tiếp nhận − thời điểm gửi) của văn bản gửi qua trục, tính bằng giờ; ước tính "
        "từ các khoảng 10–120 phút nên sai số nhỏ hơn nửa khoảng.",
        "Median (time acknowledged − time sent) of documents sent over the axis, in hours; estimated from 10–120 "
        "minute buckets, so within half a bucket.",
        "",
        vb07,
        ("doc_ack_timed", *ACK_LATENCY_METRICS),
        presence=("doc_ack_timed",),
        parts=(_cnt("acknowledged", "Văn bản đã tiếp nhận", "Acknowledged documents"),),
        thresholds=Thresholds(4.0, 4.0, 24.0),
    ),
    KpiDef(
        "VB-08",
        "Văn bản bị trả lại, thu hồi",
        "Returned or recalled",
        "documents",
        "count",
        "down",
        "practice",
        "Số văn bản có trạng thái 02 (từ chối tiếp nhận) hoặc 13 (thu hồi), tính theo ngày của trạng thái đó (thời "
        "điểm gói tin trạng thái; nếu không có gói tin, thời điểm cập nhật cuối của văn bản).",
        "Documents that reached status 02 (rejected) or 13 (recalled), counted on the day of that status (the status "
        "packet's time; the document row's last update where no packet exists).",
        "",
        vb08,
        ("doc_returned_on_status_day", "doc_recalled_on_status_day"),
        parts=(_cnt("returned", "Bị trả lại", "Returned"), _cnt("recalled", "Bị thu hồi", "Recalled")),
    ),
    KpiDef(
        "VB-09",
        "Mức độ tham gia của đơn vị",
        "Participation per unit",
        "documents",
        "count",
        "up",
        "practice",
        "Số văn bản gửi và nhận của đơn vị (đến + đi) trong kỳ; kèm tỷ lệ đơn vị có gửi hoặc nhận ít nhất một văn "
        "bản trong số các đơn vị cấp cuối (không tính đơn vị chỉ là cấp tổng hợp). Xếp hạng đơn vị để thấy đơn vị ít tham gia.",
        "Documents sent and received (incoming + outgoing) in the period; with the share of leaf units that sent "
        "or received at least one. Rank the units to see who barely participates.",
        "báo cáo của một bộ: 20.828 văn bản nhận, 2.748 văn bản gửi trong năm",
        vb09,
        ("doc_in", "doc_out"),
        needs=frozenset({"units"}),
        parts=(
            _cnt("received", "Nhận", "Received"),
            _cnt("sent", "Gửi", "Sent"),
            _pct("participation", "Đơn vị tham gia", "Units participating"),
        ),
    ),
)
_PUBLIC_SERVICES: tuple[KpiDef, ...] = (
    KpiDef(
        "DVC-01",
        "Hồ sơ tiếp nhận",
        "Dossiers received",
        "dossiers",
        "count",
        None,
        "practice",
        "Hồ sơ được tiếp nhận trong kỳ (trạng thái khác 1 — mới đăng ký và 3 — không được tiếp nhận), theo ngày tiếp nhận.",
        "Dossiers received in the period (status other than 1 — newly registered — and 3 — refused), by receipt date.",
        "",
        dvc01,
        ("dossier_received",),
    ),
    KpiDef(
        "DVC-02",
        "Tỷ lệ hồ sơ trực tuyến",
        "Online intake share",
        "dossiers",
        "percent",
        "up",
        "official",
        "Hồ sơ tiếp nhận qua kênh trực tuyến (KenhThucHien = 2) ÷ hồ sơ tiếp nhận. Chỉ số 766 cho điểm tối đa từ 50 %; "
        "mục tiêu 2020: 20 %.",
        "Dossiers received online (channel 2) ÷ dossiers received. The 766 index gives full points from 50 %; 2020 target 20 %.",
        "Quyết định 766/QĐ-TTg",
        dvc02,
        ("dossier_received_online", "dossier_received"),
        thresholds=Thresholds(0.50, 0.50, 0.20),
    ),
    KpiDef(
        "DVC-03",
        "Tỷ lệ hồ sơ trực tuyến toàn trình",
        "Fully-online dossier share",
        "dossiers",
        "percent",
        "up",
        "official",
        "Hồ sơ của dịch vụ trực tuyến toàn trình nộp trực tuyến ÷ hồ sơ của các thủ tục đủ điều kiện trực tuyến toàn "
        "trình (theo danh mục thủ tục hiện hành của đơn vị). Mục tiêu ≥ 80 % năm 2025.",
        "Dossiers of fully-online services submitted online ÷ dossiers of procedures eligible for full online "
        "service (the unit's current catalogue). Target ≥ 80 % by 2025.",
        "Quyết định 942/QĐ-TTg",
        dvc03,
        ("dossier_received_full_svc_online", "dossier_received_full_svc"),
        needs=frozenset({"cat"}),
        thresholds=Thresholds(0.80, 0.80, 0.40),
    ),
    KpiDef(
        "DVC-04",
        "Tỷ lệ TTHC cung cấp DVCTT",
        "Procedures offered online",
        "dossiers",
        "percent",
        "up",
        "official",
        "Thủ tục có dịch vụ công trực tuyến toàn trình hoặc một phần ÷ thủ tục thuộc thẩm quyền (đang áp dụng) — tại "
        "thời điểm hiện tại hoặc cuối kỳ. Điểm tối đa từ 80 %.",
        "Procedures with a full or partial online service ÷ procedures in the unit's competence (in force) — now, "
        "or at the end of the period. Full points from 80 %.",
        "Quyết định 766/QĐ-TTg",
        dvc04,
        needs=frozenset({"cat", "state:catalogue"}),
        thresholds=Thresholds(0.80, 0.80, 0.50),
        kind="state",
        series="snapshot",
    ),
    KpiDef(
        "DVC-05",
        "Tỷ lệ DVCTT có phát sinh hồ sơ",
        "Online services in use",
        "dossiers",
        "percent",
        "up",
        "official",
        "Dịch vụ công trực tuyến (toàn trình, một phần) có ít nhất một hồ sơ trực tuyến trong kỳ ÷ dịch vụ công trực tuyến "
        "(danh mục hiện hành).",
        "Online services (full or partial) with at least one online dossier in the period ÷ online services (current catalogue).",
        "Quyết định 766/QĐ-TTg",
        dvc05,
        needs=frozenset({"cat", "used"}),
        thresholds=Thresholds(0.50, 0.50, 0.30),
        series=None,
    ),
    KpiDef(
        "DVC-06",
        "Giải quyết đúng hạn (chỉ số 766)",
        "On time, national-index definition",
        "dossiers",
        "percent",
        "up",
        "official",
        "Tử số: hồ sơ giải quyết xong trong kỳ có ngày kết thúc không muộn hơn ngày hẹn trả, cộng hồ sơ đang giải quyết "
        "cuối kỳ có ngày hẹn trả từ ngày cuối kỳ trở đi. Mẫu số: hồ sơ giải quyết xong trong kỳ cộng hồ sơ đang giải quyết "
        "cuối kỳ (tiếp nhận đến hết kỳ, chưa kết thúc). Hồ sơ bổ sung quá một lần tính là trễ hạn; hồ sơ không có ngày hẹn "
        "tính là đúng hạn. “Giải quyết xong” gồm mọi trạng thái kết thúc: 7 (rút), 8 (dừng xử lý), 9, 10. So sánh theo ngày "
        "(giờ Việt Nam). Tập hồ sơ này là “hồ sơ của kỳ” mà DVC-11, DVC-12, DVC-13 cũng chia cho.",
        "Numerator: dossiers finished in the period with finish day ≤ due day, plus dossiers open at period end whose "
        "due day ≥ the period's last day. Denominator: dossiers finished in the period plus dossiers open at period end "
        "(received by then, not finished). More than one supplement request counts as late; no due date counts as on "
        "time. “Finished” means any end state: 7 withdrawn, 8 stopped, 9, 10. Day granularity, Vietnam time. This "
        "population is “the period’s dossiers” that DVC-11, DVC-12 and DVC-13 divide by too.",
        "Quyết định 766/QĐ-TTg, 20 điểm",
        dvc06,
        _DVC06_METRICS,
        needs=frozenset({"end"}),
        parts=(
            _cnt("finished_on_time", "Đã giải quyết đúng hạn", "Finished on time"),
            _cnt("finished", "Đã giải quyết", "Finished"),
            _cnt("open_on_time", "Đang giải quyết trong hạn", "Open within the deadline"),
            _cnt("open_late", "Đang giải quyết quá hạn", "Open and late"),
        ),
        thresholds=Thresholds(0.95, 0.95, 0.85),
    ),
    KpiDef(
        "DVC-07",
        "Trước hạn / đúng hạn / quá hạn",
        "Early, on time, late among finished",
        "dossiers",
        "percent",
        "up",
        "practice",
        "Trong các hồ sơ giải quyết xong trong kỳ (trạng thái 9, 10): trước hạn (ngày kết thúc < ngày hẹn), đúng hạn "
        "(= ngày hẹn, hoặc không có ngày hẹn), quá hạn (> ngày hẹn). Số lớn: trước hạn + đúng hạn. Hồ sơ rút (7) tính riêng là trả lại.",
        "Among dossiers finished in the period (status 9, 10): early (finish < due), on time (= due, or no due "
        "date), late (> due). Headline: early + on time. Withdrawn dossiers (7) are counted apart as returned.",
        "biểu mẫu thống kê 06a",
        dvc07,
        (
            "dossier_finished",
            "dossier_finished_early",
            "dossier_finished_on_time",
            "dossier_finished_late",
            "dossier_returned",
        ),
        parts=(
            _pct("early", "Trước hạn", "Early"),
            _pct("on_time", "Đúng hạn", "On time"),
            _pct("late", "Quá hạn", "Late"),
            _cnt("returned", "Rút hồ sơ (trả lại)", "Withdrawn (returned)"),
        ),
        thresholds=Thresholds(0.95, 0.95, 0.85),
    ),
    KpiDef(
        "DVC-08",
        "Hồ sơ đang xử lý quá hạn",
        "Open and overdue dossiers",
        "dossiers",
        "count",
        "down",
        "practice",
        "Hồ sơ đang xử lý (trạng thái 2, 4) có ngày hẹn trả trước hôm nay — tại thời điểm hiện tại hoặc cuối kỳ. Kèm hồ "
        "sơ sắp đến hạn (trong 24 giờ tới) và hồ sơ tạm dừng (5, 6) liệt kê riêng: danh sách việc cần làm của trưởng đơn vị.",
        "Open dossiers (status 2, 4) with a due day before today — now, or at the end of the period. With those due "
        "within the next 24 hours and the paused ones (5, 6) listed apart: the department head's action list.",
        "",
        dvc08,
        needs=frozenset({"state:dossiers"}),
        parts=(
            _cnt("in_progress", "Đang xử lý", "In progress"),
            _cnt("paused", "Tạm dừng", "Paused"),
            _cnt("due_soon", "Đến hạn trong 24 giờ", "Due within 24 hours"),
        ),
        # Any overdue dossier is a red flag: the tile is coloured as the "in progress" panel of
        # /dossiers that shows the same number (green only at none).
        thresholds=Thresholds(None, 0.0, 0.0),
        kind="state",
        series="snapshot",
    ),
    KpiDef(
        "DVC-09",
        "Thời gian giải quyết trung bình",
        "Mean resolution time",
        "dossiers",
        "days",
        "down",
        "official",
        "Trung bình (thời điểm kết thúc xử lý − thời điểm tiếp nhận), tính bằng ngày (có phần lẻ), của hồ sơ giải quyết "
        "xong (trạng thái 9, 10) trong kỳ.",
        "Mean (finish − receipt) in days (fractional) over dossiers finished (status 9, 10) in the period.",
        "Quyết định 766/QĐ-TTg",
        dvc09,
        ("dossier_finished_days", "dossier_finished_timed"),
    ),
    KpiDef(
        "DVC-10",
        "Tỷ lệ thanh toán trực tuyến",
        "Online payment share",
        "dossiers",
        "percent",
        "up",
        "official",
        "Hồ sơ tiếp nhận trong kỳ đã thanh toán trực tuyến (trên Cổng DVC quốc gia hoặc cổng thanh toán của bộ, tỉnh) "
        "÷ hồ sơ tiếp nhận trong kỳ có nghĩa vụ tài chính. Chỉ số 766: 6 điểm × tỷ lệ.",
        "Dossiers received in the period and paid online (national portal or own gateway) ÷ dossiers received with "
        "a fee to pay. 766 index: 6 points × ratio.",
        "Quyết định 766/QĐ-TTg",
        dvc10,
        ("dossier_received_paid_online", "dossier_received_fee"),
        presence=("dossier_received_fee", "dossier_received_paid_online"),
        thresholds=Thresholds(0.50, 0.50, 0.30),
    ),
    KpiDef(
        "DVC-11",
        "Tỷ lệ hồ sơ có kết quả điện tử",
        "Electronic results",
        "dossiers",
        "percent",
        "up",
        "official",
        "Hồ sơ có tệp kết quả điện tử ÷ hồ sơ của kỳ (tập hồ sơ của DVC-06: kết thúc trong kỳ cộng đang giải quyết "
        "cuối kỳ), như số liệu Cổng DVC quốc gia công bố. Chỉ số 766: 6 điểm × tỷ lệ.",
        "Dossiers with an electronic result file ÷ the period's dossiers (the DVC-06 population: ended in the period "
        "plus open at its end), as the national portal's published figures divide. 766 index: 6 points × ratio.",
        "Quyết định 766/QĐ-TTg",
        dvc11,
        (*_DVC06_METRICS, "dossier_ended_e_result"),
        needs=frozenset({"end"}),
        presence=("dossier_ended_e_result",),
        thresholds=Thresholds(0.90, 0.90, 0.70),
    ),
    KpiDef(
        "DVC-12",
        "Tỷ lệ số hóa hồ sơ",
        "Digitised dossiers",
        "dossiers",
        "percent",
        "up",
        "official",
        "Hồ sơ của kỳ có thành phần được số hóa (và có kết quả điện tử khi đã giải quyết xong và cần cấp kết quả) ÷ "
        "hồ sơ của kỳ (tập hồ sơ của DVC-06), như số liệu công bố. Chỉ số 766: 4 điểm × tỷ lệ.",
        "The period's dossiers with digitised components (and an electronic result once finished, where one is "
        "required) ÷ the period's dossiers (the DVC-06 population), as the published figures divide. 766 index: "
        "4 points × ratio.",
        "Quyết định 766/QĐ-TTg",
        dvc12,
        (*_DVC06_METRICS, "dossier_ended_digitised"),
        needs=frozenset({"end"}),
        presence=("dossier_received_digitised",),
        thresholds=Thresholds(0.90, 0.90, 0.70),
    ),
    KpiDef(
        "DVC-13",
        "Mức độ hài lòng",
        "Satisfaction with dossier handling",
        "dossiers",
        "percent",
        "up",
        "official",
        "(Tử số DVC-06 − hồ sơ của kỳ bị đánh giá không hài lòng) ÷ mẫu số DVC-06, tức 100 % − (tỷ lệ trễ hạn + tỷ lệ "
        "không hài lòng) trên hồ sơ của kỳ (kết thúc trong kỳ cộng đang giải quyết cuối kỳ); không âm. Điểm 766: "
        "min(6; 6 × tỷ lệ ÷ 0,9), tối đa từ 90 %.",
        "(DVC-06 numerator − the period's dossiers rated dissatisfied) ÷ DVC-06 denominator, i.e. 100 % − (late share "
        "+ dissatisfied share) over the period's dossiers (ended in the period plus open at its end); never below 0. "
        "766 points: min(6, 6 × ratio ÷ 0.9), full from 90 %.",
        "Quyết định 766/QĐ-TTg",
        dvc13,
        (*_DVC06_METRICS, "dossier_ended_dissatisfied"),
        needs=frozenset({"end"}),
        presence=("dossier_finished_rated",),
        parts=(
            _pct("late", "Trễ hạn", "Late"),
            _pct("dissatisfied", "Không hài lòng", "Dissatisfied"),
            PartDef("points", "Điểm (tối đa 6)", "Points (of 6)", "points"),
        ),
        thresholds=Thresholds(0.90, 0.90, 0.75),
    ),
)


def _union(attribute: str, *extra: str) -> tuple[str, ...]:
    """What the service index reads: every input of the KPIs it scores (and ``extra``)."""
    found = set(extra)
    for d in _PUBLIC_SERVICES:
        if d.id in SERVICE_INDEX_INPUTS:
            found |= set(getattr(d, attribute))
    return tuple(sorted(found))


_SERVICE_INDEX = KpiDef(
    "DVC-14",
    "Điểm chỉ số phục vụ (766)",
    "Service index score",
    "dossiers",
    "points",
    "up",
    "official",
    "Điểm Bộ chỉ số phục vụ người dân, doanh nghiệp (100 điểm, 6 nhóm). Khi có điểm công bố chính thức (nhập bằng "
    "ioc scores import) thì hiển thị điểm công bố; nếu không, IOC ước tính trên thang 100 điểm: chỉ tiêu tính được từ "
    'dữ liệu hồ sơ hoặc từ số liệu nhập, chỉ tiêu chưa có số liệu được liệt kê với điểm tối đa là "chưa biết" '
    "(không tính 0, không quy đổi), và chỉ ra chỉ tiêu bị mất điểm.",
    "The national service index (100 points, 6 groups). An official published score (ioc scores import) is shown "
    "as published; otherwise IOC estimates it on the 100-point scale: indicators computed from dossier data or taken "
    "from imported figures, those without a figure listed with their maximum points as not yet known (never 0, "
    "never rescaled), and shows where points are lost.",
    "Quyết định 766/QĐ-TTg ngày 23/6/2022",
    dvc14,
    metrics=_union("metrics", "dossier_received_synced", "dossier_received"),
    needs=frozenset(_union("needs", "index")),
    presence=_union("presence", "dossier_received_synced"),
    parts=tuple(
        PartDef(k, vi, en, "points")
        for k, vi, en in (
            ("transparency", "Công khai, minh bạch", "Transparency"),
            ("progress", "Tiến độ giải quyết", "Progress"),
            ("online_services", "Dịch vụ công trực tuyến", "Online services"),
            ("online_payment", "Thanh toán trực tuyến", "Online payment"),
            ("satisfaction", "Mức độ hài lòng", "Satisfaction"),
            ("digitisation", "Số hóa hồ sơ", "Digitisation"),
            ("unknown", "Điểm chưa có số liệu", "Points not yet known"),
        )
    ),
    thresholds=Thresholds(80.0, 80.0, 50.0),
    series=None,
)

_MEETINGS: tuple[KpiDef, ...] = (
    KpiDef(
        "HOP-01",
        "Số cuộc họp trực tuyến",
        "Online meetings",
        "meetings",
        "count",
        "up",
        "ours",
        "Cuộc họp được duyệt (trạng thái 2, hoặc do nền tảng họp báo cáo đã diễn ra) có ít nhất một điểm cầu kết nối, "
        "theo ngày bắt đầu.",
        "Approved meetings (status 2, or reported as held by a platform) with at least one connected endpoint, by start date.",
        "",
        hop01,
        ("meeting_online",),
    ),
    KpiDef(
        "HOP-02",
        "Tỷ lệ họp trực tuyến",
        "Online share",
        "meetings",
        "percent",
        "up",
        "ours",
        "Cuộc họp trực tuyến ÷ cuộc họp được duyệt, theo ngày bắt đầu; cuộc họp không có điểm cầu tính là không trực tuyến.",
        "Online meetings ÷ approved meetings, by start date; a meeting without endpoints counts as not online.",
        "",
        hop02,
        ("meeting_online", "meeting_approved"),
    ),
    KpiDef(
        "HOP-03",
        "Điểm cầu tham gia",
        "Endpoints connected",
        "meetings",
        "count",
        "up",
        "ours",
        "Tổng số điểm cầu kết nối của các cuộc họp trực tuyến; kèm số điểm cầu khác nhau trong kỳ.",
        "Connected endpoints summed over online meetings; with the distinct endpoints in the period.",
        "",
        hop03,
        ("meeting_endpoints_connected",),
        needs=frozenset({"endpoints"}),
        parts=(_cnt("distinct", "Điểm cầu khác nhau", "Distinct endpoints"),),
    ),
    KpiDef(
        "HOP-04",
        "Lượt người tham dự",
        "Participants",
        "meetings",
        "count",
        None,
        "ours",
        "Tổng số người tham dự (số cao nhất của mỗi cuộc họp khi chỉ có số liệu tức thời) của các cuộc họp trực tuyến.",
        "Participants summed over online meetings (the peak per meeting where only live counts exist).",
        "",
        hop04,
        ("meeting_participants", "meeting_participants_known", "meeting_online"),
        presence=("meeting_participants_known",),
        parts=(_pct("coverage", "Cuộc họp có số người", "Meetings with a count"),),
    ),
    KpiDef(
        "HOP-05",
        "Giờ họp trực tuyến",
        "Meeting hours",
        "meetings",
        "hours",
        None,
        "ours",
        "Tổng (kết thúc − bắt đầu) của các cuộc họp trực tuyến, giờ; kèm giờ điểm cầu = Σ (kết thúc − bắt đầu) × số điểm cầu.",
        "Σ (end − start) over online meetings, in hours; with endpoint-hours = Σ (end − start) × endpoints.",
        "",
        hop05,
        ("meeting_minutes", "meeting_endpoint_minutes", "meeting_timed"),
        presence=("meeting_timed",),
        parts=(
            PartDef("endpoint_hours", "Giờ điểm cầu", "Endpoint-hours", "hours"),
            _cnt("timed", "Cuộc họp có giờ bắt đầu, kết thúc", "Meetings with start and end"),
        ),
    ),
    KpiDef(
        "HOP-06",
        "Tỷ lệ kết nối thành công",
        "Connection success",
        "meetings",
        "percent",
        "up",
        "ours",
        "Điểm cầu kết nối ÷ điểm cầu dự kiến, trên các cuộc họp trực tuyến được duyệt có số điểm cầu dự kiến (điểm cầu "
        "tham gia ngoài danh sách không làm tỷ lệ vượt 100 %).",
        "Endpoints connected ÷ endpoints scheduled, over approved online meetings with a scheduled count (endpoints "
        "joining uninvited do not push the rate above 100 %).",
        "",
        hop06,
        ("meeting_connection_connected", "meeting_connection_scheduled"),
        presence=("meeting_connection_scheduled",),
        thresholds=Thresholds(0.95, 0.95, 0.85),
    ),
    KpiDef(
        "HOP-07",
        "Đang họp",
        "Live now",
        "meetings",
        "count",
        None,
        "ours",
        "Số cuộc họp đang diễn ra và số người đang tham dự, theo số liệu tức thời của máy chủ họp (15 phút gần nhất) "
        "hoặc các cuộc họp đã bắt đầu mà chưa kết thúc.",
        "Meetings running and participants now, from the meeting servers' live gauges (last 15 minutes) or the "
        "meetings started and not yet ended.",
        "",
        hop07,
        needs=frozenset({"state:live"}),
        parts=(_cnt("participants", "Người đang tham dự", "Participants now"),),
        kind="state",
        series=None,
    ),
)
_PAKN_POPULATION_METRICS = ("petition_handled",)
_PETITIONS: tuple[KpiDef, ...] = (
    KpiDef(
        "PAKN-01",
        "PAKN tiếp nhận",
        "Petitions received",
        "petitions",
        "count",
        None,
        "practice",
        "Phản ánh, kiến nghị tiếp nhận trong kỳ (theo ngày tiếp nhận), không tính phản ánh bị từ chối hoặc chuyển "
        "đơn vị khác.",
        "Petitions received in the period (by day received), refused and forwarded-out ones excluded.",
        "",
        pakn01,
        ("petition_received",),
    ),
    KpiDef(
        "PAKN-02",
        "PAKN xử lý đúng hạn",
        "Petitions handled on time",
        "petitions",
        "percent",
        "up",
        "official",
        "Phản ánh, kiến nghị xử lý xong trong kỳ không muộn hơn ngày hạn ÷ phản ánh thuộc thẩm quyền xử lý xong trong "
        "kỳ hoặc đang xử lý cuối kỳ. Hạn xử lý tính theo ngày làm việc theo lĩnh vực (khẩn: ngắn hơn). Điểm 766: 6 × tỷ "
        "lệ; không có phản ánh → 6.",
        "Petitions handled in the period by their deadline day ÷ petitions within the unit's competence handled in the "
        "period or open at its end. Deadlines in working days per category (urgent ones shorter). 766 points: 6 × "
        "ratio; no petitions → 6.",
        "Quyết định 766/QĐ-TTg",
        pakn02,
        (*_PAKN_POPULATION_METRICS, "petition_handled_on_time", "petition_handled_late"),
        needs=frozenset({"pend"}),
        parts=(
            _cnt("handled_on_time", "Xử lý đúng hạn", "Handled on time"),
            _cnt("handled_late", "Xử lý quá hạn", "Handled late"),
            _cnt("open", "Đang xử lý cuối kỳ", "Open at the end"),
            _cnt("open_late", "Trong đó quá hạn", "Of which overdue"),
        ),
        thresholds=Thresholds(0.95, 0.95, 0.80),
    ),
    KpiDef(
        "PAKN-03",
        "Hài lòng với kết quả xử lý PAKN",
        "Satisfaction with petition handling",
        "petitions",
        "percent",
        "up",
        "official",
        "Phản ánh của tổng thể PAKN-02 không bị đánh giá không hài lòng và không trễ hạn (xử lý quá hạn, hoặc đang xử lý "
        "đã quá hạn cuối kỳ) ÷ tổng thể PAKN-02. Điểm 766: 6 × tỷ lệ; không có phản ánh → 6.",
        "Petitions of PAKN-02's population not rated dissatisfied and not late (handled late, or open and past "
        "their deadline at the period's end) ÷ PAKN-02's population. 766 points: 6 × ratio; no petitions → 6.",
        "Quyết định 766/QĐ-TTg",
        pakn03,
        (
            *_PAKN_POPULATION_METRICS,
            "petition_handled_good",
            "petition_handled_dissatisfied",
            "petition_handled_rated",
            "petition_handled_late",
        ),
        needs=frozenset({"pend"}),
        parts=(
            _cnt("dissatisfied", "Không hài lòng", "Dissatisfied"),
            _cnt("rated", "Có đánh giá", "Rated"),
            _cnt("late", "Trễ hạn", "Late"),
        ),
        thresholds=Thresholds(0.90, 0.90, 0.75),
    ),
    KpiDef(
        "PAKN-04",
        "PAKN quá hạn đang xử lý",
        "Open and overdue petitions",
        "petitions",
        "count",
        "down",
        "practice",
        "Phản ánh, kiến nghị đang xử lý (tiếp nhận, đang xử lý) có ngày hạn trước hôm nay — tại thời điểm hiện tại hoặc "
        "cuối kỳ.",
        "Petitions still open (received, being handled) with a deadline day before today — now, or at the end of the "
        "period.",
        "",
        pakn04,
        needs=frozenset({"state:petitions"}),
        parts=(_cnt("open", "Đang xử lý", "Open"),),
        thresholds=Thresholds(None, 0.0, 0.0),
        kind="state",
    ),
    KpiDef(
        "PAKN-05",
        "Thời gian xử lý trung bình",
        "Mean handling time",
        "petitions",
        "days",
        "down",
        "practice",
        "Trung bình số ngày làm việc từ khi tiếp nhận đến khi xử lý xong, trên phản ánh xử lý xong trong kỳ.",
        "Mean working days from received to handled, over the petitions handled in the period.",
        "",
        pakn05,
        ("petition_handled_workdays", "petition_handled_timed"),
    ),
)
_TASK_NEEDS = frozenset({"tasks"})
_TASK_REF = "Theo dõi nhiệm vụ Chính phủ, Thủ tướng giao (Văn phòng Chính phủ)"
_TASKS: tuple[KpiDef, ...] = (
    KpiDef(
        "NV-01",
        "Nhiệm vụ được giao",
        "Tasks assigned",
        "tasks",
        "count",
        None,
        "practice",
        "Số nhiệm vụ được giao trong kỳ theo ngày giao (đơn vị chủ trì); nhiệm vụ đã dừng, hủy không tính.",
        "Tasks assigned in the period, by assignment date (lead unit); stopped or cancelled tasks are not counted.",
        _TASK_REF,
        nv01,
        needs=_TASK_NEEDS,
    ),
    KpiDef(
        "NV-02",
        "Hoàn thành đúng hạn",
        "Completed on time",
        "tasks",
        "percent",
        "up",
        "practice",
        "Nhiệm vụ hoàn thành trong kỳ có ngày hoàn thành ≤ thời hạn (thời hạn được gia hạn gần nhất) ÷ nhiệm vụ hoàn "
        "thành trong kỳ có thời hạn; nhiệm vụ thường xuyên không tính.",
        "Tasks completed in the period on or before their due day (the latest approved one) ÷ tasks completed in the "
        "period with a due date; ongoing tasks without a deadline are left out.",
        _TASK_REF,
        nv02,
        needs=_TASK_NEEDS,
        parts=(
            _cnt("on_time", "Đúng hạn", "On time"),
            _cnt("late", "Quá hạn", "Late"),
            _cnt("untimed", "Không có thời hạn", "Without a deadline"),
        ),
        thresholds=Thresholds(0.9, 0.9, 0.7),
    ),
    KpiDef(
        "NV-03",
        "Hoàn thành quá hạn",
        "Completed late",
        "tasks",
        "count",
        "down",
        "practice",
        "Số nhiệm vụ hoàn thành trong kỳ sau thời hạn (thời hạn được gia hạn gần nhất).",
        "Tasks completed in the period after their due day (the latest approved one).",
        _TASK_REF,
        nv03,
        needs=_TASK_NEEDS,
        parts=(_cnt("completed", "Hoàn thành trong kỳ", "Completed in the period"),),
    ),
    KpiDef(
        "NV-04",
        "Đang thực hiện trong hạn",
        "Open, within deadline",
        "tasks",
        "count",
        None,
        "practice",
        "Nhiệm vụ chưa hoàn thành cuối kỳ có thời hạn ≥ ngày cuối kỳ (thời hạn có hiệu lực ngày đó); kèm số nhiệm vụ "
        "thường xuyên đang thực hiện.",
        "Tasks open at the period's end whose due day (in force that day) is on or after it; with the ongoing tasks "
        "without a deadline.",
        _TASK_REF,
        nv04,
        needs=_TASK_NEEDS,
        parts=(_cnt("untimed", "Thường xuyên (không thời hạn)", "Ongoing (no deadline)"),),
    ),
    KpiDef(
        "NV-05",
        "Đang thực hiện quá hạn",
        "Open and overdue",
        "tasks",
        "count",
        "down",
        "practice",
        "Nhiệm vụ chưa hoàn thành cuối kỳ có thời hạn (có hiệu lực ngày đó) trước ngày cuối kỳ — con số lãnh đạo "
        "thường nêu.",
        "Tasks open at the period's end whose due day (in force that day) is before it — the figure leaders quote.",
        _TASK_REF,
        nv05,
        needs=_TASK_NEEDS,
        parts=(_cnt("open", "Đang thực hiện", "Open"),),
        thresholds=Thresholds(0.0, 0.0, 5.0),
    ),
    KpiDef(
        "NV-06",
        "Sắp đến hạn",
        "Due soon",
        "tasks",
        "count",
        "down",
        "practice",
        "Nhiệm vụ đang thực hiện có thời hạn trong 7 ngày tới (tính từ ngày cuối kỳ, chưa quá hạn).",
        "Open tasks due within the next 7 days (from the period's end, not yet overdue).",
        _TASK_REF,
        nv06,
        needs=_TASK_NEEDS,
    ),
    KpiDef(
        "NV-07",
        "Tỷ lệ nhiệm vụ quá hạn",
        "Overdue share",
        "tasks",
        "percent",
        "down",
        "practice",
        "(Hoàn thành quá hạn + đang thực hiện quá hạn) ÷ (hoàn thành trong kỳ + đang thực hiện cuối kỳ), trên các "
        "nhiệm vụ có thời hạn.",
        "(Completed late + open and overdue) ÷ (completed in the period + open at its end), over tasks with a "
        "deadline.",
        _TASK_REF,
        nv07,
        needs=_TASK_NEEDS,
        parts=(
            _cnt("completed_late", "Hoàn thành quá hạn", "Completed late"),
            _cnt("open_late", "Đang thực hiện quá hạn", "Open and overdue"),
        ),
        thresholds=Thresholds(0.1, 0.1, 0.25),
    ),
)
_DEFS: tuple[KpiDef, ...] = (*_DOCUMENTS, *_PUBLIC_SERVICES, _SERVICE_INDEX, *_MEETINGS, *_PETITIONS, *_TASKS)

CATALOGUE: dict[str, KpiDef] = {d.id: d for d in _DEFS}
KPI_IDS: tuple[str, ...] = tuple(CATALOGUE)


def validate_catalogue() -> list[str]:
    """Problems with the catalogue itself (a development check, run by the tests)."""
    problems = []
    for d in _DEFS:
        if (
            d.domain not in DOMAINS
            or d.unit not in UNITS
            or d.direction not in DIRECTIONS
            or d.basis not in BASES
        ):
            problems.append(f"{d.id}: bad domain/unit/direction/basis")
        for m in d.metrics + d.presence:
            if m not in METRICS_BY_NAME:
                problems.append(f"{d.id}: unknown rollup metric {m}")
        t = d.thresholds
        if t.green is not None and t.amber is not None and d.direction == "up" and t.green < t.amber:
            problems.append(f"{d.id}: green below amber for an upward KPI")
        if t.green is not None and t.amber is not None and d.direction == "down" and t.green > t.amber:
            problems.append(f"{d.id}: green above amber for a downward KPI")
    return problems
