"""Petitions (PAKN) in the view contract: a raw row becomes a ``petition`` record, or is rejected.

Contract fields (national-portal style; other names are mapped with the adapter's ``fields`` /
``columns`` option):

========================  ====================================================================
``MaPAKN``                the petition's id in the source (required)
``SoHieu``                the reference shown to users (default: ``MaPAKN``)
``KenhTiepNhan``          1 national portal, 2 the province's system, 3 hotline 1022, 4 in person,
                          5 letter (or the words: "cổng dvc quốc gia", "1022", "trực tiếp" …)
``LinhVuc``               category code (required), e.g. ``dat-dai``
``KhanCap``               urgent (true/false, default false): a shorter deadline
``MaDonVi``               handling unit (required)
``NgayTiepNhan``          received (required)
``HanXuLy``               deadline; when absent, received + the category's working days
``TrangThai``             1 tiếp nhận, 2 đang xử lý, 3 đã xử lý, 4 công khai kết quả, 5 từ chối,
                          6 chuyển đơn vị khác (required)
``NgayXuLy``              handled (required for 3 and 4)
``DanhGia``               rating: 1 không hài lòng, 2 bình thường, 3 hài lòng (optional)
``NgayCapNhat``           last change (the incremental watermark)
========================  ====================================================================

No personal data: fields naming the petitioner (name, phone, address, e-mail, ID number …) are
dropped before validation by :func:`scrub` — the runner calls it on every raw row, so neither the
store nor a rejected row's payload ever holds them — and the run reports which fields it dropped.
"""

from __future__ import annotations

from typing import Any

from collectors.parse import is_empty, parse_bool, parse_int
from collectors.records import RecordContext, Rejected, _required_id
from dashboard.petitions import DeadlineRules, drop_personal

_CHANNELS = {
    "1": 1,
    "cong dvc quoc gia": 1,
    "cổng dvc quốc gia": 1,
    "cổng dịch vụ công quốc gia": 1,
    "dvcqg": 1,
    "national": 1,
    "portal": 1,
    "2": 2,
    "tinh": 2,
    "tỉnh": 2,
    "hệ thống của tỉnh": 2,
    "province": 2,
    "3": 3,
    "1022": 3,
    "hotline": 3,
    "đường dây nóng": 3,
    "4": 4,
    "trực tiếp": 4,
    "truc tiep": 4,
    "in person": 4,
    "5": 5,
    "thư": 5,
    "thu": 5,
    "văn bản": 5,
    "letter": 5,
}
_STATUSES = {
    "1": 1,
    "tiếp nhận": 1,
    "tiep nhan": 1,
    "received": 1,
    "2": 2,
    "đang xử lý": 2,
    "dang xu ly": 2,
    "processing": 2,
    "3": 3,
    "đã xử lý": 3,
    "da xu ly": 3,
    "handled": 3,
    "4": 4,
    "công khai kết quả": 4,
    "cong khai": 4,
    "published": 4,
    "5": 5,
    "từ chối": 5,
    "tu choi": 5,
    "refused": 5,
    "6": 6,
    "chuyển đơn vị khác": 6,
    "chuyen don vi khac": 6,
    "forwarded": 6,
}
_RATINGS = {
    "1": 1,
    "không hài lòng": 1,
    "khong hai long": 1,
    "dissatisfied": 1,
    "2": 2,
    "bình thường": 2,
    "binh thuong": 2,
    "neutral": 2,
    "3": 3,
    "hài lòng": 3,
    "hai long": 3,
    "satisfied": 3,
}


def _code(data: dict[str, Any], name: str, table: dict[str, int], required: bool) -> int | None:
    raw = data.get(name)
    if is_empty(raw):
        if required:
            raise Rejected(f"missing {name}")
        return None
    key = str(raw).strip().lower()
    if isinstance(raw, float) and raw.is_integer():
        key = str(int(raw))
    try:
        return table[key]
    except KeyError:
        allowed = ", ".join(sorted({str(v) for v in table.values()}))
        raise Rejected(f"{name}: {raw!r} is not one of the codes {allowed}") from None


def _rules(ctx: RecordContext) -> DeadlineRules:
    rules = ctx.__dict__.get("_petition_rules")
    if rules is None:
        try:
            rules = DeadlineRules.from_options((ctx.options or {}).get("deadlines"))
        except ValueError as exc:
            raise Rejected(str(exc)) from None
        ctx.__dict__["_petition_rules"] = rules
    return rules


def scrub(data: dict[str, Any]) -> list[str]:
    """Drop the petitioner's personal fields from a raw row, in place; the names dropped."""
    return drop_personal(data)


def to_petition(data: dict[str, Any], ctx: RecordContext) -> dict[str, Any]:
    status = _code(data, "TrangThai", _STATUSES, required=True)
    received = ctx.when(data, "NgayTiepNhan")
    if received is None:
        raise Rejected("missing NgayTiepNhan")
    handled = ctx.when(data, "NgayXuLy")
    if status in (3, 4) and handled is None:
        raise Rejected(f"TrangThai {status} (handled) without NgayXuLy")
    if status in (1, 2):
        handled = None  # reopened or not yet handled: an old handled time no longer holds
    if handled is not None and handled < received:
        raise Rejected(f"NgayXuLy {handled.isoformat()} is before NgayTiepNhan {received.isoformat()}")
    category = data.get("LinhVuc")
    if is_empty(category):
        raise Rejected("missing LinhVuc")
    category = str(category).strip().lower()[:64]
    try:
        urgent = parse_bool(data.get("KhanCap")) or False
    except ValueError as exc:
        raise Rejected(f"KhanCap: {exc}") from None
    rules = _rules(ctx)
    received_day = ctx.day(received)
    deadline = ctx.when(data, "HanXuLy")
    computed = deadline is None
    deadline_day = rules.deadline(received_day, category, urgent) if computed else ctx.day(deadline)
    if deadline is not None and deadline < received:
        raise Rejected(f"HanXuLy {deadline.isoformat()} is before NgayTiepNhan {received.isoformat()}")
    handled_day = ctx.day(handled)
    ident = _required_id(data, "MaPAKN")
    reference = data.get("SoHieu")
    rating = _code(data, "DanhGia", _RATINGS, required=False)
    if rating is not None and status not in (3, 4):
        rating = None  # a rating belongs to a handled petition
    try:
        channel_raw = (
            parse_int(data.get("KenhTiepNhan")) if not isinstance(data.get("KenhTiepNhan"), str) else None
        )
    except ValueError:
        channel_raw = None
    channel = (
        channel_raw
        if channel_raw in (1, 2, 3, 4, 5)
        else _code(data, "KenhTiepNhan", _CHANNELS, required=True)
    )
    return {
        "source": ctx.source,
        "source_id": ident,
        "reference": ident if is_empty(reference) else str(reference).strip()[:128],
        "unit_id": ctx.unit_id(data, "MaDonVi"),
        "channel": channel,
        "category": category,
        "is_urgent": urgent,
        "received_at": received,
        "deadline_at": deadline,
        "deadline_computed": computed,
        "status": status,
        "handled_at": handled,
        "handled_workdays": rules.calendar.working_days_between(received_day, handled_day)
        if handled_day
        else None,
        "rating": rating,
        "received_day": received_day,
        "deadline_day": deadline_day,
        "handled_day": handled_day,
        "source_updated_at": ctx.when(data, "NgayCapNhat"),
    }
