"""Canonical, source-agnostic data (design.md §3). Metadata only, never document content.

Facts (documents, dossiers, meetings) are keyed by ``(source, source_id)`` so every collector
writes idempotently through :func:`dashboard.upsert.upsert`. Times are :class:`UTCDateTime`.
Codes follow domain.md §1: edXML business status ``01``…``16`` for documents, national sync
``TrangThaiHoSo`` 1–10 for dossiers, meeting status 1–4.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from dashboard.timeutil import UTCDateTime, utcnow

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # JSONB on PostgreSQL: it has equality, which the upsert's change detection needs.
    type_annotation_map = {datetime: UTCDateTime(), dict: JSON().with_variant(JSONB(), "postgresql")}


# --- code tables (domain.md §1) -----------------------------------------------------------------
UNIT_LEVELS = ("ministry", "group", "department", "province", "commune")
DOCUMENT_DIRECTIONS = ("in", "out", "internal")
DOCUMENT_CHANNELS = ("axis", "internal", "paper")
DOCUMENT_URGENCIES = ("normal", "khan", "thuong_khan", "hoa_toc")
EDXML_STATUS_CODES = ("01", "02", "03", "04", "05", "06", "13", "15", "16")
DOSSIER_STATUSES = tuple(range(1, 11))
DOSSIER_CHANNELS = (1, 2, 3)  # direct, online, postal
SERVICE_LEVELS = ("full", "partial", "none")  # toàn trình, một phần, không
MEETING_STATUSES = (1, 2, 3, 4)  # awaiting approval, approved, rejected, cancelled
# Citizens' petitions (domain.md §8): 1 national public-service portal, 2 the province's system,
# 3 hotline 1022, 4 in person, 5 letter.
PETITION_CHANNELS = (1, 2, 3, 4, 5)
# 1 tiếp nhận, 2 đang xử lý, 3 đã xử lý, 4 công khai kết quả, 5 từ chối, 6 chuyển đơn vị khác.
PETITION_STATUSES = (1, 2, 3, 4, 5, 6)
PETITION_OPEN = (1, 2)
PETITION_HANDLED = (3, 4)
PETITION_OUT = (5, 6)  # refused, forwarded out: not within the unit's competence
TASK_STATUSES = ("open", "done", "cancelled")  # đang thực hiện, hoàn thành, dừng / hủy


def _in(column: str, values: tuple) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _partial(name: str, *columns: str, where: str | None = None) -> Index:
    """An index of the rows where ``where`` (default: the last column) is not null."""
    condition = text(f"{where or columns[-1]} IS NOT NULL")
    return Index(name, *columns, sqlite_where=condition, postgresql_where=condition)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrgUnit(TimestampMixin, Base):
    """A unit of the agency; the hierarchy drives scope, drill-down and ranking."""

    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    # The unit's code on the national public-service portal (its published 766 scores are keyed by it).
    portal_code: Mapped[str | None] = mapped_column(String(64))  # unique: uq_org_unit_portal_code
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    short_name_vi: Mapped[str | None] = mapped_column(String(80))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[OrgUnit | None] = relationship(remote_side="OrgUnit.id", back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent")

    __table_args__ = (
        CheckConstraint(_in("level", UNIT_LEVELS), name="level"),
        Index("uq_org_unit_portal_code", "portal_code", unique=True),
    )


class Document(Base):
    """One document of the document system, latest known state (sources.md §2.1)."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(128))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    direction: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8))
    is_electronic: Mapped[bool] = mapped_column(Boolean, default=False)
    is_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    is_secret: Mapped[bool] = mapped_column(Boolean, default=False)
    urgency: Mapped[str] = mapped_column(String(12), default="normal")
    registered_at: Mapped[datetime | None]
    # When an incoming document reached the agency (edXML 01 "Đã đến"); VB-04 measures the delay
    # from here to registration. Sources that do not expose it leave it empty (VB-04: no data).
    arrived_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]  # first status >= 03 on the axis (VB-06, VB-07)
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    status_code: Mapped[str | None] = mapped_column(String(2))
    # Local calendar days (agency time zone) of the timestamps above: rollups group by them.
    registered_day: Mapped[date | None] = mapped_column(Date)
    due_day: Mapped[date | None] = mapped_column(Date)
    completed_day: Mapped[date | None] = mapped_column(Date)
    arrived_day: Mapped[date | None] = mapped_column(Date)
    # The local day the document reached its current status (VB-08 counts returns and recalls on
    # it): the edXML status event's time where one exists, else the source row's last update.
    status_day: Mapped[date | None] = mapped_column(Date)
    source_updated_at: Mapped[datetime | None]
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        CheckConstraint(_in("direction", DOCUMENT_DIRECTIONS), name="direction"),
        CheckConstraint(_in("channel", DOCUMENT_CHANNELS), name="channel"),
        CheckConstraint(_in("urgency", DOCUMENT_URGENCIES), name="urgency"),
        CheckConstraint(f"status_code IS NULL OR {_in('status_code', EDXML_STATUS_CODES)}", name="status"),
        Index("ix_document_unit_registered", "unit_id", "registered_day"),
        # Overdue lists: open documents of a unit ordered by due date.
        Index("ix_document_unit_status_due", "unit_id", "status_code", "due_at"),
        # Rollups move by deltas (rollups.Delta), not by recomputing (unit, day) pairs, so no index
        # per day column is kept for them; the arrival one serves the axis funnel of /documents
        # (partial: few sources give the arrival).
        _partial("ix_document_unit_arrived", "unit_id", "arrived_day"),
    )


