"""Simulated directive tasks (SIMULATED DATA): the ministry's leadership issues directives
(conclusion notices, directives, plans, official letters) on working days; each assigns one to a
few tasks to lead units with supporting units and a deadline in working days (some "thường
xuyên"); units complete them, ask for an extension, or run late — the weak units of the simulated
agency (its performance factor, shared with documents and dossiers) far more often, a few never
finishing.

Every task is a pure function of ``(seed, assignment day, index)``, so the history is the same in
every run, and its state at any moment is its events up to that moment. :class:`TaskSource`
writes the office's follow-up spreadsheet (``collectors/task_template.py``) into a folder that
the real ``file`` adapter reads — the demo's tasks arrive exactly as an office's would::

    source = TaskSource(root / "nhiem-vu", simulator, start=now - timedelta(days=400))
    simulation.after_advance = source.advance   # SimulatedSources calls it after each advance
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from collectors.simulator import AgencySimulator
from collectors.simulator.common import _poisson, _rng
from collectors.task_template import write_workbook

SOURCE_NAME = "mo-phong-nhiem-vu"
#: Directives per working day issued by the ministry's leadership.
DIRECTIVES_PER_DAY = 1.1
#: Deadlines in working days, and their weights.
DEADLINES = ((5, 2), (10, 4), (15, 4), (20, 4), (30, 3), (45, 2), (60, 1))
_KINDS = (
    ("TB-BMP", "Bộ trưởng", "Thông báo kết luận"),
    ("CT-BMP", "Bộ trưởng", "Chỉ thị"),
    ("KH-BMP", "Thứ trưởng", "Kế hoạch"),
    ("BMP-VP", "Văn phòng Bộ", "Công văn"),
    ("TB-BMP", "Thứ trưởng", "Thông báo kết luận"),
)
_ACTIONS = (
    "Rà soát, báo cáo tình hình",
    "Xây dựng kế hoạch triển khai",
    "Hoàn thiện dự thảo văn bản về",
    "Tổng hợp, đánh giá kết quả",
    "Chủ trì kiểm tra, đôn đốc",
    "Đề xuất giải pháp tháo gỡ vướng mắc về",
    "Tham mưu báo cáo Bộ trưởng về",
)
_TOPICS = (
    "chuyển đổi số",
    "cải cách thủ tục hành chính",
    "quản lý đất đai",
    "tài nguyên nước",
    "bảo vệ môi trường",
    "giải ngân vốn đầu tư công",
    "dữ liệu đất đai quốc gia",
    "dịch vụ công trực tuyến toàn trình",
    "ứng phó biến đổi khí hậu",
    "khoáng sản",
)
#: Share of tasks without a deadline ("thường xuyên").
UNTIMED_SHARE = 0.1
#: Simulated spreadsheets are written only this close to the present: the history is in each sheet.
WRITE_WITHIN = timedelta(days=2)


@dataclass(frozen=True)
class SimTask:
    task_id: str
    directive_ref: str
    directive_day: date
    issuer: str
    content: str
    lead: str
    supporting: tuple[str, ...]
    assigned_at: datetime
    due: date | None
    extension: tuple[date, str, datetime] | None = None  # new due, approving document, approved at
    completed_at: datetime | None = None
    result_ref: str | None = None
    cancelled_at: datetime | None = None
    events: tuple[datetime, ...] = field(default=(), compare=False)

    def row(self, at: datetime, names: dict[str, str]) -> dict[str, Any] | None:
        """The spreadsheet row as an office would have it at ``at`` (None: not yet assigned)."""
        if self.assigned_at > at:
            return None
        row: dict[str, Any] = {
            "task_id": self.task_id,
            "directive_ref": self.directive_ref,
            "directive_date": self.directive_day,
            "directive_issuer": self.issuer,
            "content": self.content,
            "lead_unit_code": names.get(self.lead, self.lead),
            "supporting_units": "; ".join(names.get(s, s) for s in self.supporting) or None,
            "assigned_at": self.assigned_at.date(),
            "due_at": self.due if self.due is not None else "Thường xuyên",
            "status": "Đang thực hiện",
        }
        if self.extension is not None and self.extension[2] <= at:
            row.update(
                extended_due_at=self.extension[0],
                extension_ref=self.extension[1],
                extension_approved_at=self.extension[2].date(),
            )
        if self.cancelled_at is not None and self.cancelled_at <= at:
            row["status"] = "Dừng thực hiện"
        elif self.completed_at is not None and self.completed_at <= at:
            row.update(status="Hoàn thành", completed_at=self.completed_at.date(), result_ref=self.result_ref)
        row["updated_at"] = max(e for e in self.events if e <= at).replace(tzinfo=None)
        return row


class TaskGenerator:
    """Directives and their tasks per working day, from the agency simulator's units and calendar."""

    def __init__(self, simulator: AgencySimulator):
        self.sim = simulator
        self.cal = simulator.calendar
        self.tz = simulator.tz
        units = [u for u in simulator.producing_units if u not in ("BMP", "BMP-SO")]
        # Central units carry most directives; provincial departments get the national campaigns.
        self.leads = tuple(units)
        self.weights = tuple(3.0 if u.startswith("BMP-") else 1.0 for u in units)

    def _at(self, day: date, rng) -> datetime:
        return datetime.fromtimestamp(self.cal.office_time(day, rng), self.tz)

    def day(self, day: date) -> list[SimTask]:
        """The tasks assigned on ``day`` (none on days off)."""
        if not self.cal.is_working_day(day):
            return []
        rng = _rng(self.sim.seed, "directives", day.isoformat())
        out: list[SimTask] = []
        for d in range(_poisson(rng, DIRECTIVES_PER_DAY)):
            suffix, issuer, kind = _KINDS[rng.randrange(len(_KINDS))]
            number = day.timetuple().tm_yday * 4 + d
            ref = f"{number}/{suffix}"
            issued = self._at(day, rng)
            for i in range(1 + min(4, _poisson(rng, 1.2))):
                out.append(self._task(f"NV-{day:%Y%m%d}-{d}{i}", ref, kind, issuer, day, issued, rng))
        return out

    def _task(self, task_id, ref, kind, issuer, day, issued, rng) -> SimTask:
        lead = rng.choices(self.leads, self.weights)[0]
        supporting = tuple(
            u
            for u in rng.sample(self.leads, k=min(len(self.leads), rng.choice((0, 0, 1, 1, 2))))
            if u != lead
        )
        content = f"{rng.choice(_ACTIONS)} {rng.choice(_TOPICS)} ({kind.lower()} {ref})"
        assigned = issued + timedelta(hours=rng.uniform(1, 30))
        assigned_day = assigned.date()
        q = self.sim.performance(lead)
        weak = max(0.0, 1.0 - q)  # 0 for the best units, ~0.45 for the weakest
        events = [assigned]
        if rng.random() < UNTIMED_SHARE:
            completed = None
            if rng.random() < 0.3:
                completed = self._at(assigned_day + timedelta(days=rng.randint(30, 120)), rng)
                events.append(completed)
            return SimTask(
                task_id, ref, day, issuer, content, lead, supporting, assigned, None, None, completed,
                f"{rng.randint(10, 999)}/BC-{lead}" if completed else None, None, tuple(events),
            )  # fmt: skip
        workdays = rng.choices([d for d, _ in DEADLINES], [w for _, w in DEADLINES])[0]
        due = self.cal.add_working_days(assigned_day, workdays)
        extension = None
        effective = due
        if rng.random() < 0.08 + 0.5 * weak:  # asked for more time before the deadline
            asked = self.cal.add_working_days(assigned_day, max(1, workdays - rng.randint(1, 4)))
            approved = self._at(asked, rng)
            effective = self.cal.add_working_days(due, rng.choice((5, 10, 15, 30)))
            extension = (effective, f"{rng.randint(100, 2999)}/BMP-VP", approved)
            events.append(approved)
        cancelled = None
        completed = None
        if rng.random() < 0.02:
            cancelled = self._at(assigned_day + timedelta(days=rng.randint(3, 30)), rng)
            events.append(cancelled)
        elif rng.random() < 0.06 + 1.1 * weak:  # late: days to weeks past the deadline
            if rng.random() >= 0.25 * weak * 2:  # the weakest leave some unfinished for months
                late_days = 1 + int(-math.log(1 - rng.random()) * (6 + 30 * weak))
                completed = self._at(effective + timedelta(days=late_days), rng)
        else:
            span = max(0, (effective - assigned_day).days)
            completed = self._at(assigned_day + timedelta(days=int(span * rng.uniform(0.35, 1.0))), rng)
        if completed is not None:
            completed = max(completed, assigned + timedelta(hours=2))
            if extension is not None:  # the extension was asked for while the work went on
                completed = max(completed, extension[2] + timedelta(hours=1))
            events.append(completed)
        return SimTask(
            task_id, ref, day, issuer, content, lead, supporting, assigned, due, extension, completed,
            f"{rng.randint(10, 999)}/BC-{lead}" if completed else None, cancelled, tuple(events),
        )  # fmt: skip


