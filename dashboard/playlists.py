"""Wall playlists: named rotations of slides for unattended screens (``/wall?playlist=NAME``).

A slide is a page path × unit × period × dwell time. The playlists live in
``<data dir>/playlists.toml`` when that file exists, else in the shipped
``dashboard/data/playlists.toml``::

    [playlists.tong-quan]
    title_vi = "Tổng quan điều hành"
    title_en = "Operations overview"

    [[playlists.tong-quan.slides]]
    page = "/"                 # a page of this dashboard
    period = "mtd"             # today, week, mtd, qtd, ytd, rolling7, rolling30, month, quarter, year
    dwell = 60                 # seconds on screen (5 … 3600)

    [[playlists.tong-quan.slides]]
    page = "/"
    unit = "weakest:DVC-06"    # a unit code, or the weakest provincial unit on a KPI right now
    dwell = 45

Every problem of a file is reported at once, in Vietnamese and English, naming the playlist, the
slide and the field::

    x.toml: danh sách 'a', trang chiếu 1, trường 'dwell': phải là số giây từ 5 đến 3600 (đang là 1)
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from dashboard.config import PROJECT_ROOT, Settings
from dashboard.errors import IocError
from dashboard.kpi.catalogue import CATALOGUE

SHIPPED_FILE = PROJECT_ROOT / "dashboard" / "data" / "playlists.toml"
FILE_NAME = "playlists.toml"
#: Period kinds a slide may name: those that need no dates ("custom" does).
PERIOD_KINDS = ("today", "week", "mtd", "qtd", "ytd", "rolling7", "rolling30", "month", "quarter", "year")
MIN_DWELL_S, MAX_DWELL_S = 5, 3600
WEAKEST_PREFIX = "weakest:"
#: The pages with a wall variant that fits one screen at 1920×1080 and 3840×2160 (the overview
#: wall, the domain pages' ``?kiosk=1`` layout — /nhiem-vu and /phan-anh too —, /units in two
#: columns, /sources). Any other page scrolls, so a slide naming it is refused when the playlist is
#: loaded, not shown cut off.
WALL_PAGES = ("/", "/documents", "/dossiers", "/meetings", "/nhiem-vu", "/phan-anh", "/units", "/sources")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_UNIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PARAM = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
_RESERVED_PARAMS = {"unit", "period", "kiosk", "lang", "theme", "playlist"}
_SLIDE_FIELDS = {"page", "unit", "period", "dwell", "params"}
_PLAYLIST_FIELDS = {"title_vi", "title_en", "slides"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a playlist file, in both languages."""

    vi: str
    en: str

    def text(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


class PlaylistError(IocError):
    """A playlists file cannot be used; ``problems`` lists every problem found."""

    exit_code = 7

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(f"{source}: {problems[0].en}{more}")


@dataclass(frozen=True)
class Slide:
    page: str
    dwell_s: float
    unit: str | None = None  # a unit code, "weakest:<KPI>" or None (the whole agency)
    period: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @property
    def weakest_kpi(self) -> str | None:
        """The KPI of a "weakest unit" slide, else None."""
        if self.unit and self.unit.startswith(WEAKEST_PREFIX):
            return self.unit[len(WEAKEST_PREFIX) :]
        return None

    def url(self, *, unit: str | None = None, lang: str | None = None, theme: str | None = None) -> str:
        """The slide's address in kiosk mode; ``unit`` replaces a "weakest" selector once resolved.

        >>> Slide("/", 30, "SO-25", "mtd").url(lang="vi")
        '/?unit=SO-25&period=mtd&kiosk=1&lang=vi'
        """
        chosen = unit if unit is not None else (None if self.weakest_kpi else self.unit)
        query = [
            ("unit", chosen),
            ("period", self.period),
            # A resolved "weakest" slide asks the page to say why (the page re-checks it).
            ("why", f"{WEAKEST_PREFIX}{self.weakest_kpi}" if self.weakest_kpi and unit else None),
            *self.params,
            ("kiosk", "1"),
            ("lang", lang),
            ("theme", theme),
        ]
        return self.page + "?" + urlencode([(k, v) for k, v in query if v])


@dataclass(frozen=True)
class Playlist:
    name: str
    title_vi: str
    title_en: str
    slides: tuple[Slide, ...]

    def title(self, lang: str = "vi") -> str:
        return self.title_en if lang == "en" else self.title_vi


def playlists_file(settings: Settings) -> Path:
    """The configured file: ``<data dir>/playlists.toml`` if it exists, else the shipped one."""
    own = Path(settings.data_dir) / FILE_NAME
    return own if own.is_file() else SHIPPED_FILE


def load_playlists(path: Path) -> dict[str, Playlist]:
    """Read and validate a playlists file; raises :class:`PlaylistError` listing every problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlaylistError(
            str(path),
            [Problem(f"không đọc được tệp ({exc.strerror})", f"cannot read the file ({exc.strerror})")],
        ) from None
    except UnicodeDecodeError:
        raise PlaylistError(
            str(path), [Problem("tệp phải được lưu dạng UTF-8", "the file must be saved as UTF-8")]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise PlaylistError(
            str(path), [Problem(f"sai cú pháp TOML: {exc}", f"invalid TOML: {exc}")]
        ) from None
    return parse_playlists(data, str(path))


def parse_playlists(data: dict, source: str) -> dict[str, Playlist]:
    problems: list[Problem] = []
    tables = data.get("playlists")
    if not isinstance(tables, dict) or not tables:
        raise PlaylistError(
            source,
            [
                Problem(
                    "chưa khai báo danh sách trình chiếu nào (bảng [playlists.TÊN])",
                    "no playlist is defined (a [playlists.NAME] table)",
                )
            ],
        )
    out: dict[str, Playlist] = {}
    for name, table in tables.items():
        where_vi, where_en = f"danh sách '{name}'", f"playlist '{name}'"
        if not _NAME.match(str(name)):
            problems.append(
                Problem(
                    f"{where_vi}: tên chỉ gồm chữ thường không dấu, số, '-' và '_' (ví dụ: tong-quan)",
                    f"{where_en}: a name is lower-case ASCII letters, digits, '-' and '_' (e.g. tong-quan)",
                )
            )
            continue
        if not isinstance(table, dict):
            problems.append(
                Problem(f"{where_vi}: phải là một bảng TOML", f"{where_en}: must be a TOML table")
            )
            continue
        for key in sorted(set(table) - _PLAYLIST_FIELDS):
            problems.append(
                Problem(
                    f"{where_vi}: trường '{key}' không được hỗ trợ (dùng: {', '.join(sorted(_PLAYLIST_FIELDS))})",
                    f"{where_en}: field '{key}' is not supported (use: {', '.join(sorted(_PLAYLIST_FIELDS))})",
                )
            )
        titles = {}
        for key in ("title_vi", "title_en"):
            value = table.get(key, name)
            if not isinstance(value, str) or not value.strip():
                problems.append(
                    Problem(
                        f"{where_vi}, trường '{key}': phải là một chuỗi không rỗng",
                        f"{where_en}, field '{key}': must be a non-empty string",
                    )
                )
                value = name
            titles[key] = value.strip()
        slides_data = table.get("slides")
        if not isinstance(slides_data, list) or not slides_data:
            problems.append(
                Problem(
                    f"{where_vi}, trường 'slides': cần ít nhất một trang chiếu ([[playlists.{name}.slides]])",
                    f"{where_en}, field 'slides': needs at least one slide ([[playlists.{name}.slides]])",
                )
            )
            continue
        slides = []
        for index, raw in enumerate(slides_data, start=1):
            slide = _parse_slide(
                raw, f"{where_vi}, trang chiếu {index}", f"{where_en}, slide {index}", problems
            )
            if slide is not None:
                slides.append(slide)
        out[name] = Playlist(name, titles["title_vi"], titles["title_en"], tuple(slides))
    if problems:
        raise PlaylistError(source, problems)
    return out


def _parse_slide(raw, where_vi: str, where_en: str, problems: list[Problem]) -> Slide | None:
    if not isinstance(raw, dict):
        problems.append(Problem(f"{where_vi}: phải là một bảng TOML", f"{where_en}: must be a TOML table"))
        return None
    before = len(problems)

    def bad(field: str, vi: str, en: str) -> None:
        value = raw.get(field)
        problems.append(
            Problem(
                f"{where_vi}, trường '{field}': {vi} (đang là {value!r})",
                f"{where_en}, field '{field}': {en} (got {value!r})",
            )
        )

    for key in sorted(set(raw) - _SLIDE_FIELDS):
        problems.append(
            Problem(
                f"{where_vi}: trường '{key}' không được hỗ trợ (dùng: {', '.join(sorted(_SLIDE_FIELDS))})",
                f"{where_en}: field '{key}' is not supported (use: {', '.join(sorted(_SLIDE_FIELDS))})",
            )
        )
    page = raw.get("page")
    _check_page(page, bad)
    dwell = raw.get("dwell")
    _check_dwell(dwell, bad)
    unit = raw.get("unit")
    _check_unit(unit, bad)
    period = raw.get("period")
    if period is not None and period not in PERIOD_KINDS:
        bad(
            "period",
            f"phải là một trong: {', '.join(PERIOD_KINDS)}",
            f"must be one of: {', '.join(PERIOD_KINDS)}",
        )
    pairs = _slide_params(raw.get("params", {}), bad)
    if len(problems) > before:
        return None
    return Slide(page=page, dwell_s=float(dwell), unit=unit, period=period, params=tuple(pairs))


def _check_page(page, bad: Callable[[str, str, str], None]) -> None:
    if (
        not isinstance(page, str)
        or not page.startswith("/")
        or page.startswith("//")
        or any(c in page for c in "?#\\ ")
    ):
        bad(
            "page",
            "phải là đường dẫn một trang của hệ thống, bắt đầu bằng '/', không kèm '?' (ví dụ: '/', '/sources')",
            "must be the path of a page of this dashboard, starting with '/', without '?' (e.g. '/', '/sources')",
        )
    elif page.rstrip("/") == "/wall":
        bad(
            "page",
            "không thể chiếu chính trang trình chiếu '/wall'",
            "cannot show the playlist page '/wall' itself",
        )
    elif (page.rstrip("/") or "/") not in WALL_PAGES:
        bad(
            "page",
            f"trang này không có dạng trình chiếu vừa một màn hình (sẽ bị cắt hoặc phải cuộn); "
            f"các trang chiếu được: {', '.join(WALL_PAGES)}",
            f"this page has no wall layout that fits one screen (it would be cut off or scroll); "
            f"pages that can be shown: {', '.join(WALL_PAGES)}",
        )


def _check_dwell(dwell, bad: Callable[[str, str, str], None]) -> None:
    if (
        isinstance(dwell, bool)
        or not isinstance(dwell, (int, float))
        or not MIN_DWELL_S <= dwell <= MAX_DWELL_S
    ):
        bad(
            "dwell",
            f"phải là số giây từ {MIN_DWELL_S} đến {MAX_DWELL_S}",
            f"must be a number of seconds from {MIN_DWELL_S} to {MAX_DWELL_S}",
        )


def _check_unit(unit, bad: Callable[[str, str, str], None]) -> None:
    if unit is not None:
        if not isinstance(unit, str):
            bad(
                "unit",
                "phải là mã đơn vị (ví dụ: 'SO-01') hoặc 'weakest:MÃ-CHỈ-SỐ'",
                "must be a unit code (e.g. 'SO-01') or 'weakest:KPI-ID'",
            )
        elif unit.startswith(WEAKEST_PREFIX):
            kpi = unit[len(WEAKEST_PREFIX) :]
            if kpi not in CATALOGUE:
                bad(
                    "unit",
                    f"không có chỉ số '{kpi}' trong danh mục (ví dụ hợp lệ: 'weakest:DVC-06')",
                    f"there is no KPI '{kpi}' in the catalogue (a valid example: 'weakest:DVC-06')",
                )
        elif not _UNIT.match(unit):
            bad(
                "unit",
                "mã đơn vị chỉ gồm chữ, số, '.', '-' và '_'",
                "a unit code is letters, digits, '.', '-' and '_'",
            )


def _slide_params(params, bad: Callable[[str, str, str], None]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if not isinstance(params, dict):
        bad(
            "params",
            'phải là một bảng khóa = giá trị (ví dụ: { kpi = "DVC-06" })',
            'must be a table of key = value (e.g. { kpi = "DVC-06" })',
        )
    else:
        for key, value in params.items():
            if (
                not _PARAM.match(key)
                or key in _RESERVED_PARAMS
                or not isinstance(value, (str, int, float))
                or isinstance(value, bool)
            ):
                bad(
                    "params",
                    f"khóa '{key}' không hợp lệ: chữ thường, không trùng {', '.join(sorted(_RESERVED_PARAMS))}; giá trị là chuỗi hoặc số",
                    f"key '{key}' is invalid: lower case, none of {', '.join(sorted(_RESERVED_PARAMS))}; the value a string or a number",
                )
            else:
                pairs.append((key, str(value)))
    return pairs