class Procedure(Base):
    """An administrative procedure (TTHC) and its online service level."""

    __tablename__ = "procedure"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))  # MaTTHC
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    name_vi: Mapped[str] = mapped_column(String(500))
    service_level: Mapped[str] = mapped_column(String(8), default="none")
    has_fee: Mapped[bool] = mapped_column(Boolean, default=False)
    requires_result_document: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source_updated_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("source", "unit_id", "code"),  # the same MaTTHC is offered by many units
        CheckConstraint(_in("service_level", SERVICE_LEVELS), name="service_level"),
    )


class Dossier(Base):
    """One dossier (hồ sơ TTHC) in the national sync vocabulary (domain.md §1.1)."""

    __tablename__ = "dossier"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(128))  # MaHoSo
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    procedure_code: Mapped[str | None] = mapped_column(String(64))  # MaTTHC
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("procedure.id"))
    channel: Mapped[int] = mapped_column(SmallInteger, default=1)  # missing counts as direct
    received_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    status: Mapped[int] = mapped_column(SmallInteger)
    supplement_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    has_fee: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_online: Mapped[int | None] = mapped_column(SmallInteger)  # 1 national portal, 2 own gateway
    has_electronic_result: Mapped[bool] = mapped_column(Boolean, default=False)
    requires_result_document: Mapped[bool] = mapped_column(Boolean, default=True)
    is_digitised: Mapped[bool] = mapped_column(Boolean, default=False)
    synced_national: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[int | None] = mapped_column(SmallInteger)  # 1 dissatisfied … 3 satisfied
    # Local calendar days (agency time zone): rollups group by them, "on time" compares them.
    received_day: Mapped[date | None] = mapped_column(Date)
    due_day: Mapped[date | None] = mapped_column(Date)
    finished_day: Mapped[date | None] = mapped_column(Date)
    source_updated_at: Mapped[datetime | None]
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        CheckConstraint(_in("status", DOSSIER_STATUSES), name="status"),
        CheckConstraint(_in("channel", DOSSIER_CHANNELS), name="channel"),
        CheckConstraint("paid_online IS NULL OR paid_online IN (1, 2)", name="paid_online"),
        CheckConstraint("supplement_count >= 0", name="supplement_count"),
        Index("ix_dossier_unit_received", "unit_id", "received_day"),
        Index("ix_dossier_unit_finished", "unit_id", "finished_day"),
        # Action lists: open dossiers of a unit by due date.
        Index("ix_dossier_unit_status_due", "unit_id", "status", "due_at"),
        Index("ix_dossier_unit_due", "unit_id", "due_day"),
        # "Which services saw an online dossier / an online payment in the period" (DVC-05, 766):
        # one index probe per catalogue entry, whatever the number of dossiers.
        Index("ix_dossier_unit_procedure_channel", "unit_id", "procedure_code", "channel", "received_day"),
        _partial(
            "ix_dossier_unit_procedure_paid",
            "unit_id",
            "procedure_code",
            "paid_online",
            "received_day",
            where="paid_online",
        ),
    )


