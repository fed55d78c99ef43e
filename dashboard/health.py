"""Source health for the Sources page and the freshness of every tile.

For each configured source (and any source that reported runs but is no longer configured):
its last run, last success, freshness against its target, the runs, rows and rejects of the last
24 hours, and the last error in plain words (Vietnamese and English) next to the technical text.

The advice is chosen from the run's stable error kind (:class:`dashboard.sourceerrors.ErrorKind`),
never from the English wording of the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from dashboard.models import CollectorRun
from dashboard.redact import redact
from dashboard.sourcecfg import SourceConfig
from dashboard.sourceerrors import ErrorKind
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


# Advice per error kind: (Vietnamese, English, default detail vi, default detail en). ``{d}`` is the
# run's detail (an HTTP status, the variable or option to check, a view, a path) or the default.
_ADVICE: dict[ErrorKind, tuple[str, str, str, str]] = {
    ErrorKind.UNREACHABLE: (
        "Không kết nối được hệ thống nguồn (mạng hoặc máy chủ nguồn đang dừng); hệ thống sẽ tự thử lại.",
        "Cannot reach the source system (network or source server down); collection retries by itself.",
        "",
        "",
    ),
    ErrorKind.TIMEOUT: (
        "Không kết nối được hệ thống nguồn: máy chủ không trả lời kịp thời; hệ thống sẽ tự thử lại. Nếu kéo dài, kiểm tra mạng và tải của máy chủ nguồn.",
        "Cannot reach the source system: it did not answer in time; collection retries by itself. If it persists, check the network and the source server's load.",
        "",
        "",
    ),
    ErrorKind.TLS: (
        "Không thiết lập được kết nối bảo mật (TLS) tới nguồn: chứng chỉ của máy chủ nguồn không hợp lệ hoặc không được tin cậy.",
        "The secure (TLS) connection to the source failed: the source server's certificate is invalid or not trusted.",
        "",
        "",
    ),
    ErrorKind.AUTH: (
        "Máy chủ nguồn từ chối xác thực: kiểm tra {d} trong cấu hình nguồn và biến môi trường tương ứng.",
        "The source server refused authentication: check {d} in the source's configuration and its environment variable.",
        "tài khoản và mật khẩu",
        "the account and password",
    ),
    ErrorKind.SECRET_MISSING: (
        "Thiếu mật khẩu/khóa của nguồn: {d} chưa được đặt.",
        "The source's secret is missing: {d} is not set.",
        "biến môi trường chứa bí mật",
        "the environment variable holding it",
    ),
    ErrorKind.FORBIDDEN: (
        "Máy chủ nguồn không cho phép truy cập (HTTP 403): kiểm tra {d} và quyền của tài khoản này ở hệ thống nguồn.",
        "The source server denied access (HTTP 403): check {d} and this account's rights in the source system.",
        "tài khoản",
        "the account",
    ),
    ErrorKind.NOT_FOUND: (
        "Máy chủ nguồn không có địa chỉ được hỏi ({d}): kiểm tra địa chỉ (options.url) và đường dẫn trong cấu hình nguồn.",
        "The source server has no such address ({d}): check the address (options.url) and paths in the source's configuration.",
        "HTTP 404",
        "HTTP 404",
    ),
    ErrorKind.BAD_REQUEST: (
        "Máy chủ nguồn từ chối yêu cầu ({d}): kiểm tra địa chỉ (options.url) và đường dẫn trong cấu hình nguồn.",
        "The source server refused the request ({d}): check the address (options.url) and paths in the source's configuration.",
        "HTTP 400",
        "HTTP 400",
    ),
    ErrorKind.RATE_LIMITED: (
        "Máy chủ nguồn yêu cầu giảm tần suất truy vấn (HTTP 429); hệ thống chờ theo chỉ dẫn và tự thử lại. Nếu kéo dài, tăng chu kỳ thu thập.",
        "The source server asked us to slow down (HTTP 429); collection waits as told and retries. If it persists, lengthen the interval.",
        "",
        "",
    ),
    ErrorKind.SERVER_ERROR: (
        "Máy chủ nguồn gặp lỗi nội bộ ({d}); hệ thống sẽ tự thử lại.",
        "The source server had an internal error ({d}); collection retries by itself.",
        "HTTP 5xx",
        "HTTP 5xx",
    ),
    ErrorKind.BAD_RESPONSE: (
        "Máy chủ nguồn trả về dữ liệu hỏng hoặc bị cắt giữa chừng; không có gì được ghi dở, hệ thống sẽ đọc lại.",
        "The source server sent a broken or cut-off answer; nothing was half-written, collection reads it again.",
        "",
        "",
    ),
    ErrorKind.SCHEMA: (
        "Bảng/view {d} ở hệ thống nguồn không có hoặc không đúng hợp đồng dữ liệu (thiếu cột?): nhờ quản trị CSDL tạo hoặc sửa view theo hợp đồng.",
        "Table or view {d} in the source system is missing or does not match the data contract (missing column?): ask its DBA to create or fix the contract view.",
        "của nguồn",
        "of the source",
    ),
    ErrorKind.SOURCE_MISSING: (
        "Không có tệp/thư mục của nguồn tại {d}: kiểm tra đường dẫn trong cấu hình nguồn (options.url, options.folder) và ổ chia sẻ đã được gắn; không có gì được tạo ở đó.",
        "The source's file or folder {d} does not exist: check the path in the source's configuration (options.url, options.folder) and that the share is mounted; nothing is created there.",
        "đường dẫn đã cấu hình",
        "at the configured path",
    ),
    ErrorKind.FILE_ACCESS: (
        "Không đọc/ghi được tệp hoặc thư mục của nguồn ({d}): kiểm tra quyền truy cập của tiến trình thu thập.",
        "Cannot read or write the source's files ({d}): check the collector process's permissions.",
        "thư mục nhận tệp",
        "the drop folder",
    ),
    ErrorKind.DISK_FULL: (
        "Ổ đĩa đã đầy ({d}): giải phóng dung lượng; tệp chưa xử lý xong sẽ được đọc lại ở lần sau.",
        "The disk is full ({d}): free some space; files not finished are read again next time.",
        "nơi bộ thu thập ghi",
        "where the collector writes",
    ),
    ErrorKind.CONFIG: (
        "Cấu hình nguồn không hợp lệ: sửa sources.toml theo thông báo kỹ thuật bên dưới.",
        "The source's configuration is not valid: correct sources.toml as the technical message below says.",
        "",
        "",
    ),
    ErrorKind.STORE_UNREACHABLE: (
        "Không ghi được vào CSDL của hệ thống điều hành: kiểm tra máy chủ CSDL; bản ghi lần chạy được lưu lại khi CSDL hoạt động trở lại.",
        "Cannot write to the operations centre's database: check the database server; the run is recorded once it answers again.",
        "",
        "",
    ),
    ErrorKind.INTERRUPTED: (
        "Lần thu thập bị gián đoạn do tiến trình thu thập dừng; phần đã ghi được giữ lại, phần còn lại được đọc lại ở lần sau.",
        "The run was interrupted because the collector process stopped; what was committed stays, the rest is read again next time.",
        "",
        "",
    ),
    ErrorKind.INTERNAL: (
        "Lỗi ngoài dự kiến trong bộ thu thập: báo cho nhóm vận hành kèm thông báo kỹ thuật.",
        "An unexpected failure in the collector: report it to the operations team with the technical message.",
        "",
        "",
    ),
}


def explain_error(error: str | None, kind: str | None = None, detail: str | None = None) -> PlainError | None:
    """The error of a run in plain words, chosen by its :class:`ErrorKind` (never by the wording
    of the message); an unclassified error keeps its technical text.

    >>> explain_error("source 'qlvb' refused the login", "auth", "IOC_QLVB_PASSWORD").vi
    'Máy chủ nguồn từ chối xác thực: kiểm tra IOC_QLVB_PASSWORD trong cấu hình nguồn và biến môi trường tương ứng.'
    >>> explain_error("whatever the adapter says", "timeout").en.startswith("Cannot reach")
    True
    """
    if not error and not kind:
        return None
    try:
        advice = _ADVICE.get(ErrorKind(kind)) if kind else None
    except ValueError:  # a kind written by a newer collector than this web process
        advice = None
    if advice is None:
        return PlainError(f"Lỗi khi thu thập: {error}", f"Collection error: {error}")
    vi, en, default_vi, default_en = advice
    return PlainError(vi.format(d=detail or default_vi), en.format(d=detail or default_en))


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
        failed = run is not None and run.status in ("failed", "partial")
        error = redact(run.error) if failed and run.error else None
        kind = run.error_kind if failed else None
        detail = redact(run.error_detail) if failed and run.error_detail else None
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
                last_error_plain=explain_error(error, kind, detail),
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
    for domain in (
        "documents",
        "dossiers",
        "meetings",
        "procedures",
        "meeting_samples",
        "petitions",
        "tasks",
    ):
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
