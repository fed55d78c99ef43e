"""The codes of the sources in words, for everything a person reads: dossier statuses
(TrangThaiHoSo 1–10), edXML document statuses (01–16), document directions and procedures by name.

>>> status_name("dossier", "4", "vi"), status_name("document", "05", "en"), direction_name("internal", "vi")
('Đang xử lý', 'Being handled', 'Nội bộ')
>>> status_name("dossier", "99", "en")
'Status 99'
"""

from __future__ import annotations

from dashboard.i18n import normalise_language

#: TrangThaiHoSo (docs: /work/shared/domain.md §1.1).
DOSSIER_STATUS = {
    "1": ("Mới đăng ký", "Newly registered"),
    "2": ("Đã tiếp nhận", "Accepted"),
    "3": ("Không được tiếp nhận", "Refused at intake"),
    "4": ("Đang xử lý", "Being processed"),
    "5": ("Chờ bổ sung giấy tờ", "Awaiting documents"),
    "6": ("Chờ nghĩa vụ tài chính", "Awaiting payment"),
    "7": ("Công dân rút hồ sơ", "Withdrawn by the applicant"),
    "8": ("Dừng xử lý", "Processing stopped"),
    "9": ("Đã xử lý xong", "Processing completed"),
    "10": ("Đã trả kết quả", "Result returned"),
}
#: edXML status codes of the national document axis (§1.2).
DOCUMENT_STATUS = {
    "01": ("Đã đến, chờ tiếp nhận", "Arrived, awaiting acceptance"),
    "02": ("Từ chối tiếp nhận", "Rejected"),
    "03": ("Đã tiếp nhận", "Accepted"),
    "04": ("Đã phân công", "Assigned"),
    "05": ("Đang xử lý", "Being handled"),
    "06": ("Hoàn thành", "Completed"),
    "13": ("Bị thu hồi", "Recalled"),
    "15": ("Đồng ý cập nhật / thu hồi", "Update or recall accepted"),
    "16": ("Từ chối cập nhật / thu hồi", "Update or recall refused"),
}
DIRECTIONS = {
    "in": ("Văn bản đến", "Incoming"),
    "out": ("Văn bản đi", "Outgoing"),
    "internal": ("Nội bộ", "Internal"),
}


def in_language(pair: tuple[str, str], lang: str) -> str:
    """The Vietnamese or English half of a (vi, en) pair."""
    return pair[1] if normalise_language(lang) == "en" else pair[0]


def status_name(kind: str, code: str | None, lang: str = "vi") -> str:
    """A dossier's or document's status in words; an unknown code says it is a code."""
    if not code:
        return ""
    table = DOSSIER_STATUS if kind == "dossier" else DOCUMENT_STATUS
    key = str(code).strip()
    pair = table.get(key) or (table.get(key.zfill(2)) if kind != "dossier" else None)
    if pair:
        return in_language(pair, lang)
    return f"{'Status' if normalise_language(lang) == 'en' else 'Trạng thái'} {key}"


def direction_name(direction: str | None, lang: str = "vi") -> str:
    if not direction:
        return ""
    pair = DIRECTIONS.get(direction)
    return in_language(pair, lang) if pair else direction