class Petition(Base):
    """A citizens' petition (phản ánh, kiến nghị — PAKN, domain.md §8): metadata only.

    No personal data of the petitioner is ever stored (no name, phone, address, e-mail, ID
    number): the intake drops such fields before validation and says so (collectors.records).
    ``deadline_at`` is the source's deadline, else ``received`` plus the category's working days
    (collectors.petition_rules); ``handled_workdays`` is the working days from received to handled
    (PAKN-05), computed at intake on the working-day calendar.
    """

    __tablename__ = "petition"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(128))  # MaPAKN
    reference: Mapped[str] = mapped_column(String(128))  # SoHieu shown to users (default MaPAKN)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))  # handling unit
    channel: Mapped[int] = mapped_column(SmallInteger)
    category: Mapped[str] = mapped_column(String(64))  # lĩnh vực code
    is_urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime]
    deadline_at: Mapped[datetime | None]
    deadline_computed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[int] = mapped_column(SmallInteger)
    handled_at: Mapped[datetime | None]
    handled_workdays: Mapped[int | None] = mapped_column(Integer)
    rating: Mapped[int | None] = mapped_column(SmallInteger)  # 1 không hài lòng, 2 bình thường, 3 hài lòng
    received_day: Mapped[date] = mapped_column(Date)
    deadline_day: Mapped[date | None] = mapped_column(Date)
    handled_day: Mapped[date | None] = mapped_column(Date)
    source_updated_at: Mapped[datetime | None]
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        CheckConstraint(_in("status", PETITION_STATUSES), name="status"),
        CheckConstraint(_in("channel", PETITION_CHANNELS), name="channel"),
        CheckConstraint("rating IS NULL OR rating IN (1, 2, 3)", name="rating"),
        Index("ix_petition_unit_received", "unit_id", "received_day"),
        Index("ix_petition_unit_handled", "unit_id", "handled_day"),
        # Action list: open petitions of a unit by deadline.
        Index("ix_petition_unit_status_deadline", "unit_id", "status", "deadline_at"),
    )


class Meeting(Base):
    """An online or on-site meeting from a meeting platform or the e-office meeting module."""

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(128))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    title: Mapped[str | None] = mapped_column(String(500))
    platform: Mapped[str | None] = mapped_column(String(32))
    is_online: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[int] = mapped_column(SmallInteger, default=2)
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    endpoints_scheduled: Mapped[int | None] = mapped_column(Integer)
    endpoints_connected: Mapped[int | None] = mapped_column(Integer)
    participants_peak: Mapped[int | None] = mapped_column(Integer)
    participants_total: Mapped[int | None] = mapped_column(Integer)
    start_day: Mapped[date | None] = mapped_column(Date)  # local calendar day of start_at
    duration_min: Mapped[float | None] = mapped_column(Float)  # end_at − start_at, minutes
    source_updated_at: Mapped[datetime | None]
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    endpoints: Mapped[list[MeetingEndpoint]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        CheckConstraint(_in("status", MEETING_STATUSES), name="status"),
        CheckConstraint(
            "endpoints_connected IS NULL OR endpoints_connected >= 0", name="endpoints_connected"
        ),
        Index("ix_meeting_unit_start", "unit_id", "start_day"),
    )


_JSON = JSON().with_variant(JSONB(), "postgresql")


