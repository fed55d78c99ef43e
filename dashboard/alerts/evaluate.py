"""Evaluation: the state machine of every rule × unit, and the notifications it decides.

States: ``ok`` → ``pending`` (the fire condition holds, for less than the minimum duration) →
``firing`` → ``acknowledged`` (someone took it, with a comment) → ``resolved`` (the clear condition
holds; then as ``ok``). A value between the fire and the clear threshold changes nothing
(hysteresis); no value (no data) changes nothing either.

Everything one evaluation decides — new states, history rows, queued e-mails and webhook posts —
is committed in one transaction: after a crash or restart the next evaluation starts from the
stored states, so a notification is neither lost nor sent twice. A notification is sent on a state
change only (fired, resolved), again as a reminder while still firing (``reminder_s``), as one
digest per recipient when several are due together, and is held during quiet hours (the rule's
``quiet_hours``) until the next working morning.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, insert, not_, select, update
from sqlalchemy.orm import Session

from dashboard.alerts.quiet import is_quiet
from dashboard.alerts.rules import PERIOD_NAMES, SEVERITY_NAMES
from dashboard.alerts.values import rule_period, rule_values
from dashboard.config import Settings
from dashboard.db import begin_write, make_sessionmaker
from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.display import format_value
from dashboard.kpi.engine import Clock, UnitTree
from dashboard.kpi.maths import status_for
from dashboard.models import AccessGrant, Account, AlertEvent, AlertRule, AlertState
from dashboard.notify import send_email, send_webhook
from dashboard.targets import Targets, load_targets
from dashboard.timeutil import utcnow

log = logging.getLogger(__name__)

ValuesFn = Callable[[Session, list[AlertRule], Clock, Targets, UnitTree], dict[tuple[int, int], float | None]]


@dataclass
class Report:
    rules: int = 0
    states: int = 0
    changes: list[tuple[str, str, str, str]] = field(default_factory=list)  # rule, unit, from, to
    emails: int = 0
    webhooks: int = 0
    held: int = 0

    def summary(self) -> str:
        return (
            f"{self.rules} rule(s), {self.states} state(s): {len(self.changes)} change(s), "
            f"{self.emails} e-mail(s) and {self.webhooks} webhook post(s) queued, {self.held} held (quiet hours)"
        )


def verdict(rule: AlertRule, value: float | None, targets: Targets, unit_code: str | None) -> str | None:
    """``bad`` (fire condition), ``good`` (clear condition), ``between``, or None without a value."""
    if value is None:
        return None
    direction = CATALOGUE[rule.kpi_id].direction
    if rule.fire_at is not None and rule.clear_at is not None:
        if direction == "up":
            return "bad" if value < rule.fire_at else "good" if value >= rule.clear_at else "between"
        return "bad" if value > rule.fire_at else "good" if value <= rule.clear_at else "between"
    t = targets.thresholds(rule.kpi_id, unit_code)
    status = status_for(value, direction, t.green, t.amber)
    return {"red": "bad", "green": "good", "amber": "between"}.get(status)


def _move(
    session: Session, st: AlertState, to: str, now: datetime, actor: str | None = None, comment=None
) -> None:
    session.add(
        AlertEvent(
            rule_id=st.rule_id,
            unit_id=st.unit_id,
            at=now,
            from_state=st.state,
            to_state=to,
            value=st.value,
            actor=actor,
            comment=comment,
        )
    )
    st.state, st.since = to, now


def step(session: Session, st: AlertState, rule: AlertRule, v: str | None, now: datetime) -> None:
    """One evaluation of one rule × unit (the state machine)."""
    if v is None:
        return
    if st.state in ("ok", "resolved", "pending") and v != "bad":
        if st.state == "pending":
            _move(session, st, "ok", now)
            st.pending_since = None
        return
    if st.state in ("ok", "resolved"):  # and bad
        st.pending_since = now
        if rule.min_duration_s > 0:
            _move(session, st, "pending", now)
            return
    if st.state in ("ok", "resolved", "pending"):
        if now - (st.pending_since or now) >= timedelta(seconds=rule.min_duration_s):
            _move(session, st, "firing", now)
            st.fired_at, st.notice = now, "fired"
            st.acked_by = st.acked_at = st.ack_comment = None
        return
    # firing or acknowledged
    if v == "good":
        _move(session, st, "resolved", now)
        st.pending_since = None
        st.notice = "resolved"
    elif (
        st.state == "firing"
        and rule.reminder_s
        and st.notice is None
        and st.last_notified_at is not None
        and now - st.last_notified_at >= timedelta(seconds=rule.reminder_s)
    ):
        st.notice = "reminder"


# --- notifications ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    state: AlertState
    rule: AlertRule
    notice: str
    unit_code: str
    unit_name_vi: str
    unit_name_en: str


_NOTICE = {
    "fired": ("Cảnh báo mới", "New alert"),
    "reminder": ("Nhắc lại: vẫn đang cảnh báo", "Reminder: still firing"),
    "resolved": ("Đã trở lại bình thường", "Resolved"),
}


def _line(item: Item, settings: Settings, lang: str) -> str:
    d = CATALOGUE[item.rule.kpi_id]
    i = 1 if lang == "en" else 0
    unit = item.unit_name_en if lang == "en" else item.unit_name_vi
    value = format_value(item.state.value, d.unit, lang)
    sev = SEVERITY_NAMES[item.rule.severity][i]
    period = PERIOD_NAMES[item.rule.period][i]
    head = f"[{_NOTICE[item.notice][i]}] {sev} — {unit}: {d.id} {d.name(lang)} = {value} ({period})"
    link = f"{settings.link_base}/units/{item.unit_code}"
    return f"{head}\n  {'Rule' if lang == 'en' else 'Quy tắc'}: {item.rule.name}\n  {link}"


def compose(items: list[Item], settings: Settings) -> tuple[str, str]:
    """Subject and body (Vietnamese, then English) of one e-mail about ``items``."""
    if len(items) == 1:
        it = items[0]
        d = CATALOGUE[it.rule.kpi_id]
        subject = (
            f"[IOC] {_NOTICE[it.notice][0]}: {d.name('vi')} — {it.unit_name_vi} "
            f"({format_value(it.state.value, d.unit, 'vi')})"
        )
    else:
        counts = defaultdict(int)
        for it in items:
            counts[it.notice] += 1
        parts = [f"{counts[k]} {label[0].lower()}" for k, label in _NOTICE.items() if counts[k]]
        subject = f"[IOC] Tổng hợp {len(items)} cảnh báo: " + ", ".join(parts)
    vi = "\n\n".join(_line(it, settings, "vi") for it in items)
    en = "\n\n".join(_line(it, settings, "en") for it in items)
    body = (
        f"Kính gửi anh/chị,\n\nHệ thống Trung tâm điều hành thông minh thông báo:\n\n{vi}\n\n"
        f"Xem và xác nhận cảnh báo: {settings.link_base}/alerts\n\n— — —\n\n"
        f"The Intelligent Operations Center reports:\n\n{en}\n\nSee and acknowledge: {settings.link_base}/alerts\n"
    )
    return subject, body


def _recipients(
    session: Session, rules: list[AlertRule], tree: UnitTree
) -> dict[str, tuple[str, set[int] | None]]:
    """recipient entry → (e-mail address, the unit ids it may see; None: every unit of the rule)."""
    from dashboard.access import ROLE_CAPABILITIES

    names = {r for rule in rules for r in rule.recipients or [] if "@" not in r}
    out: dict[str, tuple[str, set[int] | None]] = {}
    if names:
        accounts = session.scalars(select(Account).where(Account.username.in_(names), Account.active)).all()
        grants = defaultdict(list)
        for g in session.scalars(
            select(AccessGrant).where(AccessGrant.account_id.in_([a.id for a in accounts]))
        ):
            if "alerts" in ROLE_CAPABILITIES.get(g.role, ()):
                grants[g.account_id].append(g.unit_id)
        for a in accounts:
            address = a.email or (a.username if "@" in a.username else None)
            if address:
                seen = {u for root in grants[a.id] for u in tree.descendants(root) if root in tree.units}
                out[a.username] = (address, seen)
    for rule in rules:
        for r in rule.recipients or []:
            if "@" in r:
                out[r] = (r, None)
    return out


def notify(session: Session, items: list[Item], settings: Settings, tree: UnitTree, report: Report) -> None:
    if not items:
        return
    who = _recipients(session, list({it.rule.id: it.rule for it in items}.values()), tree)
    per_address: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        for r in it.rule.recipients or []:
            address, seen = who.get(r, (None, None))
            visible = address and (seen is None or it.state.unit_id in seen)
            if visible and it not in per_address[address]:
                per_address[address].append(it)
    for address, mine in sorted(per_address.items()):
        subject, body = compose(mine, settings)
        send_email(session, [address], subject, body)
        report.emails += 1
    hooked = [it for it in items if it.rule.webhook]
    if hooked and settings.webhook_url:
        send_webhook(
            session,
            {
                "kind": "ioc.alerts",
                "alerts": [
                    {
                        "notice": it.notice,
                        "state": it.state.state,
                        "rule": it.rule.name,
                        "kpi": it.rule.kpi_id,
                        "severity": it.rule.severity,
                        "unit": it.unit_code,
                        "unit_name": it.unit_name_vi,
                        "value": it.state.value,
                        "period": it.rule.period,
                        "since": it.state.since.isoformat(),
                        "url": f"{settings.link_base}/units/{it.unit_code}",
                    }
                    for it in hooked
                ],
                "text": "\n".join(_line(it, settings, "vi").splitlines()[0] for it in hooked),
            },
            subject="alerts",
        )
        report.webhooks += 1


# --- one evaluation ---------------------------------------------------------------------------------
_TRACKED = ("state", "since", "pending_since", "fired_at", "notice", "last_notified_at", "acked_by", "acked_at",
            "ack_comment")  # fmt: skip


class _Row:
    """One stored state, as a plain object the state machine changes; remembers what it was."""

    _BLANK = dict.fromkeys((*_TRACKED, "value"))

    def __init__(self, values: dict):
        self.__dict__.update(self._BLANK)
        self.__dict__.update(values)
        self._was = tuple(getattr(self, k) for k in _TRACKED)
        self._was_value = self.value

    def changed(self) -> bool:
        if tuple(getattr(self, k) for k in _TRACKED) != self._was:
            return True
        # An ok state's value is not kept up to date (it is shown for active alerts only).
        return self.state not in ("ok", "resolved") and self.value != self._was_value

    def values(self, now: datetime) -> dict:
        out = {k: getattr(self, k) for k in (*_TRACKED, "value")}
        out["evaluated_at"] = now
        return out


def _write(session: Session, changed: list[_Row], new: list[_Row], now: datetime) -> None:
    if changed:
        session.execute(update(AlertState), [{"id": st.id, **st.values(now)} for st in changed])
    if new:
        session.execute(
            insert(AlertState),
            [{"rule_id": st.rule_id, "unit_id": st.unit_id, **st.values(now)} for st in new],
        )


def evaluate_rules(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime | None = None,
    targets: Targets | None = None,
    values: ValuesFn | None = None,
) -> Report:
    """Evaluate every enabled rule now; commit states, history and notifications together."""
    now = now or utcnow()
    targets = targets or load_targets(settings.targets_file)
    clock = Clock.of(now, settings.tz)
    report = Report()
    with make_sessionmaker(engine)() as session, session.begin():
        begin_write(session)
        rules = list(session.scalars(select(AlertRule).where(AlertRule.enabled).order_by(AlertRule.id)))
        report.rules = len(rules)
        if not rules:
            return report
        tree = UnitTree.load(session)
        found = (values or rule_values)(session, rules, clock, targets, tree)
        # States as plain rows (not ORM objects): 5.500 of them load in milliseconds, and only the
        # ones that changed are written back (one executemany), not every row on every pass.
        # Quiet states (ok or resolved, nothing to send) are most of them: read only their keys; a
        # change of theirs always moves the state, which rewrites every tracked field.
        cols = AlertState.__table__.c
        ids = [r.id for r in rules]
        quiet = and_(cols.state.in_(("ok", "resolved")), cols.notice.is_(None))
        states = {
            (r.rule_id, r.unit_id): _Row(r._asdict())
            for r in session.execute(
                select(cols.id, cols.rule_id, cols.unit_id, cols.state).where(cols.rule_id.in_(ids), quiet)
            )
        }
        states.update(
            ((r.rule_id, r.unit_id), _Row(r._asdict()))
            for r in session.execute(select(*cols).where(cols.rule_id.in_(ids), not_(quiet)))
        )
        by_id = {r.id: r for r in rules}
        quiet_now = is_quiet(now, settings.tz, targets.calendar)
        items: list[Item] = []
        new: list[_Row] = []
        for (rule_id, unit_id), value in found.items():
            rule = by_id[rule_id]
            st = states.get((rule_id, unit_id))
            if st is None:
                st = _Row({"id": None, "rule_id": rule_id, "unit_id": unit_id, "state": "ok", "since": now})
                new.append(st)
            before = st.state
            unit = tree.units[unit_id]
            if value is not None:
                st.value = value
            step(session, st, rule, verdict(rule, value, targets, unit.code), now)
            if st.state != before:
                report.changes.append((rule.name, unit.code, before, st.state))
            report.states += 1
            if st.notice is None:
                continue
            if rule.quiet_hours and quiet_now:
                report.held += 1
                continue
            items.append(Item(st, rule, st.notice, unit.code, unit.name_vi, unit.name_en))
        notify(session, items, settings, tree, report)
        for it in items:
            it.state.notice, it.state.last_notified_at = None, now
        _write(session, [st for st in states.values() if st.changed()], new, now)
    return report


def acknowledge(
    session: Session, state_id: int, actor: str, comment: str, now: datetime | None = None
) -> AlertState:
    """Take a firing alert (the caller has checked the actor's scope): no more reminders for it."""
    st = session.get(AlertState, state_id)
    if st is None or st.state != "firing":
        raise LookupError("this alert is not firing")
    now = now or utcnow()
    _move(session, st, "acknowledged", now, actor=actor, comment=comment)
    st.acked_by, st.acked_at, st.ack_comment = actor, now, comment
    if st.notice == "reminder":
        st.notice = None
    return st


__all__ = ["Report", "acknowledge", "compose", "evaluate_rules", "rule_period", "step", "verdict"]
