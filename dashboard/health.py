"""Source health for the Sources page and the freshness of every tile.

For each configured source (and any source that reported runs but is no longer configured):
its last run, last success, freshness against its target, the runs, rows and rejects of the last
24 hours, and the last error in plain words (Vietnamese and English) next to the technical text.

>>> explain_error("source 'qlvb' refused the login: check the account and IOC_QLVB_PASSWORD").vi
'Nguồn từ chối đăng nhập: kiểm tra tài khoản và mật khẩu (biến môi trường IOC_QLVB_PASSWORD).'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from collectors.base import SourceConfig
from dashboard.models import CollectorRun
from dashboard.redact import redact
from dashboard.timeutil import utcnow

STATES = ("ok", "running", "stale", "error", "refused", "never", "disabled")
# Worse states first: a domain shows the worst state among its sources. "refused": collecting
# works, but a whole file was refused in the last 24 hours (see dashboard.rejects).
_SEVERITY = {"error": 0, "stale": 1, "refused": 2, "never": 3, "running": 4, "ok": 5, "disabled": 6}


@dataclass(frozen=True)
class PlainError:
    vi: str
    en: str

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


_PATTERNS: tuple[tuple[re.Pattern, str, str], ...] = (
    (
        re.compile(r"refused the login.*?(IOC_[A-Z0-9_]+)?$"),
        "Nguồn từ chối đăng nhập: kiểm tra tài khoản và mật khẩu{env_vi}.",
        "The source refused the login: check the account and password{env_en}.",
    ),
    (
        re.compile(r"environment variable (\w+) is not set"),
        "Thiếu biến môi trường {g1} chứa mật khẩu/khóa của nguồn.",
        "The environment variable {g1} holding the source's secret is not set.",
    ),
    (
        re.compile(r"table or view '([^']+)' not found"),
        "Không tìm thấy bảng/view '{g1}' ở hệ thống nguồn: nhờ quản trị CSDL tạo view theo hợp đồng dữ liệu.",
        "Table or view '{g1}' not found in the source system: ask its DBA to create the contract view.",
    ),
    (
        re.compile(r"authentication failed.*?check (.+?)(?: — gave up.*)?$"),
        "Máy chủ nguồn từ chối xác thực: kiểm tra {g1} trong cấu hình nguồn và biến môi trường tương ứng.",
        "The source server refused authentication: check {g1} in the source's configuration and its environment variable.",
    ),
    (
        re.compile(r"rate limited \(HTTP 429\)"),
        "Máy chủ nguồn yêu cầu giảm tần suất truy vấn (HTTP 429); hệ thống chờ theo chỉ dẫn và tự thử lại. Nếu kéo dài, tăng chu kỳ thu thập.",
        "The source server asked us to slow down (HTTP 429); collection waits as told and retries. If it persists, lengthen the interval.",
    ),
    (
        re.compile(r"server error HTTP (\d{3})"),
        "Máy chủ nguồn gặp lỗi nội bộ (HTTP {g1}); hệ thống sẽ tự thử lại.",
        "The source server had an internal error (HTTP {g1}); collection retries by itself.",
    ),
    (
        re.compile(r"malformed (JSON|XML)|the connection to .* broke"),
        "Máy chủ nguồn trả về dữ liệu hỏng hoặc bị cắt giữa chừng; không có gì được ghi dở, hệ thống sẽ đọc lại.",
        "The source server sent a broken or cut-off answer; nothing was half-written, collection reads it again.",
    ),
    (
        re.compile(r"HTTP (4\d\d) at"),
        "Máy chủ nguồn từ chối yêu cầu (HTTP {g1}): kiểm tra địa chỉ (options.url) và đường dẫn trong cấu hình nguồn.",
        "The source server refused the request (HTTP {g1}): check the address (options.url) and paths in the source's configuration.",
    ),
    (
        re.compile(
            r"database unavailable|connection refused|could not connect|cannot connect|timeout|timed out",
            re.I,
        ),
        "Không kết nối được hệ thống nguồn (mạng hoặc máy chủ nguồn đang dừng); hệ thống sẽ tự thử lại.",
        "Cannot reach the source system (network or source server down); collection retries by itself.",
    ),
    (
        re.compile(r"interrupted"),
        "Lần thu thập bị gián đoạn do tiến trình thu thập dừng; phần đã ghi được giữ lại, phần còn lại được đọc lại ở lần sau.",
        "The run was interrupted because the collector process stopped; what was committed stays, the rest is read again next time.",
    ),
    (
        re.compile(r"SQLite database (.+?) does not exist"),
        "Không có tệp CSDL SQLite của nguồn tại {g1}: kiểm tra options.url (không tạo tệp mới ở đường dẫn nguồn).",
        "The source's SQLite database {g1} does not exist: check options.url (nothing is created at a source path).",
    ),
    (
        re.compile(r"drop folder|options\.folder"),
        "Không đọc được thư mục nhận tệp: kiểm tra đường dẫn và quyền truy cập.",
        "Cannot read the drop folder: check its path and permissions.",
    ),
    (
        re.compile(r"query failed|has no column"),
        "Truy vấn nguồn lỗi: view của hệ thống nguồn không đúng hợp đồng dữ liệu (thiếu cột?).",
        "The source query failed: the source's view does not match the data contract (missing column?).",
    ),
)


def explain_error(error: str | None) -> PlainError | None:
    """The error of a run in plain words; unknown errors keep their technical text."""
    if not error:
        return None
    for pattern, vi, en in _PATTERNS:
        match = pattern.search(error)
        if match:
            g1 = match.group(1) if match.groups() and match.group(1) else ""
            env = re.search(r"(IOC_[A-Z0-9_]+)", error)
            env_vi = f" (biến môi trường {env.group(1)})" if env else ""
            env_en = f" ({env.group(1)})" if env else ""
            return PlainError(
                vi.format(g1=g1, env_vi=env_vi, env_en=env_en), en.format(g1=g1, env_vi=env_vi, env_en=env_en)
            )
    return PlainError(f"Lỗi khi thu thập: {error}", f"Collection error: {error}")


@dataclass(frozen=True)
class SourceHealth:
    name: str
    domain: str | None
    adapter: str | None
    configured: bool
    enabled: bool
    interval_s: float | None
    freshness_target_s: float | None
    state: str
    last_run_at: datetime | None
    last_run_status: str | None
    last_run_duration_s: float | None
    last_success_at: datetime | None
    age_s: float | None  # seconds since the last success
    runs_24h: int
    failed_24h: int
    rows_read_24h: int
    rows_inserted_24h: int
    rows_updated_24h: int
    rows_rejected_24h: int
    last_error: str | None
    last_error_plain: PlainError | None
    files_refused_24h: int = 0
    latest_rejects: tuple = ()  # of dashboard.rejects.RejectView: files first, then rows


@dataclass(frozen=True)
class DomainFreshness:
    domain: str
    state: str  # the worst state of the domain's enabled sources
    last_success_at: datetime | None  # the oldest "last success" among them: what the tile can vouch for
    sources: tuple[str, ...]


def source_health(
    session: Session, sources: list[SourceConfig], now: datetime | None = None
) -> list[SourceHealth]:
    now = now or utcnow()
    since = now - timedelta(hours=24)
    configured = {s.name: s for s in sources}
    stats = {
        row.source: row
        for row in session.execute(
            select(
                CollectorRun.source,
                func.count().label("runs"),
                func.sum(case((CollectorRun.status.in_(("failed", "partial")), 1), else_=0)).label("failed"),
                func.sum(CollectorRun.rows_read).label("read"),
                func.sum(CollectorRun.rows_inserted).label("inserted"),
                func.sum(CollectorRun.rows_updated).label("updated"),
                func.sum(CollectorRun.rows_rejected).label("rejected"),
            )
            .where(CollectorRun.started_at >= since)
            .group_by(CollectorRun.source)
        )
    }
    last_success = dict(
        session.execute(
            select(CollectorRun.source, func.max(CollectorRun.finished_at))
            .where(CollectorRun.status == "success")
            .group_by(CollectorRun.source)
        ).all()
    )
    latest_ids = select(func.max(CollectorRun.id).label("id")).group_by(CollectorRun.source).subquery()
    last_runs = {
        r.source: r
        for r in session.scalars(select(CollectorRun).join(latest_ids, CollectorRun.id == latest_ids.c.id))
    }
    names = list(configured) + sorted(set(last_runs) - set(configured))
    from dashboard.rejects import reject_summaries

    rejects = reject_summaries(session, names, now)
    out = []
    for name in names:
        config = configured.get(name)
        run = last_runs.get(name)
        stat = stats.get(name)
        success_at = last_success.get(name)
        age = (now - success_at).total_seconds() if success_at else None
        target = config.freshness_target_s if config else None
        if config is not None and not config.enabled:
            state = "disabled"
        elif run is None:
            state = "never"
        elif run.status in ("failed", "partial"):
            state = "error"
        elif target is not None and (age is None or age > target):
            state = "stale"
        elif run.status == "running" and success_at is None:
            state = "running"
        else:
            state = "ok"
        if state in ("ok", "running") and rejects[name].files_refused_24h:
            state = "refused"
        # The last error worth telling: the latest failed run's, while the source is not healthy.
        # Redacted again on the way out: runs stored by an older version may hold a URL password.
        error = (
            redact(run.error)
            if run is not None and run.status in ("failed", "partial") and run.error
            else None
        )
        out.append(
            SourceHealth(
                name=name,
                domain=config.domain if config else None,
                adapter=config.adapter if config else None,
                configured=config is not None,
                enabled=config.enabled if config else False,
                interval_s=config.interval_s if config else None,
                freshness_target_s=target,
                state=state,
                last_run_at=run.started_at if run else None,
                last_run_status=run.status if run else None,
                last_run_duration_s=run.duration_s if run else None,
                last_success_at=success_at,
                age_s=age,
                runs_24h=int(stat.runs) if stat else 0,
                failed_24h=int(stat.failed or 0) if stat else 0,
                rows_read_24h=int(stat.read or 0) if stat else 0,
                rows_inserted_24h=int(stat.inserted or 0) if stat else 0,
                rows_updated_24h=int(stat.updated or 0) if stat else 0,
                rows_rejected_24h=int(stat.rejected or 0) if stat else 0,
                last_error=error,
                last_error_plain=explain_error(error),
                files_refused_24h=rejects[name].files_refused_24h,
                latest_rejects=rejects[name].latest,
            )
        )
    return out


# Sources whose data feeds another domain's tiles: OpenCPS aggregates stand in for dossiers of
# the units without dossier-level access, edXML status packets move documents' statuses.
_FEEDS = {"dossier_stats": "dossiers", "document_status": "documents"}


def domain_freshness(health: list[SourceHealth]) -> dict[str, DomainFreshness]:
    """Per domain, the state a tile must show: stale, error and never are never hidden."""
    out: dict[str, DomainFreshness] = {}
    for domain in ("documents", "dossiers", "meetings", "procedures", "meeting_samples", "tasks"):
        members = [h for h in health if _FEEDS.get(h.domain, h.domain) == domain and h.enabled]
        if not members:
            continue
        worst = min(members, key=lambda h: _SEVERITY[h.state]).state
        successes = [h.last_success_at for h in members]
        oldest = None if any(s is None for s in successes) else min(successes)
        out[domain] = DomainFreshness(domain, worst, oldest, tuple(h.name for h in members))
    return out


def latest_run_marker(session: Session) -> int:
    """Changes whenever any collector records a run: part of the health cache key."""
    return session.scalar(select(func.max(CollectorRun.id))) or 0