class Task(Base):
    """A task a directive document assigns to a lead unit (nhiệm vụ được giao, domain.md §7).

    ``due_day`` is the latest approved due date (the original one, or the last extension's);
    ``extensions`` keeps the history, oldest first, each ``{"due": "2026-06-30", "document":
    "123/UBND-TH", "approved": "2026-06-20"}`` (``approved`` may be null when the source does not
    say) — "open and overdue at the end of a past period" reads the due date in force that day.
    A task without a due date ("thường xuyên", ``recurring``) is left out of every timeliness
    figure. No personal data of citizens is ever stored here.
    """

    __tablename__ = "task"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(128))
    directive_ref: Mapped[str] = mapped_column(String(128))  # số ký hiệu, e.g. 45/TB-UBND
    directive_day: Mapped[date | None] = mapped_column(Date)
    directive_issuer: Mapped[str | None] = mapped_column(String(255))
    content: Mapped[str | None] = mapped_column(Text)
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    supporting_units: Mapped[list | None] = mapped_column(_JSON)  # unit codes (ours where known)
    assigned_at: Mapped[datetime | None]
    assigned_day: Mapped[date | None] = mapped_column(Date)
    original_due_day: Mapped[date | None] = mapped_column(Date)
    due_day: Mapped[date | None] = mapped_column(Date)
    extensions: Mapped[list | None] = mapped_column(_JSON)
    recurring: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="open")
    completed_at: Mapped[datetime | None]
    completed_day: Mapped[date | None] = mapped_column(Date)
    result_ref: Mapped[str | None] = mapped_column(String(255))
    source_updated_at: Mapped[datetime | None]
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        CheckConstraint(_in("status", TASK_STATUSES), name="status"),
        CheckConstraint("status <> 'done' OR completed_day IS NOT NULL", name="done_has_day"),
        Index("ix_task_lead_assigned", "lead_unit_id", "assigned_day"),
        # Action lists: a unit's open tasks by due date.
        Index("ix_task_lead_status_due", "lead_unit_id", "status", "due_day"),
    )


class MeetingEndpoint(Base):
    """A connection point (điểm cầu) of a meeting."""

    __tablename__ = "meeting_endpoint"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    endpoint_code: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(255))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    participants: Mapped[int | None] = mapped_column(Integer)

    meeting: Mapped[Meeting] = relationship(back_populates="endpoints")

    __table_args__ = (UniqueConstraint("meeting_id", "endpoint_code"),)


class MeetingSample(Base):
    """A time-stamped live gauge from a meeting server (meetings running, participants now)."""

    __tablename__ = "meeting_sample"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    sampled_at: Mapped[datetime]
    meetings_running: Mapped[int] = mapped_column(Integer)
    participants: Mapped[int] = mapped_column(Integer)
    # Growth of the server's cumulative counters since the previous sample (Jitsi
    # ``total_conferences_created`` / ``total_participants``). A restart resets the counters; the
    # adapter then counts the new value as the growth. Null for the first sample of a source.
    conferences_started: Mapped[int | None] = mapped_column(Integer)
    participants_joined: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("source", "sampled_at"),)


class DossierStat(Base):
    """Aggregated one-stop counts of a unit for a period (OpenCPS ``/o/rest/statistics``).

    For agencies without dossier-level access. Only the KPIs these counts determine are computed
    from them; the others show "no data" for such units rather than a wrong number.
    """

    __tablename__ = "dossier_stat"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # inclusive
    received: Mapped[int | None] = mapped_column(Integer)  # receivedCount
    received_online: Mapped[int | None] = mapped_column(Integer)  # onlineCount
    resolved: Mapped[int | None] = mapped_column(Integer)  # releaseCount (finished in the period)
    resolved_early: Mapped[int | None] = mapped_column(Integer)  # betimesCount
    resolved_on_time: Mapped[int | None] = mapped_column(Integer)  # ontimeCount
    resolved_late: Mapped[int | None] = mapped_column(Integer)  # overtimeCount
    processing: Mapped[int | None] = mapped_column(Integer)  # processingCount (open at period end)
    overdue: Mapped[int | None] = mapped_column(Integer)  # overdueCount (open and past due)
    source_updated_at: Mapped[datetime | None]
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("source", "unit_id", "period_start", "period_end"),
        CheckConstraint("period_end >= period_start", name="period"),
    )