class TaskSource:
    """The follow-up spreadsheet folder of the simulated agency: after each advance of the
    simulated sources that reaches the present, a new workbook holding every task as of then
    (offices send the whole sheet each time), written only when something changed."""

    STATE_FILE = "state.json"

    def __init__(
        self, folder: Path | str, simulator: AgencySimulator, start: datetime, names: dict[str, str]
    ):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.generator = TaskGenerator(simulator)
        self.names = names  # unit code → the name the office writes
        state = self.folder / self.STATE_FILE
        saved = json.loads(state.read_text()) if state.exists() else {}
        self.start = date.fromisoformat(saved["start"]) if "start" in saved else start.date()
        self.written_at: datetime | None = (
            datetime.fromisoformat(saved["written_at"]) if saved.get("written_at") else None
        )
        self._tasks: dict[date, list[SimTask]] = {}
        self.written = 0  # rows in the last workbook written

    def tasks(self, until: date) -> list[SimTask]:
        out, day = [], self.start
        while day <= until:
            if day not in self._tasks:
                self._tasks[day] = self.generator.day(day)
            out.extend(self._tasks[day])
            day += timedelta(days=1)
        return out

    def advance(self, t0: datetime, to: datetime, now: datetime | None = None) -> int:
        """Write the sheet as of ``to`` when ``to`` is near the present and a task changed since
        the last sheet; returns the rows written (0: no new sheet)."""
        now = now or datetime.now(to.tzinfo)
        if now - to > WRITE_WITHIN:
            return 0
        tasks = self.tasks(to.date())
        since = self.written_at
        if since is not None and not any(since < e <= to for t in tasks for e in t.events):
            return 0
        rows = [r for t in tasks if (r := t.row(to, self.names)) is not None]
        write_workbook(self.folder / f"theo-doi-nhiem-vu-{to:%Y%m%d-%H%M%S}.xlsx", rows, as_of=to.date())
        self.written_at = to
        (self.folder / self.STATE_FILE).write_text(
            json.dumps({"start": self.start.isoformat(), "written_at": to.isoformat()})
        )
        self.written = len(rows)
        return len(rows)
