"""A fake TrueConf Server (API v3.3): OAuth2 client credentials, paged conferences and participants.

Behaves like the real server where the adapter can tell:

* ``POST /oauth2/v1/token`` with a JSON body ``{"grant_type": "client_credentials", "client_id",
  "client_secret"}`` issues an opaque ``access_token`` with ``expires_in``; wrong credentials get
  ``401 {"error": "invalid_client", …}`` (the OAuth library TrueConf uses answers this way);
* every ``/api/v3.3/…`` call needs ``?access_token=``; an unknown or expired token gets
  ``401`` with TrueConf's error envelope ``{"error": {"code": 401, "message": …, "errors": [...]}}``;
* ``GET /api/v3.3/conferences?page_id=&page_size=`` → ``{"cnt": total, "conferences": [...]}``;
* ``GET /api/v3.3/conferences/{id}/participants?page_id=&page_size=`` → ``{"cnt", "participants"}``
  (an empty list while the conference is stopped; 404 for an unknown conference).

Tests control the state: ``add_conference(...)``, ``start_conference(id, participants=[...])``, ``stop_conference(id)``,
``join(id, pid)``, ``leave(id, pid)``; ``token_lifetime_s`` and ``clock`` for expiry. The
``"expired_token"`` fault makes the server forget every token it issued.

Identifiers and secrets here are synthetic.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from collectors.platforms.base import FakeServer, Request, Response, json_response


def _error(status: int, message: str, reason: str) -> Response:
    return json_response(
        {"error": {"code": status, "message": message, "errors": [{"reason": reason, "message": message}]}},
        status,
    )


class FakeTrueConf(FakeServer):
    def __init__(
        self,
        client_id: str = "ioc-dashboard",
        client_secret: str = "tc-secret-0c4f9e1a7b",
        *,
        token_lifetime_s: int = 604800,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        super().__init__(host, port)
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime_s = token_lifetime_s
        self.clock = clock
        self.tokens: dict[str, float] = {}  # token → expiry (epoch seconds)
        self.tokens_issued = 0
        self.issued: list[str] = []  # every token ever issued (tests check none leaks into logs)
        self.conferences: dict[str, dict[str, Any]] = {}  # insertion order = list order
        self.participants: dict[str, list[dict[str, Any]]] = {}
        self._state = threading.Lock()

    # ---- state the tests control
    def add_conference(
        self,
        conference_id: str,
        *,
        topic: str = "Họp giao ban",
        owner: str = "so01.admin",
        schedule: dict | None = None,
        invitations: int = 0,
        tags: list[str] | None = None,
        created_at: int = 1767225600,
        state: str = "stopped",
    ) -> dict:
        conf = {
            "id": conference_id,
            "type": 0,
            "topic": topic,
            "owner": owner,
            "description": "",
            "max_podiums": 36,
            "max_participants": 36,
            "schedule": schedule or {"type": -1},
            "invitations": [
                {"id": f"ep{i:02d}@tc.example.vn", "display_name": f"Điểm cầu {i}"}
                for i in range(invitations)
            ],
            "allow_guests": False,
            "auto_invite": 0,
            "state": state,
            "access": "private",
            "url": f"https://tc.example.vn/c/{conference_id}",
            "webclient_url": f"https://tc.example.vn/webrtc/{conference_id}",
            "created_at": created_at,
            "multicast_enable": False,
            "multicast_address": None,
            "tags": list(tags or []),
            "recording": 0,
            "stream_recording_state": 0,
        }
        with self._state:
            self.conferences[conference_id] = conf
            self.participants.setdefault(conference_id, [])
        return conf

    def start_conference(
        self, conference_id: str, participants: list[str] = (), join_time: int | None = None
    ) -> None:
        with self._state:
            self.conferences[conference_id]["state"] = "running"
            self.participants[conference_id] = []
        for pid in participants:
            self.join(conference_id, pid, join_time)

    def join(self, conference_id: str, pid: str, join_time: int | None = None) -> None:
        with self._state:
            self.participants[conference_id].append(
                {
                    "id": pid,
                    "uid": pid,
                    "display_name": pid.split("@")[0],
                    "login_name": pid.split("@")[0],
                    "join_time": int(join_time if join_time is not None else self.clock()),
                    "is_owner": False,
                }
            )

    def leave(self, conference_id: str, pid: str) -> None:
        with self._state:
            self.participants[conference_id] = [p for p in self.participants[conference_id] if p["id"] != pid]

    def stop_conference(self, conference_id: str) -> None:
        with self._state:
            self.conferences[conference_id]["state"] = "stopped"
            self.participants[conference_id] = []

    def remove(self, conference_id: str) -> None:
        with self._state:
            self.conferences.pop(conference_id, None)
            self.participants.pop(conference_id, None)

    def expire_tokens(self) -> None:
        with self._state:
            self.tokens.clear()

    # ---- the API
    def route(self, request: Request) -> Response:
        if request.path == "/oauth2/v1/token":
            return self._token(request)
        if not request.path.startswith("/api/v3.3/"):
            return _error(404, "Not Found", "notFound")
        token = request.arg("access_token")
        with self._state:
            expiry = self.tokens.get(token or "")
        if expiry is None or expiry <= self.clock():
            return _error(401, "Invalid or expired access token", "invalidToken")
        if request.method != "GET":
            return _error(405, "Method Not Allowed", "methodNotAllowed")
        parts = request.path[len("/api/v3.3/") :].strip("/").split("/")
        try:
            page = int(request.arg("page_id", "1"))
            size = int(request.arg("page_size", "10"))
        except ValueError:
            return _error(400, "page_id and page_size must be integers", "invalidParameter")
        if page < 1 or not 1 <= size <= 1000:
            return _error(400, "page_id or page_size out of range", "invalidParameter")
        with self._state:
            if parts == ["conferences"]:
                items = [dict(c) for c in self.conferences.values()]
                return json_response(
                    {"cnt": len(items), "conferences": items[(page - 1) * size : page * size]}
                )
            if len(parts) == 3 and parts[0] == "conferences" and parts[2] == "participants":
                if parts[1] not in self.conferences:
                    return _error(404, "Not Found", "notFound")
                items = [dict(p) for p in self.participants.get(parts[1], [])]
                return json_response(
                    {"cnt": len(items), "participants": items[(page - 1) * size : page * size]}
                )
        return _error(404, "Not Found", "notFound")

    def _token(self, request: Request) -> Response:
        if request.method != "POST":
            return _error(405, "Method Not Allowed", "methodNotAllowed")
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or body.get("grant_type") != "client_credentials":
            return json_response(
                {
                    "error": "invalid_request",
                    "error_description": "The grant type was not specified in the request",
                },
                400,
            )
        if body.get("client_id") != self.client_id or body.get("client_secret") != self.client_secret:
            return json_response(
                {"error": "invalid_client", "error_description": "The client credentials are invalid"}, 401
            )
        token = secrets.token_hex(20)
        with self._state:
            self.tokens[token] = self.clock() + self.token_lifetime_s
            self.tokens_issued += 1
            self.issued.append(token)
        return json_response(
            {
                "access_token": token,
                "expires_in": self.token_lifetime_s,
                "token_type": "Bearer",
                "scope": "conferences:read conferences.participants:read",
            }
        )
