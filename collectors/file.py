"""CSV / XLSX drop folder (sources.md §2.2): the fallback when an agency cannot give us a view.

Someone (a nightly job or a person) exports a report into a folder. Each file is **streamed**:
read row by row (CSV through ``csv.reader``, XLSX through openpyxl's read-only mode) and handed to
the runner ``batch_rows`` rows at a time, so memory stays flat whatever the file's size. Only
after the file's last batch is committed does ``after_commit`` move it to ``archive/``; a file
whose batches did not all commit stays where it is and is read again on the next run, which the
runner's idempotent upserts make harmless.

The adapter never changes a file; the only things it ever does to the folder are these moves:
to ``archive/`` once imported, and to ``failed/`` when refused, with ``NAME.reason.txt`` beside
it saying why (in English, with what to do). A file is refused at once when it cannot be read at
all (size, encoding, no header, a damaged or inflating workbook); a file whose reading fails
midway (a per-file limit on rows or wall time, a corrupt part, the collector dying on it) is left
for one more try, then refused: a file can never stall or exhaust the collector run after run.
Which files are being tried is part of the source's watermark, committed before the first row.

Options (in the source's ``options`` table)::

    folder = "/srv/ioc/drop/qlvb"           # required
    pattern = ["*.csv", "*.xlsx"]           # default "*.csv"; file names, case-insensitive
    columns = { "Mã văn bản" = "doc_id", "Đơn vị" = "unit_code", "Ngày đăng ký" = "registered_at" }
    required_columns = ["doc_id"]           # default []
    # archive = "<folder>/archive", failed = "<folder>/failed", encoding = "auto" (or e.g. "cp1258"),
    # delimiter = "auto" (";", ",", tab), sheet = <first sheet>, settle_seconds = 2,
    # totals_markers = ["tổng cộng", "tổng", "cộng", "total"],
    # per-file limits: max_file_bytes = 200 MB (on disk), max_inflated_bytes = 2 GB (what an XLSX
    # unzips to), max_rows = 5000000, max_file_seconds = 900; batch_rows = 5000

A real export looks like this (line numbers on the left)::

    1  BÁO CÁO VĂN BẢN ĐẾN;;;
    2  Từ ngày 01/03/2025 đến 31/03/2025;;;
    3
    4  STT;Mã văn bản;Đơn vị;Ngày đăng ký
    5  1;VB-001;STP;03/03/2025
    6  Tổng cộng;;;1

and gives ``Batch(description="vbden.csv", rows=[RawRow(data={"doc_id": "VB-001",
"unit_code": "STP", "registered_at": "03/03/2025"}, line_no=5, file_name="vbden.csv")])``
(after a row-less batch that records the attempt). Values stay raw (the runner parses them);
only blank cells become ``None`` and text is put in Unicode NFC form, because exports mix
composed and decomposed Vietnamese.

A refused file gives a batch with no rows and one :class:`RawReject` of kind ``file`` saying
what to do, and its ``after_commit`` moves it to ``failed/``.
"""

from __future__ import annotations

import codecs
import csv
import fnmatch
import itertools
import logging
import os
import re
import shutil
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from collectors.base import (
    Adapter,
    Batch,
    ErrorKind,
    FatalSourceError,
    RawReject,
    RawRow,
    SourceConfig,
    os_error_kind,
)
from collectors.personal import CHECKED_DOMAINS, personal_columns

log = logging.getLogger(__name__)

DEFAULT_PATTERN = "*.csv"
DEFAULT_TOTALS_MARKERS = ("tổng cộng", "tổng", "cộng", "total")
DEFAULT_MAX_FILE_BYTES = 200 * 1024 * 1024
#: Per-file limits on what a file may cost, whatever its size on disk: what an XLSX inflates to
#: (a legitimate 200 MB workbook inflates to ~1,5 GB of XML), data rows, and wall time.
DEFAULT_MAX_INFLATED_BYTES = 2 * 1024 * 1024 * 1024
DEFAULT_MAX_ROWS = 5_000_000
DEFAULT_MAX_FILE_SECONDS = 900.0
#: Rows per batch (one transaction each): memory stays flat whatever the file's size.
DEFAULT_BATCH_ROWS = 5000
#: A file whose reading fails (or times out, or kills the process) this often goes to failed/.
MAX_TRIES = 2
DEFAULT_SETTLE_SECONDS = 2.0
#: The header must start within this many physical lines (CSV) or rows (XLSX).
HEADER_SEARCH_ROWS = 30
#: Tried in this order when ``delimiter = "auto"``; Vietnamese Excel writes ";" (decimal comma).
DELIMITER_CANDIDATES = (";", ",", "\t")
XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")
#: Names that are still being written or belong to an editor: Excel's lock files (``~$x.xlsx``),
#: hidden files, and the temporary names copy tools use before renaming.
TEMP_PREFIXES = (".", "~$")
TEMP_SUFFIXES = (".tmp", ".part")
#: The reason file written beside a file moved to failed/ (``export.csv`` → ``export.csv.reason.txt``).
REASON_SUFFIX = ".reason.txt"

