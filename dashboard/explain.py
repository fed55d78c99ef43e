"""Explanation requests (giải trình): a leader asks a unit head to explain a KPI of the unit for a
period; the unit head answers in the app (text, optional planned date); the leader follows up or
closes. Everything is kept (``explanation_request``) and shown next to the KPI on the unit page and
on /alerts; requests past their due date are listed as overdue; every step is audited.

Who may do what is decided here, from the principal (dashboard/access.py), never from the page:
``explain_ask`` (lanh_dao) over its scope asks, follows up and closes; ``explain_answer``
(truong_don_vi) answers for the units of its own scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit
from dashboard.access import Principal, scope_codes
from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.periods import Period, PeriodError
from dashboard.kpi.workdays import WorkingCalendar
from dashboard.models import AccessGrant, Account, ExplanationRequest, OrgUnit
from dashboard.timeutil import utcnow

DEFAULT_WORKING_DAYS = 3  # a request is due three working days after it is made
PERIOD_KINDS = ("today", "week", "mtd", "month", "reporting", "qtd", "ytd")


class ExplainError(ValueError):
    """A request the principal may not make, or one with a missing field (the message says which)."""


@dataclass(frozen=True)
class RequestRow:
    id: int
    kpi_id: str
    unit_code: str
    unit_name_vi: str
    unit_name_en: str
    period_key: str
    period_label: str
    value: float | None
    question: str
    requested_by: str
    requested_at: datetime
    due_on: date
    status: str
    answer: str | None
    planned_on: date | None
    answered_by: str | None
    answered_at: datetime | None
    follow_up: str | None

    def overdue(self, today: date) -> bool:
        return self.status == "open" and self.due_on < today


def _due(today: date, calendar: WorkingCalendar, days: int = DEFAULT_WORKING_DAYS) -> date:
    day = today
    for _ in range(days):
        day = calendar.next_working_day(day)
    return day


def _text(value: object, limit: int = 4000) -> str:
    return str(value or "").strip()[:limit]


def ask(
    session: Session,
    principal: Principal,
    *,
    kpi_id: object,
    unit_code: object,
    period_kind: object,
    question: object,
    today: date,
    calendar: WorkingCalendar | None = None,
    value: float | None = None,
    alert_state_id: int | None = None,
    address: str | None = None,
) -> ExplanationRequest:
    """A leader asks the head of ``unit_code`` to explain ``kpi_id`` over the period."""
    if not principal.can("explain_ask"):
        raise ExplainError("not_allowed")
    code = _text(unit_code, 64)
    if code not in scope_codes(session, principal, "explain_ask"):
        audit.record(session, "explain_requested", actor=principal.actor, address=address, outcome="denied",
                     unit=code[:64])  # fmt: skip
        raise ExplainError("not_allowed")
    if kpi_id not in CATALOGUE:
        raise ExplainError("kpi")
    if period_kind not in PERIOD_KINDS:
        raise ExplainError("period")
    text = _text(question)
    if not text:
        raise ExplainError("question")
    try:
        period = Period.parse(str(period_kind), today)
    except PeriodError:
        raise ExplainError("period") from None
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    request = ExplanationRequest(
        kpi_id=str(kpi_id),
        unit_id=unit.id,
        period_key=period.key,
        period_label=period.label("vi"),
        alert_state_id=alert_state_id,
        value=value,
        question=text,
        requested_by=principal.actor,
        due_on=_due(today, calendar or WorkingCalendar()),
    )
    session.add(request)
    session.flush()
    audit.record(session, "explain_requested", actor=principal.actor, address=address, unit_code=code,
                 request=request.id, kpi=str(kpi_id), period=period.key)  # fmt: skip
    _notify_heads(session, request, unit)
    return request


def _notify_heads(session: Session, request: ExplanationRequest, unit: OrgUnit) -> None:
    """E-mail the unit's heads (truong_don_vi granted on the unit itself) that have an address."""
    from dashboard.notify import send_email

    heads = session.scalars(
        select(Account)
        .join(AccessGrant, AccessGrant.account_id == Account.id)
        .where(AccessGrant.unit_id == unit.id, AccessGrant.role == "truong_don_vi", Account.active)
    ).all()
    addresses = [a.email or a.username for a in heads if "@" in (a.email or a.username)]
    if not addresses:
        return
    d = CATALOGUE[request.kpi_id]
    send_email(
        session,
        addresses,
        f"[IOC] Yêu cầu giải trình: {d.name('vi')} — {unit.name_vi}",
        f"Kính gửi anh/chị,\n\n{request.requested_by} đề nghị đơn vị {unit.name_vi} giải trình chỉ tiêu "
        f"{d.id} {d.name('vi')}, {request.period_label}, trước ngày {request.due_on:%d/%m/%Y}.\n\n"
        f"Nội dung: {request.question}\n\nTrả lời trên trang Cảnh báo và giải trình (/alerts).\n\n— — —\n\n"
        f"An explanation of {d.id} {d.name('en')} is requested by {request.due_on:%Y-%m-%d}; answer on /alerts.\n",
    )