class DocumentStatusEvent(Base):
    """One edXML status packet (QCVN 102:2016) about a document, read from a folder, never acked.

    Applied to the matching document (``document_source`` + ``document_id`` = the document's
    ``source`` + ``source_id``) when it is newer than what the document holds; kept either way so
    a document collected later, and the audit trail, still see it.
    """

    __tablename__ = "document_status_event"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    packet_id: Mapped[str] = mapped_column(String(128))  # stable id of the packet (file digest)
    document_source: Mapped[str] = mapped_column(String(64))
    document_id: Mapped[str] = mapped_column(String(128))  # ResponseFor/DocumentId
    organ_id: Mapped[str | None] = mapped_column(String(64))  # ResponseFor/OrganId
    code: Mapped[str | None] = mapped_column(String(128))  # ResponseFor/Code (số, ký hiệu)
    from_organ: Mapped[str | None] = mapped_column(String(64))  # From/OrganId
    status_code: Mapped[str] = mapped_column(String(2))
    status_at: Mapped[datetime]
    description: Mapped[str | None] = mapped_column(Text)
    staff: Mapped[str | None] = mapped_column(String(255))
    applied: Mapped[bool] = mapped_column(Boolean, default=False)
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("source", "packet_id"),
        CheckConstraint(_in("status_code", EDXML_STATUS_CODES), name="status"),
        Index("ix_document_status_event_document", "document_source", "document_id", "status_at"),
    )


class DailyRollup(Base):
    """(day, unit, metric) → value, kept equal to a full recompute from facts by the collectors.

    ``day`` is the local calendar day (Asia/Ho_Chi_Minh) of the fact's relevant timestamp.
    """

    __tablename__ = "daily_rollup"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        # Covering index: KPI reads sum (metric, day range) over units without touching the table.
        Index("ix_daily_rollup_metric_day_unit_value", "metric", "day", "unit_id", "value"),
    )


class KpiSnapshot(Base):
    """The value of a KPI for a unit at the end of a local day (point-in-time KPIs need it)."""

    __tablename__ = "kpi_snapshot"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    kpi_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)  # null = no value (empty denominator)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_kpi_snapshot_kpi_day", "kpi_id", "day"),)


class OfficialScore(Base):
    """A published score of the national service index (Decision 766/QĐ-TTg) for a unit and a
    period, imported from a CSV (``ioc scores import``); shown as published, never recomputed."""

    __tablename__ = "official_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    # The 100-point total; null when the file gives no total and not every group.
    total: Mapped[float | None] = mapped_column(Float)
    # True when the file gave no total and we added up its six groups (shown as "computed").
    total_computed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The six groups of the index (domain.md §3); null where the publication does not give them.
    transparency: Mapped[float | None] = mapped_column(Float)
    progress: Mapped[float | None] = mapped_column(Float)
    online_services: Mapped[float | None] = mapped_column(Float)
    online_payment: Mapped[float | None] = mapped_column(Float)
    satisfaction: Mapped[float | None] = mapped_column(Float)
    digitisation: Mapped[float | None] = mapped_column(Float)
    published_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("unit_id", "period_start", "period_end"),
        CheckConstraint("total >= 0 AND total <= 100", name="total"),
        CheckConstraint("period_end >= period_start", name="period"),
    )


class IndexIndicatorScore(Base):
    """One indicator of the 766 index for a unit and a period, from outside the store: the
    portal's published per-indicator figures, or an input the store cannot compute (petitions on
    time, fee synchronisation, certified copies …) — see :mod:`dashboard.index_inputs`."""

    __tablename__ = "index_indicator_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    indicator: Mapped[str] = mapped_column(String(32))  # service_index indicator key
    points: Mapped[float | None] = mapped_column(Float)
    ratio: Mapped[float | None] = mapped_column(Float)  # r in 0…1 where the file gives it
    source: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("unit_id", "period_start", "period_end", "indicator"),
        CheckConstraint("period_end >= period_start", name="period"),
    )