KNOWN_OPTIONS = {
    "folder",
    "pattern",
    "archive",
    "failed",
    "columns",
    "required_columns",
    "encoding",
    "delimiter",
    "sheet",
    "totals_markers",
    "max_file_bytes",
    "settle_seconds",
    "max_inflated_bytes",
    "max_rows",
    "max_file_seconds",
    "batch_rows",
    "refuse_personal_columns",
}

_SEP_HINT = re.compile(r"^\s*sep=(.)\s*$", re.IGNORECASE)


def normalize_header(value: Any) -> str:
    """The comparable form of a header cell: NFC, case-folded, whitespace collapsed.

    >>> normalize_header("  Ngày   đăng ký\\n") == normalize_header("NGÀY ĐĂNG KÝ")
    True
    >>> normalize_header(unicodedata.normalize("NFD", "Mã văn bản")) == normalize_header("Mã văn bản")
    True
    """
    if value is None:
        return ""
    # normalised last, because casefold() may itself produce decomposed characters
    text = " ".join(str(value).replace("\ufeff", "").split()).casefold()
    return unicodedata.normalize("NFC", text)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _nfc(value: Any) -> Any:
    if isinstance(value, str) and not unicodedata.is_normalized("NFC", value):
        return unicodedata.normalize("NFC", value)
    return value


