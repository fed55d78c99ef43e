"""Stored briefings, subscriptions, the morning job and the downloads.

    render_and_store(session, settings, unit, day, template)   gather, render, keep (files + row)
    subscribe(session, username, unit, template, email=None)   an account's morning briefing
    morning_job(engine, settings, send=…)                      every subscription, on working days
    GET /reports/file/<id>.pdf | .xlsx                         a download, scope checked, audited

Files live under ``<data dir>/reports/YYYY/MM/`` and the ``briefing_report`` row says which scope,
template and day they hold; rendering the same scope, template and day again replaces both.

Delivery is injected: ``send(to, subject, text, attachments)`` with ``attachments`` a list of
``(file name, bytes, MIME type)``; without it the job renders and keeps the files (downloadable at
``/reports``) and sends nothing. A subscription remembers the day it was last sent, so a collector
restarted after the briefing time renders again but never sends twice.

Scope: a report of a unit subtree may be downloaded by a principal whose *export* scope holds that
unit; a whole-agency report only by a principal whose export scope holds every root — the same rule
as the pages (:mod:`dashboard.access`). Anything else is a 404, and the refusal is audited.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dashboard import access, audit, briefing
from dashboard.access import Principal
from dashboard.briefing_render import to_pdf, to_xlsx
from dashboard.config import Settings
from dashboard.errors import IocError
from dashboard.models import Account, BriefingReport, BriefingSubscription, OrgUnit
from dashboard.timeutil import utcnow

log = logging.getLogger(__name__)

#: ``send(to, subject, text, attachments)``: the notification feature's mailer (injected).
Send = Callable[[str, str, str, list[tuple[str, bytes, str]]], None]
PDF_TYPE = "application/pdf"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportError(IocError):
    """A report request that cannot be done (unknown account or unit, scope not allowed)."""


@dataclass(frozen=True)
class StoredReport:
    id: int
    unit_code: str | None  # None: the whole agency
    scope_key: str
    scope_name: str
    template: str
    report_date: date
    period_start: date
    period_end: date
    as_at: datetime
    made_at: datetime
    made_by: str
    pdf_bytes: int
    xlsx_bytes: int
    summary: str


def reports_dir(settings: Settings) -> Path:
    return settings.data_dir / "reports"


def _slug(text: str) -> str:
    """ASCII file-name part: ``Toàn cơ quan`` → ``toan-co-quan``."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = plain.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60] or "bao-cao"


def file_stem(unit_code: str | None, template: str, day: date) -> str:
    """``bao-cao-giao-ban_so-01_daily_2026-12-07``: what the files and downloads are called."""
    return f"bao-cao-giao-ban_{_slug(unit_code or 'toan-co-quan')}_{template}_{day.isoformat()}"