class CollectorRun(Base):
    """One run of one source's collector: its health record."""

    __tablename__ = "collector_run"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    #: :class:`dashboard.sourceerrors.ErrorKind` of a failed run, and its detail (an HTTP status,
    #: the variable or option to check, a view or path): the Sources page advises from these.
    error_kind: Mapped[str | None] = mapped_column(String(24))
    error_detail: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)  # the collector process that ran it, on ``host``
    host: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)  # e.g. "recorded after a store outage …"

    __table_args__ = (
        CheckConstraint(_in("status", ("running", "success", "partial", "failed")), name="status"),
        Index("ix_collector_run_source_started", "source", "started_at"),
    )


class CollectorState(Base):
    """The watermark (bookmark) of one source's stream, saved with the rows it covers."""

    __tablename__ = "collector_state"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True, default="default")
    watermark: Mapped[dict | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RejectedRecord(Base):
    """A raw row that could not become a canonical record, kept with the reason."""

    __tablename__ = "rejected_record"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("collector_run.id", ondelete="SET NULL"))
    rejected_at: Mapped[datetime] = mapped_column(default=utcnow)
    file_name: Mapped[str | None] = mapped_column(String(255))
    line_no: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)  # the raw row, as JSON text
    #: row (a value refused), file (a whole file refused), duplicate (id twice in a batch), future
    kind: Mapped[str] = mapped_column(String(16), default="row", server_default="row")

    __table_args__ = (Index("ix_rejected_record_source_rejected", "source", "rejected_at"),)


class DataVersion(Base):
    """A counter the collectors bump on every commit; cache keys include it."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


# --- access (sign-in, scope, screens, audit) -------------------------------------------------------
ROLES = ("lanh_dao", "truong_don_vi", "theo_doi", "quan_tri")


class Account(TimestampMixin, Base):
    """A person who signs in: a local account (Argon2 password) or one known from single sign-on."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)  # lower case
    display_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str | None] = mapped_column(String(255))  # where alerts and briefings go
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: single sign-on only
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Documents marked secret are listed and exported only for accounts holding this permission.
    may_see_secret: Mapped[bool] = mapped_column(Boolean, default=False)
    last_sign_in_at: Mapped[datetime | None]

    grants: Mapped[list[AccessGrant]] = relationship(back_populates="account", cascade="all, delete-orphan")


class AccessGrant(Base):
    """One role over one unit subtree; an account's scope is the union of its grants' subtrees."""

    __tablename__ = "access_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship(back_populates="grants")
    unit: Mapped[OrgUnit] = relationship()

    __table_args__ = (
        UniqueConstraint("account_id", "role", "unit_id"),
        CheckConstraint(_in("role", ROLES), name="role"),
    )


class WebSession(Base):
    """A signed-in browser session, kept on the server so sign-out and revocation are real.
    The browser holds only a random id; the table holds its SHA-256."""

    __tablename__ = "web_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    address: Mapped[str | None] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16), default="password")  # password | oidc
    id_token_hint: Mapped[str | None] = mapped_column(Text)  # for single sign-out (OIDC)


class SignInThrottle(Base):
    """Failed sign-ins per account name and per address, for back-off (shared by all workers)."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "account:name" | "address:ip"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_until: Mapped[datetime | None]


class Screen(TimestampMixin, Base):
    """An enrolled wall screen: a read-only device credential bound to a playlist and a scope."""

    __tablename__ = "screen"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    playlist: Mapped[str] = mapped_column(String(120))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    enrol_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    enrol_expires_at: Mapped[datetime | None]
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    enrolled_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    last_address: Mapped[str | None] = mapped_column(String(64))
    last_slide: Mapped[str | None] = mapped_column(String(500))
    app_version: Mapped[str | None] = mapped_column(String(40))
    last_client_error: Mapped[str | None] = mapped_column(Text)
    last_client_error_at: Mapped[datetime | None]
    reload_requested_at: Mapped[datetime | None]

    unit: Mapped[OrgUnit] = relationship()


class AuditEvent(Base):
    """Append-only record of who did what: sign-ins, denials, exports, screens, accounts."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(160))  # "user:name", "screen:name", "cli"
    address: Mapped[str | None] = mapped_column(String(64))
    unit_code: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")  # ok | denied | failed
    detail: Mapped[dict | None]

    __table_args__ = (Index("ix_audit_event_at", "at"), Index("ix_audit_event_kind_at", "kind", "at"))