class _FileRejected(Exception):
    """The whole file is unreadable; ``reason`` tells the operator what to do."""

    def __init__(self, reason: str, first_line: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.first_line = first_line


class _FileStopped(_FileRejected):
    """Reading stopped at a per-file limit (rows, wall time): counts as a failed attempt."""


def _file_reject(name: str, reason: str, first_line: str) -> RawReject:
    return RawReject(
        reason=reason, payload={"file": name, "first_line": first_line[:200]}, file_name=name, kind="file"
    )


@dataclass(frozen=True)
class _Header:
    """Where the header was found and which column feeds which canonical field."""

    line_no: int
    fields: dict[int, str]  # column index → canonical field
    width: int  # cells up to the last non-empty header cell


class _ColumnMap:
    """Matches export headers to canonical fields, tolerant of case, spacing and NFC/NFD."""

    def __init__(self, columns: dict[str, str], required: Sequence[str]):
        # A header that already is a canonical field name maps to itself; explicit entries win.
        self.lookup = {normalize_header(f): f for f in columns.values()}
        self.lookup.update({normalize_header(h): f for h, f in columns.items()})
        self.fields = set(columns.values())
        self.required = list(required)
        self.header_of = {f: h for h, f in reversed(list(columns.items()))}
        # Two matching cells are enough to tell a header from a title row; a one-column mapping
        # can only ever match one.
        self.threshold = min(2, len(self.fields))

    def match(self, cells: Sequence[Any]) -> dict[int, str]:
        found: dict[int, str] = {}
        for index, cell in enumerate(cells):
            field = self.lookup.get(normalize_header(cell))
            # a second column mapping to the same field is ignored: the first one wins
            if field is not None and field not in found.values():
                found[index] = field
        return found

    def header(self, line_no: int, cells: Sequence[Any]) -> _Header | None:
        fields = self.match(cells)
        if len(fields) < self.threshold:
            return None
        width = max((i + 1 for i, c in enumerate(cells) if not _is_blank(c)), default=0)
        return _Header(line_no, fields, width)

    def describe_missing(self, header: _Header) -> str:
        missing = [f for f in self.required if f not in header.fields.values()]
        return ", ".join(f"{f} (header {self.header_of.get(f, f)!r})" for f in missing)


class _TotalsDetector:
    """Recognises totals and subtotals rows ("Tổng cộng", "Cộng:", "TOTAL 125").

    The first non-empty cell must be a marker, optionally followed by punctuation, digits or
    spaces but no further words: "Tổng cục Thuế" or "Cộng đồng dân cư" are unit names, not totals,
    and dropping them silently would be worse than letting the runner reject an odd totals label.
    """

    def __init__(self, markers: Iterable[str]):
        self.markers = [normalize_header(m) for m in markers if normalize_header(m)]
        # a cheap first test on every row: the initial letter of some marker (NFD keeps it first)
        self.initials = {m[0] for m in self.markers}

    def __call__(self, cells: Sequence[Any]) -> bool:
        return self.matches(next((c for c in cells if not _is_blank(c)), None))

    def matches(self, first: Any) -> bool:
        """Whether ``first``, a row's first non-blank cell, makes it a totals row."""
        if not isinstance(first, str) or first.lstrip()[:1].casefold() not in self.initials:
            return False
        text = normalize_header(first)
        return any(
            text.startswith(marker) and not any(ch.isalpha() for ch in text[len(marker) :])
            for marker in self.markers
        )


class FileAdapter(Adapter):
    """Imports CSV/XLSX exports dropped into a folder, one batch per file, oldest first."""

    kind = "file"
    domains = ("documents", "dossiers", "meetings", "procedures", "tasks")

    def __init__(self, config: SourceConfig):
        super().__init__(config)
        problems = self.check_options(config.options)
        if problems:
            raise FatalSourceError(f"source {config.name!r}: " + "; ".join(problems), kind=ErrorKind.CONFIG)
        options = config.options
        self.folder = Path(options["folder"])
        patterns = options.get("pattern", DEFAULT_PATTERN)
        self.patterns = [patterns] if isinstance(patterns, str) else list(patterns)
        self.archive = Path(options.get("archive") or self.folder / "archive")
        self.failed = Path(options.get("failed") or self.folder / "failed")
        self.columns = _ColumnMap(options["columns"], options.get("required_columns", []))
        self.encoding = options.get("encoding", "auto")
        delimiter = options.get("delimiter", "auto")
        self.delimiter = "\t" if delimiter == "tab" else delimiter
        self.sheet = options.get("sheet")
        self.is_totals = _TotalsDetector(options.get("totals_markers", DEFAULT_TOTALS_MARKERS))
        self.max_file_bytes = options.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES)
        self.max_inflated_bytes = options.get("max_inflated_bytes", DEFAULT_MAX_INFLATED_BYTES)
        self.max_rows = options.get("max_rows", DEFAULT_MAX_ROWS)
        self.max_file_seconds = float(options.get("max_file_seconds", DEFAULT_MAX_FILE_SECONDS))
        self.batch_rows = options.get("batch_rows", DEFAULT_BATCH_ROWS)
        self._file_started = time.monotonic()
        self.settle_seconds = float(options.get("settle_seconds", DEFAULT_SETTLE_SECONDS))
        # Citizens' personal data is never collected: such columns are refused at the header.
        self.refuse_personal = bool(options.get("refuse_personal_columns", config.domain in CHECKED_DOMAINS))

    # -- configuration -------------------------------------------------------------------------

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> list[str]:
        problems = [f"options.{key}: unknown option" for key in sorted(set(options) - KNOWN_OPTIONS)]
        for check in (_path_problems, _column_problems, _reading_problems, _limit_problems):
            problems.extend(check(options))
        return problems

    # -- batches -------------------------------------------------------------------------------

    def batches(self, watermark: dict[str, Any] | None) -> Iterator[Batch]:
        # The watermark is not needed to find new files (imported files leave the folder); it
        # remembers the files whose reading began but did not finish (a failure, a timeout, or
        # the process dying on them), so that a file failing twice is moved aside, not re-read forever.
        tries = dict((watermark or {}).get("tries") or {})
        for path, mtime in self.pending_files():
            try:
                yield from self._file_batches(path, mtime, tries)
            except FileNotFoundError:
                # taken away (by a person or another run) between listing and reading
                log.info("source %s: %s disappeared before it was read", self.config.name, path.name)
                tries.pop(path.name, None)
            except PermissionError as error:
                # typically still locked by the program writing it: leave it for the next run
                log.warning("source %s: cannot read %s yet (%s)", self.config.name, path.name, error)

    def pending_files(self) -> list[tuple[Path, float]]:
        """Files ready to import as ``(path, mtime)``, oldest first."""
        if not self.folder.is_dir():
            raise FatalSourceError(
                f"source {self.config.name!r}: drop folder {self.folder} does not exist or is not a "
                "folder: check options.folder (and that the share is mounted)",
                kind=ErrorKind.SOURCE_MISSING,
                detail=self.folder,
            )
        now = time.time()
        found = []
        for entry in os.scandir(self.folder):
            name = entry.name
            if name.startswith(TEMP_PREFIXES) or name.lower().endswith(TEMP_SUFFIXES):
                continue
            # case-insensitive: exports arrive as BAOCAO.CSV as often as baocao.csv
            if not any(fnmatch.fnmatch(name.lower(), p.lower()) for p in self.patterns):
                continue
            try:
                if not entry.is_file():  # also excludes archive/ and failed/
                    continue
                mtime = entry.stat().st_mtime
            except FileNotFoundError:
                continue
            if now - mtime < self.settle_seconds:
                log.debug("source %s: %s is still being written, next run", self.config.name, name)
                continue
            found.append((Path(entry.path), mtime))
        found.sort(key=lambda item: (item[1], item[0].name))
        return found

    def _file_batches(self, path: Path, mtime: float, tries: dict[str, Any]) -> Iterator[Batch]:
        """One file as batches of ``batch_rows`` rows, streamed: the last one archives the file.

        A file refused before any row (size, encoding, no header, …) goes to ``failed/`` at once.
        A file that fails while being read (a limit, a corrupt part, the process dying) stays
        for the next run; the second time it goes to ``failed/``, with the reason beside it."""
        name = path.name

        def mark(entry: dict[str, Any] | None) -> dict[str, Any]:
            if entry is None:
                tries.pop(name, None)
            else:
                tries[name] = entry
            return {"last_file": name, "last_mtime": mtime, "tries": dict(tries)}

        earlier = tries.get(name) or {}
        if earlier.get("count", 0) >= MAX_TRIES:
            reason = (
                f"{name} failed {earlier['count']} times "
                f"({earlier.get('reason') or 'the collector stopped while reading it'}): moved to failed/, "
                "fix the file and drop it in again"
            )
            yield self._refused(path, reason, "", mark(None))
            return
        # Committed before the first row is read: if the process dies on this file, the next run knows.
        yield Batch(
            rows=[],
            watermark=mark({"count": earlier.get("count", 0) + 1, "reason": earlier.get("reason")}),
            description=f"{name}: reading",
        )
        self._file_started = time.monotonic()
        yielded = False
        rows: list[RawRow] = []
        rejects: list[RawReject] = []
        try:
            for item in self._items(path):
                (rows if type(item) is RawRow else rejects).append(item)
                if len(rows) >= self.batch_rows:
                    yield Batch(rows=rows, rejects=rejects, description=name)
                    yielded = True
                    rows, rejects = [], []
        except _FileRejected as rejected:
            stopped = isinstance(rejected, _FileStopped) or yielded
            log.warning(
                "source %s: %s %s: %s",
                self.config.name,
                "stopped" if stopped else "rejected",
                name,
                rejected.reason,
            )
            if not stopped:
                yield self._refused(path, rejected.reason, rejected.first_line, mark(None))
                return
            attempt = tries[name]["count"]
            if attempt >= MAX_TRIES:
                yield self._refused(
                    path,
                    f"{rejected.reason} (attempt {attempt} of {MAX_TRIES})",
                    rejected.first_line,
                    mark(None),
                )
                return
            reason = f"{rejected.reason} (attempt {attempt} of {MAX_TRIES}: left in place, read again on the next run)"
            yield Batch(
                rows=[],
                rejects=[_file_reject(name, reason, rejected.first_line)],
                description=name,
                watermark=mark({"count": attempt, "reason": rejected.reason}),
            )
            return
        yield Batch(
            rows=rows,
            rejects=rejects,
            description=name,
            watermark=mark(None),
            after_commit=self._mover(path, self.archive, "archive"),
        )

    def _refused(self, path: Path, reason: str, first_line: str, watermark: dict[str, Any]) -> Batch:
        return Batch(
            rows=[],
            rejects=[_file_reject(path.name, reason, first_line)],
            description=path.name,
            watermark=watermark,
            after_commit=self._mover(path, self.failed, "failed", reason=reason),
        )

    def _items(self, path: Path) -> Iterator[RawRow | RawReject]:
        """The file's rows and rejected lines, streamed; :class:`_FileRejected` if unreadable."""
        name = path.name
        size = path.stat().st_size
        if size > self.max_file_bytes:
            raise _FileRejected(
                f"{name} is {size / 2**20:.1f} MB, more than options.max_file_bytes "
                f"({self.max_file_bytes / 2**20:.1f} MB): split the export or raise the limit",
                _preview(path),
            )
        if name.lower().endswith(XLSX_SUFFIXES):
            return self._read_xlsx(path)
        if name.lower().endswith(".xls"):
            raise _FileRejected(
                f"{name} is an old Excel 97–2003 workbook, which we cannot read: save it as .xlsx or .csv",
                "",
            )
        return self._read_csv(path)

    # -- CSV -----------------------------------------------------------------------------------

    def _read_csv(self, path: Path) -> Iterator[RawRow | RawReject]:
        name = path.name
        encoding = self._encoding_for(path)
        if encoding in ("utf-8", "utf-8-sig"):
            # Checked whole before the first row (cheap, in C): a file in the wrong encoding is
            # refused as a whole, never half-imported.
            self._check_utf8(path, encoding)
        try:
            with open(path, encoding=encoding, newline="", errors="strict") as stream:
                # The head is read first to find the delimiter, then replayed in front of the rest
                # of the stream so the file is read once, row by row, never held whole.
                head = list(itertools.islice(iter(stream.readline, ""), HEADER_SEARCH_ROWS))
                delimiter = self._delimiter_for(head)
                reader = csv.reader(itertools.chain(head, stream), delimiter=delimiter)
                yield from self._rows(name, _numbered(reader), head, check_width=True, delimiter=delimiter)
        except UnicodeDecodeError as error:
            raise _FileRejected(self._decode_problem(path, encoding, error), _preview(path)) from None
        except csv.Error as error:
            raise _FileRejected(
                f"{name} is not a well-formed CSV file ({error}): fix the line or re-export the file",
                _preview(path),
            ) from None

    def _check_utf8(self, path: Path, encoding: str) -> None:
        decoder = codecs.getincrementaldecoder(encoding)()
        with open(path, "rb") as raw:
            try:
                while chunk := raw.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as error:
                raise _FileRejected(self._decode_problem(path, encoding, error), _preview(path)) from None

    def _encoding_for(self, path: Path) -> str:
        """The codec to read ``path`` with: a byte order mark wins over any configuration."""
        with open(path, "rb") as raw:
            start = raw.read(4096)
        if start.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"  # reads the BOM and picks the byte order from it
        if self.encoding != "auto":
            # "utf-8" still tolerates a BOM that an editor adds later
            return "utf-8-sig" if codecs.lookup(self.encoding).name == "utf-8" else self.encoding
        if b"\x00" in start:
            # UTF-16 without a BOM: ASCII characters leave a zero byte in every pair
            odd = start[1::2].count(0)
            even = start[0::2].count(0)
            if max(odd, even) >= len(start) // 4:
                return "utf-16-le" if odd > even else "utf-16-be"
        return "utf-8"

    def _delimiter_for(self, head: list[str]) -> str:
        if self.delimiter != "auto":
            return self.delimiter
        if head and (hint := _SEP_HINT.match(head[0])):
            return hint.group(1)  # Excel's "sep=;" first line
        best, best_score = DELIMITER_CANDIDATES[0], 0
        for candidate in DELIMITER_CANDIDATES:
            score = 0
            try:
                for row in csv.reader(head, delimiter=candidate):
                    score = max(score, len(self.columns.match(row)))
            except csv.Error:
                continue
            if score > best_score:  # ties keep the earlier, more common candidate
                best, best_score = candidate, score
        return best

    def _decode_problem(self, path: Path, encoding: str, error: UnicodeDecodeError) -> str:
        where = ""
        if encoding in ("utf-8", "utf-8-sig"):
            # UTF-8 never hides a newline byte inside a character, so lines can be checked alone
            with open(path, "rb") as raw:
                for line_no, line in enumerate(raw, start=1):
                    try:
                        line.decode("utf-8")
                    except UnicodeDecodeError as bad:
                        where = f" on line {line_no} (byte 0x{line[bad.start]:02X})"
                        break
            return (
                f"{path.name} is not valid UTF-8{where}: export it as UTF-8 (or UTF-16), or set "
                'options.encoding = "cp1258" if it comes from a Vietnamese Windows program'
            )
        return f"{path.name} cannot be decoded as {encoding} ({error.reason}): check options.encoding"

    # -- XLSX ----------------------------------------------------------------------------------

    def _read_xlsx(self, path: Path) -> Iterator[RawRow | RawReject]:
        import zipfile

        import openpyxl  # only sources that read workbooks need it

        name = path.name
        # What the workbook inflates to, from its zip directory, before anything is inflated
        # (reading stops at the declared size: a part cannot inflate past it unnoticed).
        try:
            with zipfile.ZipFile(path) as archive:
                inflated = sum(info.file_size for info in archive.infolist())
        except zipfile.BadZipFile as error:
            raise _FileRejected(
                f"{name} cannot be opened as an Excel workbook (BadZipFile: {error}): "
                "open and save it again in Excel as .xlsx, or export CSV instead",
                _preview(path),
            ) from None
        if inflated > self.max_inflated_bytes:
            raise _FileRejected(
                f"{name} inflates to {_dotted(inflated // 2**20)} MB, more than options.max_inflated_bytes "
                f"({_dotted(self.max_inflated_bytes // 2**20)} MB) — a workbook this size is damaged or built to "
                "exhaust the collector: check where it came from, or export CSV instead",
                "",
            )
        _bound_openpyxl_dimensions()
        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (FileNotFoundError, PermissionError):
            raise
        except Exception as error:  # openpyxl raises anything from BadZipFile to KeyError
            raise _FileRejected(
                f"{name} cannot be opened as an Excel workbook ({type(error).__name__}: {error}): "
                "open and save it again in Excel as .xlsx, or export CSV instead",
                _preview(path),
            ) from None
        try:
            if self.sheet is None:
                sheet = workbook.worksheets[0]
            elif self.sheet in workbook.sheetnames:
                sheet = workbook[self.sheet]
            else:
                raise _FileRejected(
                    f"{name} has no sheet {self.sheet!r} (it has {', '.join(workbook.sheetnames)}): "
                    "check options.sheet",
                    "",
                )
            # Some exporters write a wrong sheet size, which would make read-only mode cut columns.
            sheet.reset_dimensions()
            records = enumerate(sheet.iter_rows(values_only=True), start=1)
            head: list[str] = []
            yield from self._rows(name, records, head, check_width=False)
        except _FileRejected:
            raise
        except Exception as error:  # a corrupt sheet part only shows up while reading rows
            raise _FileRejected(
                f"{name} could not be read ({type(error).__name__}: {error}): open and save it again "
                "in Excel, or export CSV instead",
                "",
            ) from None
        finally:
            workbook.close()

    # -- shared row logic ----------------------------------------------------------------------

    def _rows(
        self,
        name: str,
        records: Iterable[tuple[int, Sequence[Any]]],
        head: list[str],
        *,
        check_width: bool,
        delimiter: str = "",
    ) -> Iterator[RawRow | RawReject]:
        """Skip title rows, find the header, then turn data rows into raw rows (streamed).

        ``records`` are ``(physical line number, cells)``; ``head`` is the text of the first lines,
        used only to show the operator what the file looked like when no header is found.
        """
        header: _Header | None = None
        first_cells: Sequence[Any] | None = None
        data_rows = 0
        for seen, (line_no, cells) in enumerate(records, start=1):
            if not seen & 1023:  # the time limit counts every line read, blank ones too
                self._check_time(name, line_no)
            if header is None:
                if line_no > HEADER_SEARCH_ROWS:
                    break
                if first_cells is None and not all(_is_blank(c) for c in cells):
                    first_cells = cells
                header = self.columns.header(line_no, cells)
                if header is not None and (missing := self.columns.describe_missing(header)):
                    raise _FileRejected(
                        f"{name}: the header on line {line_no} lacks required columns {missing}: "
                        "check options.columns and options.required_columns",
                        _first_line(head, first_cells, delimiter),
                    )
                if header is not None and self.refuse_personal:
                    yield from self._refuse_personal(name, header, cells)
                continue
            first = next((c for c in cells if not _is_blank(c)), None)
            if first is None or self.is_totals.matches(first):
                continue
            # Trailing empty cells ("a;b;c;") are common and harmless; values past the header are
            # not, they mean the line's columns have shifted.
            if check_width and any(not _is_blank(c) for c in cells[header.width :]):
                used = max(i + 1 for i, c in enumerate(cells) if not _is_blank(c))
                yield RawReject(
                    reason=(
                        f"line {line_no} has {used} cells but the header has {header.width}: "
                        f"a value probably contains an unquoted {_show(delimiter)}"
                    ),
                    payload={"file": name, "cells": list(cells)},
                    line_no=line_no,
                    file_name=name,
                )
                continue
            data = {
                field: None if index >= len(cells) or _is_blank(cells[index]) else _nfc(cells[index])
                for index, field in header.fields.items()
            }
            data_rows += 1
            if data_rows > self.max_rows:
                raise _FileStopped(
                    f"{name} has more than options.max_rows ({_dotted(self.max_rows)}) data rows: split the "
                    "export or raise the limit"
                )
            yield RawRow(data=data, line_no=line_no, file_name=name)
        if header is None:
            raise _FileRejected(
                f"no header row with the configured columns found in the first {HEADER_SEARCH_ROWS} "
                f"lines of {name}: check options.columns (and options.delimiter, options.encoding)",
                _first_line(head, first_cells, delimiter),
            )

    def _refuse_personal(self, name: str, header: _Header, cells: Sequence[Any]) -> Iterator[RawReject]:
        """Drop the header's personal-data columns (their values are never read) and report each."""
        for index, text in personal_columns(cells):
            header.fields.pop(index, None)
            yield RawReject(
                reason=(
                    f"column {text!r} (line {header.line_no}) holds citizens' personal data, which IOC does not "
                    "collect: its values were not read; remove the column from the export"
                ),
                payload={"file": name, "column": text},
                line_no=header.line_no,
                file_name=name,
                kind="column",
            )

    def _check_time(self, name: str, line_no: int) -> None:
        spent = time.monotonic() - self._file_started
        if spent > self.max_file_seconds:
            raise _FileStopped(
                f"reading {name} took more than options.max_file_seconds ({self.max_file_seconds:g} s); stopped "
                f"on line {_dotted(line_no)}: split the export or raise the limit"
            )

    # -- after commit --------------------------------------------------------------------------

    def _mover(self, path: Path, target: Path, label: str, reason: str | None = None) -> Callable[[], None]:
        def move() -> None:
            try:
                destination = _move_unique(path, target)
                if reason is not None:  # beside the file in failed/: why it is there, for whoever looks
                    destination.with_name(destination.name + REASON_SUFFIX).write_text(
                        f"{reason}\n\nsource: {self.config.name}\nrefused: {datetime.now():%Y-%m-%d %H:%M:%S}\n",
                        encoding="utf-8",
                    )
            except FileNotFoundError:
                if not path.exists():  # someone already moved it; nothing left to re-import
                    log.warning(
                        "source %s: %s vanished before it could be moved to %s",
                        self.config.name,
                        path.name,
                        label,
                    )
                    return
                raise
            except OSError as error:
                raise FatalSourceError(
                    f"source {self.config.name!r}: {path.name} was processed but could not be moved "
                    f"to {target} ({error.strerror or error}): check that the collector may write "
                    "there, or the file will be imported again on every run",
                    kind=os_error_kind(error),
                    detail=target,
                ) from None
            log.info("source %s: moved %s to %s", self.config.name, path.name, destination)

        return move