def _write(path: Path, data: bytes) -> None:
    """Write atomically (a download never reads half a file)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # figures of the agency: private
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _stored(row: BriefingReport, unit_code: str | None) -> StoredReport:
    return StoredReport(
        row.id,
        unit_code,
        row.scope_key,
        row.scope_name,
        row.template,
        row.report_date,
        row.period_start,
        row.period_end,
        row.as_at,
        row.made_at,
        row.made_by,
        row.pdf_bytes,
        row.xlsx_bytes,
        row.summary,
    )


# --- rendering ----------------------------------------------------------------------------------------
def render(
    session: Session,
    settings: Settings,
    unit: str | None,
    day: date,
    template: str = "daily",
    *,
    sources: tuple = (),
    made_at: datetime | None = None,
) -> tuple[briefing.Briefing, bytes, bytes]:
    """Gather and render one briefing (nothing stored)."""
    from dashboard.targets import load_targets

    made_at = made_at or utcnow()
    b = briefing.gather(
        session,
        unit,
        day,
        template,
        tz=settings.tz,
        targets=load_targets(settings.targets_file),
        lang=settings.language,
        agency=settings.agency_name_en if settings.language == "en" else settings.agency_name_vi,
        sources=sources,
    )
    return b, to_pdf(b, made_at), to_xlsx(b, made_at)


def render_and_store(
    session: Session,
    settings: Settings,
    unit: str | None,
    day: date,
    template: str = "daily",
    *,
    made_by: str = "cli",
    sources: tuple = (),
) -> tuple[StoredReport, briefing.Briefing, bytes, bytes]:
    """Render and keep a briefing (the caller commits ``session``); replaces the same scope,
    template and day."""
    made_at = utcnow()
    b, pdf, xlsx = render(session, settings, unit, day, template, sources=sources, made_at=made_at)
    row = session.scalar(
        select(BriefingReport).where(
            BriefingReport.scope_key == b.scope.key,
            BriefingReport.template == template,
            BriefingReport.report_date == day,
        )
    )
    stem = file_stem(b.scope.code, template, day)
    relative = Path(f"{day:%Y}") / f"{day:%m}" / stem
    root = reports_dir(settings)
    _write(root / relative.with_suffix(".pdf"), pdf)
    _write(root / relative.with_suffix(".xlsx"), xlsx)
    if row is None:
        row = BriefingReport(scope_key=b.scope.key, template=template, report_date=day)
        session.add(row)
    row.unit_id = b.scope.unit_id
    row.scope_name = b.scope.name(settings.language)[:255]
    row.period_start, row.period_end = b.period.start, b.period.end
    row.as_at = b.as_at
    row.made_at = made_at
    row.made_by = made_by[:160]
    row.pdf_path = str(relative.with_suffix(".pdf"))
    row.xlsx_path = str(relative.with_suffix(".xlsx"))
    row.pdf_bytes, row.xlsx_bytes = len(pdf), len(xlsx)
    row.summary = briefing.summary_line(b)
    session.flush()
    return _stored(row, b.scope.code), b, pdf, xlsx


# --- scope ------------------------------------------------------------------------------------------
def _export_scope(session: Session, principal: Principal | None) -> tuple[frozenset[str], bool]:
    """(unit codes the principal may export, whether that holds the whole agency)."""
    if principal is None or not principal.can("export"):
        return frozenset(), False
    tree = access.unit_tree(session)
    inside = access.subtree_codes(tree, principal.roots("export"))
    tops = {u.code for u in tree if u.parent_code is None}
    return inside, bool(tops) and tops <= inside


def may_read(session: Session, principal: Principal | None, unit_code: str | None) -> bool:
    """Whether ``principal`` may read a briefing of ``unit_code`` (None: the whole agency)."""
    inside, whole = _export_scope(session, principal)
    return whole if unit_code is None else unit_code in inside


def own_scope(session: Session, principal: Principal | None) -> str | None:
    """The scope "render now" makes for ``principal``: the whole agency (None) when its export
    scope holds it, else its first export root. :class:`ReportError` when it exports nothing."""
    inside, whole = _export_scope(session, principal)
    if whole:
        return None
    for code in principal.roots("export") if principal else ():
        if code in inside:
            return code
    raise ReportError("this account may not export any unit")


def _rows(session: Session, limit: int):
    return session.execute(
        select(BriefingReport, OrgUnit.code)
        .outerjoin(OrgUnit, OrgUnit.id == BriefingReport.unit_id)
        .order_by(BriefingReport.report_date.desc(), BriefingReport.made_at.desc(), BriefingReport.id.desc())
        .limit(limit)
    ).all()


def list_reports(
    session: Session, principal: Principal | None = None, limit: int = 200
) -> list[StoredReport]:
    """The newest stored briefings; with ``principal``, only those within its export scope."""
    rows = _rows(session, limit if principal is None else max(limit, 2000))
    if principal is None:
        return [_stored(r, code) for r, code in rows]
    inside, whole = _export_scope(session, principal)
    out = [_stored(r, code) for r, code in rows if (whole if code is None else code in inside)]
    return out[:limit]


def get_report(session: Session, report_id: int) -> tuple[StoredReport, BriefingReport] | None:
    row = session.execute(
        select(BriefingReport, OrgUnit.code)
        .outerjoin(OrgUnit, OrgUnit.id == BriefingReport.unit_id)
        .where(BriefingReport.id == report_id)
    ).first()
    return None if row is None else (_stored(row[0], row[1]), row[0])


# --- subscriptions ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Subscription:
    id: int
    username: str
    unit_code: str | None
    template: str
    email: str | None
    active: bool
    last_sent_on: date | None


def subscribe(
    session: Session, username: str, unit: str | None, template: str, email: str | None = None
) -> Subscription:
    """Add (or re-activate) an account's subscription. The scope must lie within the account's
    export scope, as a download would."""
    from dashboard.accounts import principal_for

    if template not in briefing.TEMPLATES:
        raise ReportError(f"unknown template {template!r}; expected one of {', '.join(briefing.TEMPLATES)}")
    account = session.scalar(select(Account).where(Account.username == username.lower()))
    if account is None:
        raise ReportError(f"no account {username!r} (see: ioc users list)")
    unit_id = None
    if unit is not None:
        unit_id = session.scalar(select(OrgUnit.id).where(OrgUnit.code == unit))
        if unit_id is None:
            raise ReportError(f"no unit {unit!r} (see: ioc units list)")
    if not may_read(session, principal_for(session, account), unit):
        raise ReportError(
            f"account {username!r} may not read the briefing of {unit or 'the whole agency'}: "
            "its roles do not export that scope"
        )
    scope_key = "all" if unit is None else f"{unit}+"
    row = session.scalar(
        select(BriefingSubscription).where(
            BriefingSubscription.account_id == account.id,
            BriefingSubscription.scope_key == scope_key,
            BriefingSubscription.template == template,
        )
    )
    if row is None:
        row = BriefingSubscription(account_id=account.id, scope_key=scope_key, template=template)
        session.add(row)
    row.unit_id, row.active = unit_id, True
    if email is not None:
        row.email = email or None
    session.flush()
    return Subscription(row.id, account.username, unit, template, row.email, True, row.last_sent_on)


def unsubscribe(session: Session, subscription_id: int) -> bool:
    row = session.get(BriefingSubscription, subscription_id)
    if row is None:
        return False
    session.delete(row)
    return True


def list_subscriptions(session: Session) -> list[Subscription]:
    rows = session.execute(
        select(BriefingSubscription, Account.username, OrgUnit.code)
        .join(Account, Account.id == BriefingSubscription.account_id)
        .outerjoin(OrgUnit, OrgUnit.id == BriefingSubscription.unit_id)
        .order_by(Account.username, BriefingSubscription.id)
    ).all()
    return [
        Subscription(s.id, name, code, s.template, s.email, s.active, s.last_sent_on)
        for s, name, code in rows
    ]


# --- the morning job ---------------------------------------------------------------------------------
@dataclass
class MorningResult:
    day: date
    working_day: bool
    rendered: list[int]  # report ids
    sent: list[int]  # subscription ids
    skipped: list[tuple[int, str]]  # (subscription id, why)


def _message(report: StoredReport, b: briefing.Briefing) -> tuple[str, str]:
    lang = b.lang
    subject = f"{b.title.capitalize()}: {report.scope_name} — {report.report_date:%d/%m/%Y}"
    lines = [
        f"{b.title} — {b.subtitle}",
        *(f"{k}: {v}" for k, v in briefing.header_rows(b)),
        "",
        briefing.summary_line(b),
        "",
        "Tệp PDF và XLSX đính kèm; tải lại tại trang /reports."
        if lang == "vi"
        else "PDF and XLSX attached; download again at /reports.",
    ]
    return subject, "\n".join(lines)


def _due_subscriptions(session: Session):
    return session.execute(
        select(BriefingSubscription, Account, OrgUnit.code)
        .join(Account, Account.id == BriefingSubscription.account_id)
        .outerjoin(OrgUnit, OrgUnit.id == BriefingSubscription.unit_id)
        .where(BriefingSubscription.active.is_(True), Account.active.is_(True))
        .order_by(BriefingSubscription.id)
    ).all()


def run_subscriptions(
    engine: Engine, settings: Settings, day: date, *, send: Send | None = None, sources: tuple = ()
) -> MorningResult:
    """Render every subscribed scope × template once for ``day`` and deliver each subscription
    not yet sent that day (when ``send`` is given and the subscription has an address)."""
    from dashboard.accounts import principal_for
    from dashboard.db import make_sessionmaker

    sessions = make_sessionmaker(engine)
    result = MorningResult(day, True, [], [], [])
    made: dict[tuple[str, str], tuple[StoredReport, briefing.Briefing, bytes, bytes] | None] = {}
    with sessions() as session:
        due = _due_subscriptions(session)
        for sub, account, code in due:
            if not may_read(session, principal_for(session, account), code):
                result.skipped.append((sub.id, "scope no longer allowed"))
                log.warning(
                    "briefing subscription %d of %s: scope %s no longer allowed",
                    sub.id,
                    account.username,
                    code,
                )
                continue
            key = (sub.scope_key, sub.template)
            if key not in made:
                try:
                    made[key] = render_and_store(
                        session, settings, code, day, sub.template, made_by="scheduler", sources=sources
                    )
                    session.commit()
                except Exception:  # one scope's failure must not cost every other its briefing
                    session.rollback()
                    log.exception("briefing of %s (%s) for %s failed", code or "all", sub.template, day)
                    made[key] = None
                else:
                    result.rendered.append(made[key][0].id)
            if made[key] is None:
                result.skipped.append((sub.id, "render failed"))
                continue
            if send is None or not sub.email:
                continue
            if sub.last_sent_on == day:
                result.skipped.append((sub.id, "already sent"))
                continue
            report, b, pdf, xlsx = made[key]
            subject, text = _message(report, b)
            stem = file_stem(code, report.template, report.report_date)
            try:
                send(
                    sub.email,
                    subject,
                    text,
                    [(f"{stem}.pdf", pdf, PDF_TYPE), (f"{stem}.xlsx", xlsx, XLSX_TYPE)],
                )
            except Exception:
                log.exception("briefing subscription %d: sending to %s failed", sub.id, sub.email)
                result.skipped.append((sub.id, "send failed"))
                continue
            sub.last_sent_on = day
            session.commit()
            result.sent.append(sub.id)
    return result


def morning_job(
    engine: Engine,
    settings: Settings,
    *,
    send: Send | None = None,
    now: Callable[[], datetime] | None = None,
    sources: tuple = (),
) -> MorningResult:
    """The scheduled job (IOC_BRIEFING_TIME, every day): on a working day of the calendar
    (targets.toml adjustments included) render and deliver every subscription; on a weekend or
    holiday do nothing."""
    from dashboard.targets import load_targets

    moment = now() if now is not None else utcnow()
    today = moment.astimezone(settings.tz).date()
    calendar = load_targets(settings.targets_file).calendar
    if not calendar.is_working_day(today):
        log.info("briefing: %s is not a working day, nothing rendered", today)
        return MorningResult(today, False, [], [], [])
    result = run_subscriptions(engine, settings, today, send=send, sources=sources)
    log.info(
        "briefing %s: %d report(s) rendered, %d sent, %d skipped",
        today,
        len(result.rendered),
        len(result.sent),
        len(result.skipped),
    )
    return result


# --- downloads -------------------------------------------------------------------------------------------
def download(report_id: int, fmt: str):
    """``GET /reports/file/<id>.<pdf|xlsx>``: the file, when the principal's export scope holds the
    report's scope; 404 otherwise (a report outside the scope is not acknowledged to exist)."""
    from flask import abort, request, send_file

    from dashboard.auth import client_address
    from dashboard.webapp import read_session, store

    if fmt not in ("pdf", "xlsx"):
        abort(404)
    principal = access.current_principal()
    ctx = store()
    with read_session() as session:
        found = get_report(session, report_id)
        allowed = found is not None and may_read(session, principal, found[0].unit_code)
    if not allowed:
        audit.record_now(
            ctx.sessions,
            "denied",
            actor=principal.actor if principal else None,
            address=client_address(),
            outcome="denied",
            path=request.path[:300],
            needs="export",
        )
        abort(404)
    report, row = found
    root = reports_dir(ctx.settings).resolve()
    path = (root / (row.pdf_path if fmt == "pdf" else row.xlsx_path)).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        abort(404)
    audit.record_now(
        ctx.sessions,
        "export",
        actor=principal.actor if principal else None,
        address=client_address(),
        unit_code=report.unit_code or "*",
        format=fmt,
        report=report.id,
        template=report.template,
        report_date=report.report_date.isoformat(),
    )
    response = send_file(
        path,
        mimetype=PDF_TYPE if fmt == "pdf" else XLSX_TYPE,
        as_attachment=True,
        download_name=f"{file_stem(report.unit_code, report.template, report.report_date)}.{fmt}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(server) -> None:
    """Register the download route (the sign-in gate and ``/reports`` → ``export`` apply)."""
    if "ioc_report_file" not in server.view_functions:
        server.add_url_rule("/reports/file/<int:report_id>.<fmt>", "ioc_report_file", download)


__all__ = [
    "MorningResult",
    "ReportError",
    "StoredReport",
    "Subscription",
    "init_app",
    "list_reports",
    "list_subscriptions",
    "may_read",
    "morning_job",
    "own_scope",
    "render_and_store",
    "run_subscriptions",
    "subscribe",
    "unsubscribe",
]