def _own(session: Session, principal: Principal, request_id: object, capability: str) -> ExplanationRequest:
    try:
        rid = int(request_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ExplainError("not_allowed") from None
    request = session.get(ExplanationRequest, rid)
    codes = scope_codes(session, principal, capability) if principal.can(capability) else frozenset()
    if request is None or request.unit.code not in codes:
        raise ExplainError("not_allowed")
    return request


def answer(
    session: Session,
    principal: Principal,
    request_id: object,
    text: object,
    planned_on: date | None = None,
    address: str | None = None,
) -> ExplanationRequest:
    """The unit head answers (again, while it is not closed)."""
    try:
        request = _own(session, principal, request_id, "explain_answer")
    except ExplainError:
        audit.record(session, "explain_answered", actor=principal.actor, address=address, outcome="denied",
                     request=str(request_id)[:40])  # fmt: skip
        raise
    body = _text(text)
    if not body:
        raise ExplainError("answer")
    if request.status == "closed":
        raise ExplainError("closed")
    request.answer, request.planned_on = body, planned_on
    request.answered_by, request.answered_at, request.status = principal.actor, utcnow(), "answered"
    audit.record(session, "explain_answered", actor=principal.actor, address=address, unit_code=request.unit.code,
                 request=request.id)  # fmt: skip
    return request


def follow_up(
    session: Session,
    principal: Principal,
    request_id: object,
    text: object,
    close: bool,
    address: str | None = None,
) -> ExplanationRequest:
    """The leader closes the request, or asks again (back to open, with the follow-up text)."""
    try:
        request = _own(session, principal, request_id, "explain_ask")
    except ExplainError:
        audit.record(session, "explain_closed", actor=principal.actor, address=address, outcome="denied",
                     request=str(request_id)[:40])  # fmt: skip
        raise
    note = _text(text)
    if not close and not note:
        raise ExplainError("follow_up")
    if note:
        request.follow_up = note
    if close:
        request.status, request.closed_by, request.closed_at = "closed", principal.actor, utcnow()
    else:
        request.status = "open"
    audit.record(session, "explain_closed" if close else "explain_requested", actor=principal.actor,
                 address=address, unit_code=request.unit.code, request=request.id, follow_up=bool(note))  # fmt: skip
    return request


def requests_in_scope(
    session: Session,
    principal: Principal | None,
    *,
    unit_code: str | None = None,
    kpi_id: str | None = None,
    limit: int = 300,
) -> list[RequestRow]:
    """Requests about units the principal may see (newest first), optionally of one unit / KPI."""
    if principal is None:
        return []
    codes = scope_codes(session, principal, "view")
    if unit_code is not None:
        codes = codes & {unit_code}
    if not codes:
        return []
    stmt = (
        select(ExplanationRequest, OrgUnit)
        .join(OrgUnit, OrgUnit.id == ExplanationRequest.unit_id)
        .where(OrgUnit.code.in_(codes))
        .order_by(ExplanationRequest.requested_at.desc())
        .limit(limit)
    )
    if kpi_id is not None:
        stmt = stmt.where(ExplanationRequest.kpi_id == kpi_id)
    return [
        RequestRow(
            r.id,
            r.kpi_id,
            u.code,
            u.name_vi,
            u.name_en,
            r.period_key,
            r.period_label,
            r.value,
            r.question,
            r.requested_by,
            r.requested_at,
            r.due_on,
            r.status,
            r.answer,
            r.planned_on,
            r.answered_by,
            r.answered_at,
            r.follow_up,
        )  # fmt: skip
        for r, u in session.execute(stmt).all()
    ]


def overdue(rows: list[RequestRow], today: date) -> list[RequestRow]:
    return sorted((r for r in rows if r.overdue(today)), key=lambda r: r.due_on)


__all__ = ["ExplainError", "RequestRow", "answer", "ask", "follow_up", "overdue", "requests_in_scope"]
