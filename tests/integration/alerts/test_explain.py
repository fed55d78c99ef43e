"""Explanation requests (giải trình) on SQLite and PostgreSQL: who may ask and answer (decided from
the principal, never the page), the answer kept with the KPI, unit and period, overdue listing, the
audit of every step and the e-mail to the unit head."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from dashboard import accounts, explain
from dashboard.access import Principal
from dashboard.db import make_sessionmaker
from dashboard.models import Account, AuditEvent, NotificationOutbox

LEADER = Principal("user", 1, "lanh-dao", "Lãnh đạo", (("lanh_dao", "BMP"),))
LEADER_SO79 = Principal("user", 2, "ld-79", "LĐ 79", (("lanh_dao", "SO-79"),))
HEAD_SO01 = Principal("user", 3, "head-01", "Trưởng 01", (("truong_don_vi", "SO-01"),))
HEAD_SO79 = Principal("user", 4, "head-79", "Trưởng 79", (("truong_don_vi", "SO-79"),))
MONDAY = date(2026, 3, 16)


def _ask(session, who=LEADER, unit="SO-01", **kw):
    args = dict(
        kpi_id="DVC-06",
        unit_code=unit,
        period_kind="mtd",
        question="Vì sao tỷ lệ đúng hạn giảm?",
        today=MONDAY,
    )
    args.update(kw)
    return explain.ask(session, who, **args)


def test_ask_answer_follow_up_close_with_audit_and_mail(store):
    with make_sessionmaker(store).begin() as session:
        accounts.add_account(session, "head-01", password=None, grants=[("truong_don_vi", "SO-01")])
        session.scalar(select(Account).where(Account.username == "head-01")).email = "truong01@example.gov.vn"
        request = _ask(session)
        rid = request.id
        assert request.due_on == date(2026, 3, 19)  # three working days
        assert request.period_key == "mtd:2026-03-01:2026-03-16"
    with make_sessionmaker(store).begin() as session:
        [mail] = session.scalars(select(NotificationOutbox)).all()
        assert mail.recipients == ["truong01@example.gov.vn"] and "Yêu cầu giải trình" in mail.subject
        explain.answer(session, HEAD_SO01, rid, "Thiếu cán bộ tháng 3; đã bổ sung.", date(2026, 3, 31))
    with make_sessionmaker(store).begin() as session:
        [row] = explain.requests_in_scope(session, HEAD_SO01, unit_code="SO-01", kpi_id="DVC-06")
        assert (
            row.status == "answered"
            and row.answer.startswith("Thiếu cán bộ")
            and row.planned_on == date(2026, 3, 31)
        )
        explain.follow_up(session, LEADER, rid, "Đề nghị báo cáo lại cuối tháng.", close=False)
    with make_sessionmaker(store).begin() as session:
        [row] = explain.requests_in_scope(session, LEADER)
        assert row.status == "open" and row.follow_up == "Đề nghị báo cáo lại cuối tháng."
        explain.follow_up(session, LEADER, rid, "", close=True)
        with pytest.raises(explain.ExplainError, match="closed"):
            explain.answer(session, HEAD_SO01, rid, "muộn")
    with make_sessionmaker(store)() as session:
        kinds = [k for (k,) in session.execute(select(AuditEvent.kind).order_by(AuditEvent.id))]
    assert kinds == ["explain_requested", "explain_answered", "explain_requested", "explain_closed"]


def test_only_in_scope_and_only_the_right_roles(store):
    with make_sessionmaker(store).begin() as session:
        with pytest.raises(explain.ExplainError, match="not_allowed"):
            _ask(session, who=LEADER_SO79, unit="SO-01")  # outside its scope
        with pytest.raises(explain.ExplainError, match="not_allowed"):
            _ask(session, who=HEAD_SO01)  # a unit head does not ask
        with pytest.raises(explain.ExplainError, match="kpi"):
            _ask(session, kpi_id="XX")
        rid = _ask(session).id
    with make_sessionmaker(store).begin() as session:
        for who, request_id in ((HEAD_SO79, rid), (LEADER, rid), (HEAD_SO01, "1 OR 1=1"), (HEAD_SO01, None)):
            with pytest.raises(explain.ExplainError, match="not_allowed"):
                explain.answer(session, who, request_id, "x")
        with pytest.raises(explain.ExplainError, match="not_allowed"):
            explain.follow_up(session, LEADER_SO79, rid, "x", close=True)
        assert explain.requests_in_scope(session, HEAD_SO79) == []
    with make_sessionmaker(store)() as session:
        denied = session.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert len(denied) >= 5


def test_overdue_requests_are_listed(store):
    with make_sessionmaker(store).begin() as session:
        first = _ask(session).id
        _ask(session, unit="SO-79", today=MONDAY + timedelta(days=7))
        answered = _ask(session, unit="SO-04").id
        explain.answer(
            session, Principal("user", 9, "h2", "h2", (("truong_don_vi", "SO-04"),)), answered, "Đã rõ"
        )
    with make_sessionmaker(store)() as session:
        rows = explain.requests_in_scope(session, LEADER)
    late = explain.overdue(rows, date(2026, 3, 20))
    assert [r.id for r in late] == [first]