# --- notifications, alerts, explanation requests (issue 18) ----------------------------------------
NOTIFY_CHANNELS = ("email", "webhook")
OUTBOX_STATUSES = ("queued", "delivered", "failed")


class NotificationOutbox(Base):
    """A message waiting to leave (e-mail or webhook), with its delivery attempts.

    Written in the same transaction as what caused it (an alert's state change), so a crash either
    keeps both or neither; the collector's :func:`dashboard.notify.deliver_due` sends it, retrying
    with exponential backoff, and records each attempt's error."""

    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    channel: Mapped[str] = mapped_column(String(16))
    recipients: Mapped[list | None] = mapped_column(JSON)  # e-mail addresses; None for a webhook
    subject: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # the text, or the webhook's JSON
    attachments: Mapped[list | None] = mapped_column(JSON)  # [{"name", "type", "data" (base64)}]
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(_in("channel", NOTIFY_CHANNELS), name="channel"),
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        Index("ix_notification_outbox_status_next", "status", "next_attempt_at"),
    )


ALERT_MODES = ("subtree", "each")
ALERT_PERIODS = ("today", "mtd", "reporting")
ALERT_SEVERITIES = ("info", "warning", "critical")
ALERT_STATES = ("ok", "pending", "firing", "acknowledged", "resolved")


class AlertRule(TimestampMixin, Base):
    """KPI × scope × condition × minimum duration × period × severity × recipients × quiet hours."""

    __tablename__ = "alert_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kpi_id: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    mode: Mapped[str] = mapped_column(String(16), default="subtree")  # the subtree, or each unit under it
    period: Mapped[str] = mapped_column(String(16), default="mtd")
    # Explicit thresholds (hysteresis): fire when worse than ``fire_at``, clear when at least as good
    # as ``clear_at``. Both None: from the KPI's targets (fire on red, clear on green).
    fire_at: Mapped[float | None] = mapped_column(Float)
    clear_at: Mapped[float | None] = mapped_column(Float)
    min_duration_s: Mapped[int] = mapped_column(Integer, default=0)
    severity: Mapped[str] = mapped_column(String(16), default="warning")
    recipients: Mapped[list] = mapped_column(JSON, default=list)  # account names and/or e-mail addresses
    webhook: Mapped[bool] = mapped_column(Boolean, default=False)
    quiet_hours: Mapped[bool] = mapped_column(Boolean, default=True)
    reminder_s: Mapped[int | None] = mapped_column(Integer)  # remind while still firing; None: never
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(160))

    unit: Mapped[OrgUnit] = relationship()

    __table_args__ = (
        CheckConstraint(_in("mode", ALERT_MODES), name="mode"),
        CheckConstraint(_in("period", ALERT_PERIODS), name="period"),
        CheckConstraint(_in("severity", ALERT_SEVERITIES), name="severity"),
    )


class AlertState(Base):
    """The state machine of one rule × one unit: ok → pending → firing → acknowledged → resolved.

    ``notice``: a notification decided but not yet queued (held by quiet hours until the morning);
    it is queued, and cleared, in the same transaction."""

    __tablename__ = "alert_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rule.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="ok")
    since: Mapped[datetime] = mapped_column(default=utcnow)  # entered the current state
    pending_since: Mapped[datetime | None]
    fired_at: Mapped[datetime | None]
    value: Mapped[float | None] = mapped_column(Float)
    evaluated_at: Mapped[datetime | None]
    notice: Mapped[str | None] = mapped_column(String(16))  # fired | resolved | reminder
    last_notified_at: Mapped[datetime | None]
    acked_by: Mapped[str | None] = mapped_column(String(160))
    acked_at: Mapped[datetime | None]
    ack_comment: Mapped[str | None] = mapped_column(Text)

    rule: Mapped[AlertRule] = relationship()
    unit: Mapped[OrgUnit] = relationship()

    __table_args__ = (
        UniqueConstraint("rule_id", "unit_id"),
        CheckConstraint(_in("state", ALERT_STATES), name="state"),
    )