def _path_problems(options: dict[str, Any]) -> list[str]:
    """The drop folder, the file name patterns and the archive/failed folders."""
    problems: list[str] = []
    folder = options.get("folder")
    if folder is None:
        problems.append("options.folder: missing")
    elif not _is_path(folder):
        problems.append("options.folder: expected the path of the drop folder")

    pattern = options.get("pattern", DEFAULT_PATTERN)
    patterns = [pattern] if isinstance(pattern, str) else pattern
    if (
        not isinstance(patterns, list)
        or not patterns
        or not all(isinstance(p, str) and p.strip() for p in patterns)
    ):
        problems.append(
            'options.pattern: expected a file name pattern or a list of them, e.g. ["*.csv", "*.xlsx"]'
        )
    elif any("/" in p or "\\" in p for p in patterns):
        problems.append("options.pattern: patterns match file names in the folder, not paths")

    for key in ("archive", "failed"):
        value = options.get(key)
        if value is None:
            continue
        if not _is_path(value):
            problems.append(f"options.{key}: expected a folder path")
        elif _is_path(folder) and _same_path(value, folder):
            problems.append(f"options.{key}: must not be the drop folder itself")
    return problems


def _column_problems(options: dict[str, Any]) -> list[str]:
    """The header → field table and the required fields."""
    problems: list[str] = []
    columns = options.get("columns")
    fields: set[str] = set()
    if columns is None:
        problems.append("options.columns: missing (a table of header = field)")
    elif (
        not isinstance(columns, dict)
        or not columns
        or not all(_is_text(h) and _is_text(f) for h, f in columns.items())
    ):
        problems.append("options.columns: expected a table of header = field")
    else:
        fields = set(columns.values())
        seen: dict[str, tuple[str, str]] = {}
        for header, field in columns.items():
            key = normalize_header(header)
            if key in seen and seen[key][1] != field:
                problems.append(
                    f"options.columns: {seen[key][0]!r} and {header!r} are the same header "
                    f"but map to different fields ({seen[key][1]}, {field})"
                )
            seen.setdefault(key, (header, field))

    required = options.get("required_columns", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        problems.append("options.required_columns: expected a list of field names")
    elif fields:
        for name in required:
            if name not in fields:
                problems.append(f"options.required_columns: {name!r} is not a field in options.columns")
    return problems


def _reading_problems(options: dict[str, Any]) -> list[str]:
    """Encoding, delimiter, sheet and totals markers."""
    problems: list[str] = []
    encoding = options.get("encoding", "auto")
    if not isinstance(encoding, str):
        problems.append('options.encoding: expected "auto" or an encoding name such as "cp1258"')
    elif encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            problems.append(f"options.encoding: unknown encoding {encoding!r}")

    delimiter = options.get("delimiter", "auto")
    valid = delimiter in ("auto", "tab") or (
        isinstance(delimiter, str) and len(delimiter) == 1 and delimiter not in '"\r\n'
    )
    if not valid:
        problems.append('options.delimiter: expected "auto", "tab" or a single character such as ";"')

    sheet = options.get("sheet")
    if sheet is not None and (not isinstance(sheet, str) or not sheet.strip()):
        problems.append("options.sheet: expected a sheet name")

    markers = options.get("totals_markers", list(DEFAULT_TOTALS_MARKERS))
    if not isinstance(markers, list) or not all(isinstance(m, str) for m in markers):
        problems.append("options.totals_markers: expected a list of texts")
    return problems


def _limit_problems(options: dict[str, Any]) -> list[str]:
    """Size, row, time and settle limits."""
    problems: list[str] = []
    for key, default, what in (
        ("max_file_bytes", DEFAULT_MAX_FILE_BYTES, "a positive whole number of bytes"),
        ("max_inflated_bytes", DEFAULT_MAX_INFLATED_BYTES, "a positive whole number of bytes"),
        ("max_rows", DEFAULT_MAX_ROWS, "a positive whole number of rows"),
        ("batch_rows", DEFAULT_BATCH_ROWS, "a positive whole number of rows"),
    ):
        value = options.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            problems.append(f"options.{key}: expected {what}")
    seconds = options.get("max_file_seconds", DEFAULT_MAX_FILE_SECONDS)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
        problems.append("options.max_file_seconds: expected a number of seconds > 0")

    settle = options.get("settle_seconds", DEFAULT_SETTLE_SECONDS)
    if isinstance(settle, bool) or not isinstance(settle, (int, float)) or settle < 0:
        problems.append("options.settle_seconds: expected a number of seconds ≥ 0")
    return problems


def _parse_dimensions_from_the_head(self):  # replaces WorkSheetParser.parse_dimensions
    """The sheet's ``<dimension>``, which the schema puts before ``<sheetData>``: look no further.

    openpyxl's own version (3.1) waits for the *end* of ``<sheetData>`` when a sheet has no
    dimension, so opening such a workbook in read-only mode parsed the whole sheet once before the
    first row — minutes for a large export, forever for an inflating one, before any limit applies."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.worksheet.dimensions import SheetDimension

    for _event, element in iterparse(self.source, events=("start",)):
        if element.tag == DIMENSION_TAG:
            return SheetDimension.from_tree(element).boundaries
        if element.tag == DATA_TAG:
            return None
    return None


def _bound_openpyxl_dimensions() -> None:
    from openpyxl.worksheet._reader import WorkSheetParser

    WorkSheetParser.parse_dimensions = _parse_dimensions_from_the_head


def _numbered(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the physical line they start on (quoted values may span lines)."""
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _move_unique(path: Path, folder: Path) -> Path:
    """Move ``path`` into ``folder``, never overwriting: a clash gets a timestamp suffix."""
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / path.name
    if destination.exists():
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        for n in itertools.count(1):
            suffix = f"-{stamp}" if n == 1 else f"-{stamp}-{n}"
            destination = folder / f"{path.stem}{suffix}{path.suffix}"
            if not destination.exists():
                break
    # shutil.move copies then deletes when the archive is on another disk or share
    return Path(shutil.move(os.fspath(path), os.fspath(destination)))


def _dotted(number: int) -> str:
    """1.234.567, as Vietnamese writes thousands (log and reject texts)."""
    return f"{number:,}".replace(",", ".")


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_path(value: Any) -> bool:
    return isinstance(value, os.PathLike) or _is_text(value)


def _same_path(a: Any, b: Any) -> bool:
    return os.path.normpath(os.path.abspath(a)) == os.path.normpath(os.path.abspath(b))


def _preview(path: Path) -> str:
    """The first non-blank line of an unreadable file, as best we can show it."""
    try:
        with open(path, "rb") as raw:
            start = raw.read(4096)
    except OSError:
        return ""
    boms = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
    for bom, codec in boms:
        if start.startswith(bom):
            text = start.decode(codec, errors="replace")
            break
    else:
        text = start.decode("utf-8", errors="replace")
    # control characters (a NUL from a binary file) would not even fit in a PostgreSQL text column
    text = "".join(ch for ch in text if ch in "\t\n\r" or unicodedata.category(ch) != "Cc")
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:200]


def _first_line(head: list[str], first_cells: Sequence[Any] | None, delimiter: str) -> str:
    """The first line with some content: raw text for CSV, the cells joined for XLSX."""
    ignore = delimiter + " \t\r\n\ufeff"
    line = next((line.strip() for line in head if line.strip(ignore)), "")
    if not line and first_cells is not None:
        line = " | ".join("" if c is None else str(c) for c in first_cells).strip(" |")
    return line[:200]


def _show(delimiter: str) -> str:
    return {"\t": "tab", ";": "';'", ",": "','"}.get(delimiter, repr(delimiter) if delimiter else "separator")
