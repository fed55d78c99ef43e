"""``trueconf`` adapter: conferences of a TrueConf Server as meetings (sources.md §4.3).

Protocol (TrueConf Server API v3.3, checked against TrueConf's own API examples)::

    POST /oauth2/v1/token  {"grant_type": "client_credentials", "client_id": …, "client_secret": …}
         → {"access_token": "…", "expires_in": 604800, "token_type": "Bearer", "scope": "…"}
    GET  /api/v3.3/conferences?access_token=…&page_id=1&page_size=100
         → {"cnt": 2, "conferences": [{"id", "topic", "owner", "state": "running" | "stopped",
            "schedule": {"type": 1, "start_time": 1605949200, "duration": 28800}, "invitations": [...],
            "tags": [...], "created_at": 1605860922, "max_participants": 36, …}]}
    GET  /api/v3.3/conferences/{id}/participants?access_token=…&page_id=1&page_size=100
         → {"participants": [{"id": "user@server", "display_name": …, "join_time": 1605950000}], "cnt": …}

The token is renewed shortly before ``expires_in`` runs out and after a 401 (the server forgot or
expired it); a refused token request is fatal and names ``secrets.client_secret``.

What becomes a meeting (view contract ``meeting_id, unit_code, title, platform, status, start_at,
end_at, endpoints_scheduled, endpoints_connected, participants, updated_at``):

* a **one-time scheduled** conference (``schedule.type == 1``) is one meeting, ``meeting_id`` = the
  conference id, planned at ``schedule.start_time`` for ``schedule.duration`` seconds with its
  invitations as the scheduled endpoints. It is emitted while its start lies within
  ``history_days`` before and ``horizon_days`` after now;
* a **virtual room or weekly** conference (any other schedule) is a meeting each time it runs:
  ``meeting_id`` = ``"<id>@<epoch of the session start>"``;
* while a conference is ``running`` the adapter reads its participants: ``participants`` is the
  peak of concurrent participants over polls, ``endpoints_connected`` the distinct participant ids
  seen during the session; ``start_at`` is when the session was first seen running (the earliest
  ``join_time`` when the server reports one), ``end_at`` the first poll that saw it stopped.

TrueConf has no "changed since" filter, so every run lists all conferences (a few pages) and the
runner's upsert keeps only real changes. The **watermark** carries what polling alone can know:
the sessions still running (start, peak, participant ids seen) so the next run continues them,
the one-time conferences already held (so a later run does not overwrite what was observed with
the plan), and when polling began (a planned meeting whose time passed since then, never seen
running, had 0 endpoints connected; before that we do not know, so null).

Status (domain.md §1.3): TrueConf has no approval workflow; every conference it holds or schedules
is reported as 2 (approved).

Unit (``unit_code``), in order: ``unit_from = "tag"`` — the conference tag starting with
``tag_prefix`` (``"unit:SO-01"`` → ``SO-01``); ``unit_from = "owner"`` (default) — the owner's user
id when the source's ``[units]`` table maps it (``"so01.admin" = "SO-01"``; the part before ``@``
is tried too); otherwise ``options.unit_code``; otherwise the owner id itself, which the runner
rejects as an unknown unit with a reason an IT officer can act on.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from collectors.base import (
    Adapter,
    Batch,
    ErrorKind,
    FatalSourceError,
    RawReject,
    RawRow,
    TransientSourceError,
)
from collectors.http import (
    HttpClient,
    OAuth2ClientCredentials,
    PagePaginator,
    check_url,
)

PLATFORM = "trueconf"
SCHEDULE_ONCE = 1
#: Participant ids remembered per running session (bounds the watermark of a huge webinar).
MAX_SEEN_IDS = 2000
#: OAuth clients by (source, url, client id, secret digest), kept across runs in the collector
#: process: a token lives for days (``expires_in`` 604800 by default) and the server stores every
#: token it issues, so asking for a new one at each poll would fill its token table.
_AUTH_CACHE: dict[tuple[str, str, str, str], OAuth2ClientCredentials] = {}
_AUTH_LOCK = threading.Lock()
DEFAULTS = {
    "api_version": "v3.3",
    "page_size": 100,
    "history_days": 30,
    "horizon_days": 30,
    "timeout_s": 15.0,
    "unit_from": "owner",
    "tag_prefix": "unit:",
}


def _epoch(value: Any) -> int | None:
    """A plausible epoch-seconds integer (TrueConf sends integers; tolerate numeric strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 631152000 <= value <= 4102444800:  # 1990 … 2100
        return value
    return None


def _iso(epoch: int | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()


def conferences_of(body: Any) -> list:
    """The conference list of one page; anything else is a malformed answer (worth a retry)."""
    items = body.get("conferences") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise TransientSourceError(
            "TrueConf answered without a conference list ('conferences'): malformed answer",
            kind=ErrorKind.BAD_RESPONSE,
        )
    return items


def participants_of(body: Any) -> list:
    items = body.get("participants") if isinstance(body, dict) else None
    if items is None and isinstance(body, dict) and "cnt" in body:
        return []
    if not isinstance(items, list):
        raise TransientSourceError(
            "TrueConf answered without a participant list ('participants'): malformed answer",
            kind=ErrorKind.BAD_RESPONSE,
        )
    return items


def summarise_participants(items: list) -> tuple[list[str], int | None, int | None]:
    """(participant ids, earliest and latest join_time) of a participant list; odd entries are skipped."""
    ids: list[str] = []
    joins: list[int] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        pid = item.get("id") or item.get("uid")
        if isinstance(pid, (str, int)) and not isinstance(pid, bool) and str(pid).strip():
            ids.append(str(pid).strip()[:200])
        join = _epoch(item.get("join_time"))
        if join is not None:
            joins.append(join)
    return ids, (min(joins) if joins else None), (max(joins) if joins else None)


class TrueConfAdapter(Adapter):
    kind = "trueconf"
    domains = ("meetings",)

    def __init__(self, config, *, clock: Callable[[], datetime] | None = None):
        super().__init__(config)
        opts = {**DEFAULTS, **config.options}
        self.opts = opts
        self.clock = clock or (lambda: datetime.now(UTC))
        # The OAuth token's expiry runs on the same clock when one is injected (tests move it
        # instead of sleeping); otherwise on the monotonic clock, immune to wall-clock jumps.
        self._token_clock = time.monotonic if clock is None else (lambda: clock().timestamp())
        self.api = f"/api/{opts['api_version']}"
        self._client: HttpClient | None = None

    # --- configuration -------------------------------------------------------------------------------
    @classmethod
    def check_options(cls, options: dict[str, Any]) -> list[str]:
        problems = check_url(options)
        if not isinstance(options.get("client_id"), str) or not options.get("client_id"):
            problems.append(
                "options.client_id: required (the OAuth application's id, TrueConf control panel → API → OAuth2)"
            )
        size = options.get("page_size", DEFAULTS["page_size"])
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 1000:
            problems.append("options.page_size: expected a whole number between 1 and 1000")
        for key in ("history_days", "horizon_days"):
            value = options.get(key, DEFAULTS[key])
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 3660:
                problems.append(f"options.{key}: expected a number of days between 0 and 3660")
        timeout = options.get("timeout_s", DEFAULTS["timeout_s"])
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout <= 300:
            problems.append("options.timeout_s: expected seconds between 0 and 300")
        if options.get("unit_from", "owner") not in ("owner", "tag"):
            problems.append("options.unit_from: expected owner or tag")
        if "unit_code" in options and not (
            isinstance(options["unit_code"], str) and options["unit_code"].strip()
        ):
            problems.append("options.unit_code: expected a unit code such as SO-01")
        if not isinstance(options.get("tag_prefix", "unit:"), str):
            problems.append('options.tag_prefix: expected text such as "unit:"')
        if not isinstance(options.get("api_version", "v3.3"), str):
            problems.append('options.api_version: expected text such as "v3.3"')
        verify = options.get("verify", True)
        if not isinstance(verify, (bool, str)):
            problems.append("options.verify: expected true, false or the path of a CA certificate file")
        return problems

    def client(self) -> HttpClient:
        if self._client is None:
            base = str(self.opts["url"]).rstrip("/")
            secret = self.config.secret("client_secret")
            key = (
                self.config.name,
                base,
                str(self.opts["client_id"]),
                hashlib.sha256(secret.encode()).hexdigest(),
            )
            with _AUTH_LOCK:
                auth = _AUTH_CACHE.get(key)
                if auth is None:
                    for old in [k for k in _AUTH_CACHE if k[0] == self.config.name]:
                        del _AUTH_CACHE[old]  # the source's settings changed: forget the old client
                    auth = _AUTH_CACHE[key] = OAuth2ClientCredentials(
                        token_url=f"{base}/oauth2/v1/token",
                        client_id=str(self.opts["client_id"]),
                        client_secret=secret,
                        body="json",
                        placement="query",
                        clock=self._token_clock,
                    )
            self._client = HttpClient(
                self.config,
                base_url=base,
                auth=auth,
                timeout_s=float(self.opts["timeout_s"]),
                verify=self.opts.get("verify", True),
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # --- reading -------------------------------------------------------------------------------------
    def _pages(self, path: str, items_of) -> Iterator[list]:
        client = self.client()
        paginator = PagePaginator(
            page_param="page_id",
            size_param="page_size",
            size=int(self.opts["page_size"]),
            first_page=1,
            total_path="cnt",
        )
        paginator.max_pages = 10_000
        yield from paginator.pages(lambda params: client.get_json(path, params=params), items_of)

    def fetch_conferences(self) -> list:
        out: list = []
        for items in self._pages(f"{self.api}/conferences", conferences_of):
            out.extend(items)
        return out

    def fetch_participants(self, conference_id: str) -> list | None:
        """The participants of a running conference; None when it vanished meanwhile (404)."""
        out: list = []
        try:
            for items in self._pages(f"{self.api}/conferences/{conference_id}/participants", participants_of):
                out.extend(items)
        except FatalSourceError as exc:
            # The conference was deleted between the list and this call: not a configuration
            # error. (HttpClient reports every other 4xx as fatal, which stays fatal here.)
            if "HTTP 404" in str(exc):
                return None
            raise
        return out

    def batches(self, watermark: dict[str, Any] | None) -> Iterator[Batch]:
        now = self.clock()
        conferences = self.fetch_conferences()
        participants: dict[str, list | None] = {}
        for conf in conferences:
            if isinstance(conf, dict) and conf.get("state") == "running" and _conference_id(conf):
                participants[_conference_id(conf)] = self.fetch_participants(_conference_id(conf))
        rows, rejects, new_watermark = build_meetings(
            conferences, participants, watermark, now, self.opts, self.config.units
        )
        yield Batch(
            rows=[RawRow(r) for r in rows],
            rejects=rejects,
            watermark=new_watermark,
            description=f"{len(conferences)} conference(s)",
        )


def _conference_id(conf: dict) -> str | None:
    cid = conf.get("id")
    if isinstance(cid, bool) or not isinstance(cid, (str, int)):
        return None
    text = str(cid).strip()
    return text[:100] if text else None


def _count(value: Any) -> int:
    """A whole non-negative number from the watermark (which a person could have edited)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _seen(session: dict) -> int:
    seen = session.get("seen")
    return len(seen) if isinstance(seen, list) else 0


def unit_for(conf: dict, opts: dict[str, Any], units: dict[str, str]) -> str | None:
    """The unit code of a conference (see the module docstring for the order)."""
    if opts.get("unit_from", "owner") == "tag":
        prefix = str(opts.get("tag_prefix", "unit:"))
        tags = conf.get("tags") if isinstance(conf.get("tags"), list) else []
        for tag in tags:
            if isinstance(tag, str) and tag.startswith(prefix) and tag[len(prefix) :].strip():
                return tag[len(prefix) :].strip()
    owner = conf.get("owner")
    owner = str(owner).strip() if isinstance(owner, (str, int)) and not isinstance(owner, bool) else ""
    if owner:
        for candidate in (owner, owner.split("@", 1)[0]):
            if candidate in units:
                return candidate
    default = opts.get("unit_code")
    if isinstance(default, str) and default.strip():
        return default.strip()
    return owner or None


def build_meetings(
    conferences: list,
    participants: dict[str, list | None],
    watermark: dict[str, Any] | None,
    now: datetime,
    opts: dict[str, Any],
    units: dict[str, str] | None = None,
) -> tuple[list[dict[str, Any]], list[RawReject], dict[str, Any]]:
    """Meetings rows, rejects and the next watermark from one poll (a pure function).

    >>> conf = {"id": "42", "topic": "Giao ban", "owner": "so01", "state": "stopped", "created_at": 1767225600,
    ...         "schedule": {"type": 1, "start_time": 1767258000, "duration": 3600}, "invitations": [{"id": "a"}]}
    >>> rows, _, wm = build_meetings([conf], {}, None, datetime(2026, 1, 1, tzinfo=UTC), {"unit_code": "SO-01"})
    >>> rows[0]["meeting_id"], rows[0]["endpoints_scheduled"], rows[0]["endpoints_connected"]
    ('42', 1, None)
    """
    opts = {**DEFAULTS, **opts}
    units = units or {}
    wm = watermark if isinstance(watermark, dict) else {}
    now_s = int(now.timestamp())
    since = wm.get("since") if isinstance(wm.get("since"), int) else now_s
    old_sessions = wm.get("sessions") if isinstance(wm.get("sessions"), dict) else {}
    held = dict(wm.get("held")) if isinstance(wm.get("held"), dict) else {}
    sessions: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    rejects: list[RawReject] = []
    history_from = now_s - int(float(opts["history_days"]) * 86400)
    horizon_to = now_s + int(float(opts["horizon_days"]) * 86400)
    seen_ids: set[str] = set()

    for conf in conferences:
        if not isinstance(conf, dict):
            rejects.append(RawReject("a conference entry is not a JSON object", conf))
            continue
        cid = _conference_id(conf)
        if cid is None:
            rejects.append(RawReject("conference without an id", conf))
            continue
        if cid in seen_ids:
            continue  # listed twice (the list moved between pages): the first one counts
        seen_ids.add(cid)
        schedule = conf.get("schedule") if isinstance(conf.get("schedule"), dict) else {}
        once = schedule.get("type") == SCHEDULE_ONCE
        planned_start = _epoch(schedule.get("start_time"))
        duration = schedule.get("duration")
        duration = (
            duration
            if isinstance(duration, int) and not isinstance(duration, bool) and duration > 0
            else None
        )
        invitations = conf.get("invitations")
        scheduled = len(invitations) if isinstance(invitations, list) and invitations else None
        base = {
            "unit_code": unit_for(conf, opts, units),
            "title": conf.get("topic") if isinstance(conf.get("topic"), str) else None,
            "platform": PLATFORM,
            "status": 2,
            "endpoints_scheduled": scheduled,
        }
        previous = old_sessions.get(cid) if isinstance(old_sessions.get(cid), dict) else None
        if conf.get("state") == "running":
            plist = participants.get(cid)
            ids, first_join, last_join = summarise_participants(plist or [])
            if previous is not None and isinstance(previous.get("start"), int):
                start = previous["start"]
                peak = max(_count(previous.get("peak")), len(set(ids)))
                old_seen = previous.get("seen") if isinstance(previous.get("seen"), list) else []
                seen = list(dict.fromkeys([*map(str, old_seen), *ids]))[:MAX_SEEN_IDS]
                last = max(_count(previous.get("last")), start)
            else:
                start = first_join if first_join is not None and first_join <= now_s else now_s
                peak, seen, last = len(set(ids)), list(dict.fromkeys(ids))[:MAX_SEEN_IDS], start
            if last_join is not None and last_join <= now_s:
                last = max(last, last_join)  # the row changes when someone joins
            meeting_id = cid if once else f"{cid}@{start}"
            sessions[cid] = {
                "start": start,
                "peak": peak,
                "seen": seen,
                "last": last,
                "id": meeting_id,
                "unit": base["unit_code"],
                "title": base["title"],
                "scheduled": scheduled,
            }
            rows.append(
                {
                    **base,
                    "meeting_id": meeting_id,
                    "start_at": _iso(start),
                    "end_at": None,
                    "endpoints_connected": len(seen),
                    "participants": peak,
                    "updated_at": _iso(last),
                }
            )
            held.pop(cid, None)
            continue
        if previous is not None and isinstance(previous.get("start"), int):
            # Seen running at the last poll, stopped now: close the session at this poll.
            start = previous["start"]
            meeting_id = str(previous.get("id") or (cid if once else f"{cid}@{start}"))
            end = max(now_s, start)
            record = {
                "start": start,
                "end": end,
                "peak": _count(previous.get("peak")),
                "connected": _seen(previous),
            }
            rows.append(
                {
                    **base,
                    "meeting_id": meeting_id,
                    "start_at": _iso(start),
                    "end_at": _iso(end),
                    "endpoints_connected": record["connected"],
                    "participants": record["peak"],
                    "updated_at": _iso(end),
                }
            )
            if once:
                held[cid] = record
            continue
        if not once or cid in held or planned_start is None:
            continue  # a room that did not run, or a one-time meeting already reported as held
        if not history_from <= planned_start <= horizon_to:
            continue
        planned_end = planned_start + duration if duration else None
        # Polling since before the planned start and still never seen running: nobody connected.
        missed = planned_end is not None and planned_end < now_s and since <= planned_start
        rows.append(
            {
                **base,
                "meeting_id": cid,
                "start_at": _iso(planned_start),
                "end_at": _iso(planned_end),
                "endpoints_connected": 0 if missed else None,
                "participants": 0 if missed else None,
                "updated_at": _iso(_epoch(conf.get("created_at"))),
            }
        )

    # Sessions that vanished from the list (the conference was deleted while running): close them.
    for cid, previous in old_sessions.items():
        if cid in seen_ids or not isinstance(previous, dict) or not isinstance(previous.get("start"), int):
            continue
        start, end = previous["start"], max(now_s, previous["start"])
        rows.append(
            {
                "meeting_id": str(previous.get("id") or f"{cid}@{start}"),
                "unit_code": previous.get("unit"),
                "title": previous.get("title"),
                "platform": PLATFORM,
                "status": 2,
                "start_at": _iso(start),
                "end_at": _iso(end),
                "endpoints_scheduled": previous.get("scheduled"),
                "endpoints_connected": _seen(previous),
                "participants": _count(previous.get("peak")),
                "updated_at": _iso(end),
            }
        )
    held = {cid: h for cid, h in held.items() if isinstance(h, dict) and _count(h.get("end")) >= history_from}
    return (
        rows,
        rejects,
        {"version": 1, "since": since, "polled_at": now_s, "sessions": sessions, "held": held},
    )