class AlertEvent(Base):
    """History: every state change of every rule × unit, with who did it (acknowledgements)."""

    __tablename__ = "alert_event"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rule.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    actor: Mapped[str | None] = mapped_column(String(160))
    comment: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_alert_event_at", "at"),
        Index("ix_alert_event_rule_unit", "rule_id", "unit_id"),
    )


EXPLAIN_STATUSES = ("open", "answered", "closed")


class ExplanationRequest(Base):
    """A leader asks a unit head to explain a KPI of the unit for a period (giải trình)."""

    __tablename__ = "explanation_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    period_key: Mapped[str] = mapped_column(String(40))
    period_label: Mapped[str] = mapped_column(String(120), default="")
    alert_state_id: Mapped[int | None] = mapped_column(ForeignKey("alert_state.id", ondelete="SET NULL"))
    value: Mapped[float | None] = mapped_column(Float)  # the KPI's value when asked
    question: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(160))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="open")
    answer: Mapped[str | None] = mapped_column(Text)
    planned_on: Mapped[date | None]
    answered_by: Mapped[str | None] = mapped_column(String(160))
    answered_at: Mapped[datetime | None]
    follow_up: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[str | None] = mapped_column(String(160))
    closed_at: Mapped[datetime | None]

    unit: Mapped[OrgUnit] = relationship()

    __table_args__ = (
        CheckConstraint(_in("status", EXPLAIN_STATUSES), name="status"),
        Index("ix_explanation_request_kpi_unit_period", "kpi_id", "unit_id", "period_key"),
    )


# --- the morning briefing (dashboard/briefing.py, dashboard/reports.py) ------------------------------
BRIEFING_TEMPLATES = ("daily", "weekly", "monthly", "reporting")


class BriefingSubscription(Base):
    """An account receives the briefing of one scope (a unit subtree, or the whole agency) in one
    template every working morning. ``last_sent_on``: the briefing day last delivered, so a
    collector restarted after 07:00 renders again but never sends twice."""

    __tablename__ = "briefing_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))  # None: all
    scope_key: Mapped[str] = mapped_column(String(80))  # "all" or "<code>+" (kpi.values.Scope.key)
    template: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(255))  # where to deliver (None: not mailed)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sent_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("account_id", "scope_key", "template"),
        CheckConstraint(_in("template", BRIEFING_TEMPLATES), name="template"),
    )


class BriefingReport(Base):
    """A rendered briefing: its scope, template and day, and its two files under
    ``<data dir>/reports`` (paths relative to it). One per scope, template and day: rendering
    again replaces it."""

    __tablename__ = "briefing_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))  # None: all
    scope_key: Mapped[str] = mapped_column(String(80))
    scope_name: Mapped[str] = mapped_column(String(255))
    template: Mapped[str] = mapped_column(String(16))
    report_date: Mapped[date] = mapped_column(Date)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    as_at: Mapped[datetime]
    made_at: Mapped[datetime] = mapped_column(default=utcnow)
    made_by: Mapped[str] = mapped_column(String(160))  # "scheduler", "cli", "user:<name>"
    pdf_path: Mapped[str] = mapped_column(String(500))
    xlsx_path: Mapped[str] = mapped_column(String(500))
    pdf_bytes: Mapped[int] = mapped_column(Integer)
    xlsx_bytes: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        UniqueConstraint("scope_key", "template", "report_date"),
        CheckConstraint(_in("template", BRIEFING_TEMPLATES), name="template"),
        Index("ix_briefing_report_report_date", "report_date"),
    )
