"""Alert rules and their state machine on SQLite and PostgreSQL: hysteresis, minimum duration,
quiet hours, restart in the middle of pending/firing, digest, reminder — and, end to end, a rule
fed by the real KPI engine whose e-mail reaches a real SMTP server and whose webhook post a real
receiver verifies."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from dashboard import accounts
from dashboard.alerts import RuleError, RuleSpec, acknowledge, add_rule, evaluate_rules
from dashboard.alerts.values import rule_units
from dashboard.db import make_engine, make_sessionmaker
from dashboard.kpi.engine import UnitTree
from dashboard.models import Account, AlertEvent, AlertState, NotificationOutbox, OrgUnit
from dashboard.notify import deliver_due
from dashboard.notify.mailsink import MailSink
from dashboard.timeutil import VN_TZ
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.integration.kpis.conftest import NOW, dossier, feed

MONDAY_10 = datetime(2026, 3, 16, 10, 0, tzinfo=VN_TZ)  # a working day, working hours
SATURDAY_10 = datetime(2026, 3, 21, 10, 0, tzinfo=VN_TZ)
MONDAY_0705 = datetime(2026, 3, 23, 7, 5, tzinfo=VN_TZ)


class Values:
    """KPI values the test sets per unit code (what the engine would read), for the state machine."""

    def __init__(self, **by_unit: float | None):
        self.by_unit = dict(by_unit)

    def __call__(self, session, rules, clock, targets, tree):
        return {(r.id, u): self.by_unit.get(tree.units[u].code) for r in rules for u in rule_units(r, tree)}


def _add(engine, **kwargs) -> int:
    spec = RuleSpec(
        **{"name": "r", "kpi_id": "DVC-06", "unit": "SO-01", "recipients": ["an@example.gov.vn"], **kwargs}
    )
    with make_sessionmaker(engine).begin() as session:
        return add_rule(session, spec).id


def _mails(engine) -> list[NotificationOutbox]:
    with make_sessionmaker(engine)() as session:
        return list(
            session.scalars(
                select(NotificationOutbox)
                .where(NotificationOutbox.channel == "email")
                .order_by(NotificationOutbox.id)
            )
        )


def _state(engine, unit="SO-01") -> AlertState:
    with make_sessionmaker(engine)() as session:
        return session.scalar(
            select(AlertState).join(OrgUnit, OrgUnit.id == AlertState.unit_id).where(OrgUnit.code == unit)
        )


@pytest.fixture
def run(store, make_settings):
    settings = make_settings()

    def evaluate(values: Values, now: datetime, engine=None):
        return evaluate_rules(engine or store, settings, now=now, values=values)

    evaluate.settings = settings
    return evaluate


# --- validation -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kpi_id": "XX-99"}, "unknown KPI 'XX-99'"),
        ({"fire_at": 0.9, "clear_at": 0.8}, "thresholds the wrong way round: DVC-06 is better when higher"),
        (
            {"kpi_id": "VB-07", "fire_at": 24, "clear_at": 48},
            "thresholds the wrong way round: VB-07 is better when lower",
        ),
        ({"unit": "NOPE"}, "unknown unit 'NOPE': the scope is empty"),
        ({"unit": ""}, "empty scope"),
        ({"kpi_id": "VB-01"}, "no good or bad direction"),
        ({"fire_at": 80, "clear_at": 90}, "give the fire threshold as a fraction"),
        ({"fire_at": 0.8}, "give both --fire-at and --clear-at"),
        ({"recipients": ["ghost"]}, "unknown account 'ghost'"),
    ],
)
def test_invalid_rules_are_refused_with_a_clear_error(store, kwargs, message):
    with pytest.raises(RuleError, match=message.replace("(", r"\(")):
        _add(store, **kwargs)


def test_a_duplicate_name_is_refused(store):
    _add(store)
    with pytest.raises(RuleError, match="exists already"):
        _add(store)


# --- the state machine --------------------------------------------------------------------------------
def test_a_value_oscillating_around_the_threshold_fires_once(store, run):
    _add(store, fire_at=0.80, clear_at=0.90, quiet_hours=False)
    now = MONDAY_10
    for value in (0.85, 0.79, 0.81, 0.79, 0.82, 0.78, 0.89, 0.79):
        run(Values(**{"SO-01": value}), now)
        now += timedelta(minutes=5)
    assert len(_mails(store)) == 1
    assert _state(store).state == "firing"
    run(Values(**{"SO-01": 0.90}), now)  # at the clear threshold: resolved, said once
    run(Values(**{"SO-01": 0.88}), now + timedelta(minutes=5))  # between: stays resolved
    mails = _mails(store)
    assert len(mails) == 2 and "Đã trở lại bình thường" in mails[1].subject
    assert _state(store).state == "resolved"
    with make_sessionmaker(store)() as session:
        moves = session.execute(
            select(AlertEvent.from_state, AlertEvent.to_state).order_by(AlertEvent.id)
        ).all()
    assert moves == [("ok", "firing"), ("firing", "resolved")]


def test_targets_give_the_hysteresis_red_fires_green_clears(store, run):
    _add(store, quiet_hours=False)  # DVC-06: green ≥ 95 %, amber ≥ 85 %
    run(Values(**{"SO-01": 0.84}), MONDAY_10)
    assert _state(store).state == "firing"
    run(Values(**{"SO-01": 0.90}), MONDAY_10 + timedelta(minutes=1))  # amber: still firing
    assert _state(store).state == "firing"
    run(Values(**{"SO-01": 0.95}), MONDAY_10 + timedelta(minutes=2))
    assert _state(store).state == "resolved"
    assert len(_mails(store)) == 2


def test_minimum_duration(store, run):
    _add(store, fire_at=0.8, clear_at=0.9, min_duration_s=600, quiet_hours=False)
    t0 = MONDAY_10
    run(Values(**{"SO-01": 0.5}), t0)
    assert _state(store).state == "pending" and _mails(store) == []
    run(Values(**{"SO-01": 0.5}), t0 + timedelta(seconds=599))
    assert _state(store).state == "pending"
    run(Values(**{"SO-01": 0.85}), t0 + timedelta(seconds=650))  # no longer bad: back to ok, silently
    assert _state(store).state == "ok" and _mails(store) == []
    run(Values(**{"SO-01": 0.5}), t0 + timedelta(seconds=700))  # pending again, from here
    run(Values(**{"SO-01": 0.5}), t0 + timedelta(seconds=1250))
    assert _state(store).state == "pending"
    run(Values(**{"SO-01": 0.5}), t0 + timedelta(seconds=1300))
    assert _state(store).state == "firing" and len(_mails(store)) == 1


def test_no_data_changes_nothing(store, run):
    _add(store, fire_at=0.8, clear_at=0.9, quiet_hours=False)
    run(Values(**{"SO-01": 0.5}), MONDAY_10)
    run(Values(**{"SO-01": None}), MONDAY_10 + timedelta(minutes=1))
    assert _state(store).state == "firing" and _state(store).value == 0.5


def test_quiet_hours_hold_notifications_until_the_working_morning(store, run):
    _add(store, name="quiet", fire_at=0.8, clear_at=0.9)
    _add(store, name="loud", kpi_id="DVC-07", fire_at=0.8, clear_at=0.9, quiet_hours=False)
    values = Values(**{"SO-01": 0.5})
    report = run(values, SATURDAY_10)
    assert report.held == 1
    [loud] = _mails(store)  # the rule without quiet hours speaks at once
    assert "Trước hạn" in loud.body or "DVC-07" in loud.body
    run(values, SATURDAY_10 + timedelta(hours=20))  # Sunday morning: still quiet
    run(values, MONDAY_0705 - timedelta(minutes=10))  # Monday 06:55: still quiet
    assert len(_mails(store)) == 1
    report = run(values, MONDAY_0705)
    mails = _mails(store)
    assert len(mails) == 2 and "DVC-06" in mails[1].body and report.held == 0
    run(values, MONDAY_0705 + timedelta(minutes=5))
    assert len(_mails(store)) == 2  # said once


def test_restart_in_the_middle_of_pending_and_firing(store, run, databases):
    _add(store, fire_at=0.8, clear_at=0.9, min_duration_s=600, quiet_hours=False)
    bad = Values(**{"SO-01": 0.5})
    run(bad, MONDAY_10)
    assert _state(store).state == "pending"
    # "Restart": a new engine (a new process) on the same database; nothing in memory survives.
    url = store.url.render_as_string(hide_password=False)
    store.dispose()
    second = make_engine(url)
    run(bad, MONDAY_10 + timedelta(seconds=600), engine=second)
    assert _state(second).state == "firing" and len(_mails(second)) == 1
    second.dispose()
    third = make_engine(url)
    run(bad, MONDAY_10 + timedelta(seconds=900), engine=third)
    assert len(_mails(third)) == 1  # not repeated after the restart
    third.dispose()


def test_a_crash_before_the_commit_neither_loses_nor_repeats(store, run, monkeypatch):
    _add(store, fire_at=0.8, clear_at=0.9, quiet_hours=False)
    import dashboard.alerts.evaluate as ev

    real = ev.notify

    def crash(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("process killed here")

    monkeypatch.setattr(ev, "notify", crash)
    with pytest.raises(RuntimeError):
        run(Values(**{"SO-01": 0.5}), MONDAY_10)
    assert _mails(store) == [] and (_state(store) is None or _state(store).state == "ok")
    monkeypatch.setattr(ev, "notify", real)
    run(Values(**{"SO-01": 0.5}), MONDAY_10 + timedelta(minutes=1))
    run(Values(**{"SO-01": 0.5}), MONDAY_10 + timedelta(minutes=2))
    assert len(_mails(store)) == 1


def test_many_firing_together_make_one_digest_per_recipient(store, run):
    with make_sessionmaker(store).begin() as session:
        accounts.add_account(session, "binh", password=None, grants=[("truong_don_vi", "SO-01")])
        session.scalar(select(Account).where(Account.username == "binh")).email = "binh@example.gov.vn"
    _add(
        store,
        name="each",
        unit="BMP",
        mode="each",
        fire_at=0.8,
        clear_at=0.9,
        quiet_hours=False,
        recipients=["an@example.gov.vn", "binh"],
    )
    _add(
        store,
        name="other",
        kpi_id="DVC-07",
        fire_at=0.8,
        clear_at=0.9,
        quiet_hours=False,
        recipients=["an@example.gov.vn"],
    )
    with make_sessionmaker(store)() as session:
        tree = UnitTree.load(session)
        codes = [tree.units[u].code for u in tree.descendants(tree.by_code("BMP").id)]
    run(Values(**{c: 0.5 for c in codes}), MONDAY_10)
    mails = _mails(store)
    by_address = {tuple(m.recipients): m for m in mails}
    assert set(by_address) == {("an@example.gov.vn",), ("binh@example.gov.vn",)}
    an = by_address[("an@example.gov.vn",)]
    assert an.subject.startswith("[IOC] Tổng hợp") and an.body.count("[Cảnh báo mới]") > 10
    # binh heads SO-01: only the alerts of his unit reach him.
    binh = by_address[("binh@example.gov.vn",)]
    assert binh.body.count("[Cảnh báo mới]") == 1 and "/units/SO-01" in binh.body


def test_reminder_while_firing_stops_when_acknowledged(store, run):
    _add(store, fire_at=0.8, clear_at=0.9, quiet_hours=False, reminder_s=3600)
    bad = Values(**{"SO-01": 0.5})
    run(bad, MONDAY_10)
    run(bad, MONDAY_10 + timedelta(minutes=30))
    assert len(_mails(store)) == 1
    run(bad, MONDAY_10 + timedelta(minutes=60))
    mails = _mails(store)
    assert len(mails) == 2 and "Nhắc lại" in mails[1].subject
    run(bad, MONDAY_10 + timedelta(minutes=61))
    assert len(_mails(store)) == 2
    with make_sessionmaker(store).begin() as session:
        acknowledge(session, _state(store).id, "user:an", "Đang xử lý, đã giao phòng chuyên môn")
    run(bad, MONDAY_10 + timedelta(minutes=200))
    assert len(_mails(store)) == 2 and _state(store).state == "acknowledged"
    run(Values(**{"SO-01": 0.95}), MONDAY_10 + timedelta(minutes=201))
    assert _state(store).state == "resolved" and len(_mails(store)) == 3


# --- end to end: real KPI values, real SMTP server, real webhook receiver -------------------------------
def test_a_red_kpi_fires_and_reaches_the_mail_server_and_the_webhook(store, make_settings):
    # DVC-02 (online dossiers) of SO-01: 4 dossiers at the counter → 0 % → red against 50 %/20 %.
    feed(store, "dossiers", [dossier(str(i)) for i in range(4)])
    secret = "webhook-secret-0123456789"
    with MailSink() as sink, WebhookReceiver(secret) as receiver:
        settings = make_settings(
            smtp_host="127.0.0.1",
            smtp_port=sink.port,
            webhook_url=receiver.url,
            webhook_secret=secret,
            public_url="https://ioc.example.gov.vn",
        )
        _add(store, name="online", kpi_id="DVC-02", quiet_hours=False, webhook=True)
        report = evaluate_rules(store, settings, now=NOW)
        assert report.changes == [("online", "SO-01", "ok", "firing")]
        assert deliver_due(store, settings)["delivered"] == 2
        msg = sink.messages[0]
        assert "Tỷ lệ hồ sơ trực tuyến" in msg["Subject"] and "0,00 %" in msg["Subject"]
        assert "https://ioc.example.gov.vn/units/SO-01" in msg.get_body(("plain",)).get_content()
        [hit] = receiver.received
        assert hit["json"]["alerts"][0]["unit"] == "SO-01" and hit["json"]["alerts"][0]["notice"] == "fired"
        # Four online dossiers: 50 % → green → resolved.
        feed(store, "dossiers", [dossier(f"n{i}", KenhThucHien=2) for i in range(4)])
        report = evaluate_rules(store, settings, now=NOW + timedelta(minutes=1))
        assert report.changes == [("online", "SO-01", "firing", "resolved")]
    with make_sessionmaker(store)() as session:
        assert session.scalar(select(func.count()).select_from(AlertEvent)) == 2


def test_a_published_766_score_for_exactly_the_period_is_what_the_rule_watches(store, make_settings):
    from dashboard.kpi.periods import Period
    from dashboard.models import OfficialScore

    period = Period.reporting_containing(NOW.date())
    with make_sessionmaker(store).begin() as session:
        so01 = session.scalar(select(OrgUnit.id).where(OrgUnit.code == "SO-01"))
        session.add(OfficialScore(unit_id=so01, period_start=period.start, period_end=period.end, total=61.5,
                                  source="test"))  # fmt: skip
    _add(store, name="766", kpi_id="DVC-14", period="reporting", fire_at=70, clear_at=80, quiet_hours=False)
    report = evaluate_rules(store, make_settings(), now=NOW)
    assert report.changes == [("766", "SO-01", "ok", "firing")]
    assert _state(store).value == 61.5
