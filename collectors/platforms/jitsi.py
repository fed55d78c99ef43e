"""A fake Jitsi Meet stats endpoint: Videobridge ``/colibri/stats`` and Jicofo ``/stats``.

One instance stands for one component (a bridge, or Jicofo) and answers both paths from the same
in-memory state, with the field names the real components publish (``conferences``,
``participants``, ``largest_conference``, ``conference_sizes``, ``total_conferences_created``,
``total_participants``, … plus a few others of each so the adapter must pick its fields).

Tests drive it: ``open_conference(participants)`` starts a conference, ``join(n)`` /
``leave(n)`` change the last one, ``close_conference()`` ends the oldest; the cumulative counters
grow as the real ones do. The custom fault ``"reset"`` restarts the process before answering:
counters back to small values (one conference with one participant reconnected). The real endpoints have no authentication (they listen on internal ports); pass
``basic_auth=("user", "password")`` to behave like a reverse proxy with basic auth in front.
"""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime

from collectors.platforms.base import FakeServer, Request, Response, json_response


class FakeJitsi(FakeServer):
    def __init__(self, *, basic_auth: tuple[str, str] | None = None, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.basic_auth = basic_auth
        self.sizes: list[int] = []  # participants of each running conference
        self.total_conferences_created = 0
        self.total_participants = 0
        self.total_conferences_completed = 0
        self.restarts = 0
        self._state = threading.Lock()

    # ---- state the tests control
    def open_conference(self, participants: int = 2) -> None:
        with self._state:
            self.sizes.append(participants)
            self.total_conferences_created += 1
            self.total_participants += participants

    def join(self, n: int = 1) -> None:
        with self._state:
            self.sizes[-1] += n
            self.total_participants += n

    def leave(self, n: int = 1) -> None:
        with self._state:
            self.sizes[-1] = max(0, self.sizes[-1] - n)

    def close_conference(self) -> None:
        with self._state:
            if self.sizes:
                self.sizes.pop(0)
                self.total_conferences_completed += 1

    def restart(self, conferences: list[int] = ()) -> None:
        """The process restarted: counters from 0, then ``conferences`` re-created."""
        with self._state:
            self.restarts += 1
            self.sizes = []
            self.total_conferences_created = self.total_participants = self.total_conferences_completed = 0
        for size in conferences:
            self.open_conference(size)

    def apply_fault(self, kind: str) -> None:
        if kind != "reset":
            super().apply_fault(kind)
        self.restart([1])  # a fresh process: one conference with one participant reconnected so far

    # ---- the endpoints
    def _stats(self) -> dict:
        with self._state:
            sizes = list(self.sizes)
            buckets = [0] * 22
            for size in sizes:
                buckets[min(size, 21)] += 1
            return {
                "conferences": len(sizes),
                "participants": sum(sizes),
                "largest_conference": max(sizes, default=0),
                "conference_sizes": buckets,
                "total_conferences_created": self.total_conferences_created,
                "total_conferences_completed": self.total_conferences_completed,
                "total_participants": self.total_participants,
            }

    def route(self, request: Request) -> Response:
        if self.basic_auth is not None:
            expected = (
                "Basic " + base64.b64encode(f"{self.basic_auth[0]}:{self.basic_auth[1]}".encode()).decode()
            )
            if request.header("Authorization") != expected:
                return Response(
                    401,
                    "<html><body><h1>401 Authorization Required</h1></body></html>",
                    {"WWW-Authenticate": 'Basic realm="jitsi stats"'},
                    "text/html",
                )
        if request.method != "GET":
            return json_response({"error": "method not allowed"}, 405)
        stats = self._stats()
        if request.path == "/colibri/stats":  # Videobridge
            stats.update(
                {
                    "current_timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                    "threads": 59,
                    "bit_rate_download": 0,
                    "bit_rate_upload": 0,
                    "rtt_aggregate": 0.0,
                    "videochannels": 0,
                    "audiochannels": 0,
                    "graceful_shutdown": False,
                    "region": "vn-hanoi-1",
                    "total_conference_seconds": 470 * self.total_conferences_completed,
                }
            )
            return json_response(stats)
        if request.path == "/stats":  # Jicofo
            stats.update(
                {
                    "total_sip_call_failures": 0,
                    "total_recording_failures": 0,
                    "total_live_streaming_failures": 0,
                    "bridge_selector": {
                        "bridge_count": 1,
                        "operational_bridge_count": 1,
                        "total_least_loaded_in_region": 0,
                    },
                }
            )
            return json_response(stats)
        return json_response({"error": "not found"}, 404)
