"""A fake OpenCPS statistics API: ``GET /o/rest/statistics`` with the ``groupId`` header.

    with FakeOpenCps(group_id="35417", auth="basic", username="ioc", password="pw-synthetic") as server:
        server.put_month(2026, 3, [{"govAgencyCode": "STP", "receivedCount": 120, "onlineCount": 70, …}])
        # GET /o/rest/statistics?month=3&year=2026  (header groupId: 35417)
        # → {"total": 1, "data": [{"govAgencyCode": "STP", "month": 3, "year": 2026, …}]}

Like OpenCPS (VietOpenCPS/opencps-v2, ``OpencpsStatisticRestApplication.searchDossierStatistic``):
rows are ``DossierStatisticData`` objects — ``month``, ``year``, ``govAgencyCode``,
``govAgencyName``, ``domainCode`` (empty for an agency's totals), the counts ``receivedCount``,
``onlineCount``, ``releaseCount``, ``betimesCount``, ``ontimeCount``, ``overtimeCount``,
``processingCount``, ``overdueCount`` … (missing counts are 0, as OpenCPS's ints default to 0); an
optional ``agency`` parameter filters one agency; a request for another site (``groupId``) finds
nothing. Credentials are checked exactly (:class:`collectors.platforms.dossier_rest.AuthChecker`; Liferay
sites commonly use HTTP Basic). ``provider(year, month) -> list[dict]`` replaces the stored rows
(demo hook). Faults: those of :class:`collectors.platforms.base.FakeServer`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from collectors.platforms.base import FakeServer, Request, Response, json_response
from collectors.platforms.dossier_rest import AuthChecker

COUNT_FIELDS = (
    "totalCount",
    "deniedCount",
    "cancelledCount",
    "processCount",
    "remainingCount",
    "receivedCount",
    "onlineCount",
    "onegateCount",
    "releaseCount",
    "betimesCount",
    "ontimeCount",
    "overtimeCount",
    "doneCount",
    "releasingCount",
    "unresolvedCount",
    "processingCount",
    "undueCount",
    "overdueCount",
    "pausingCount",
    "interoperatingCount",
    "waitingCount",
    "ontimePercentage",
)


class FakeOpenCps(FakeServer):
    def __init__(
        self,
        *,
        group_id: str = "35417",
        auth: str = "basic",
        username: str = "",
        password: str = "",
        token: str = "",
        api_key: str = "",
        api_key_header: str = "X-API-Key",
        client_id: str = "",
        client_secret: str = "",
        token_lifetime_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        path: str = "/o/rest/statistics",
        provider: Callable[[int, int], list[dict[str, Any]]] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        super().__init__(host, port)
        self.group_id = str(group_id)
        self.path = path
        self.auth = AuthChecker(
            auth,
            token=token,
            username=username,
            password=password,
            api_key=api_key,
            api_key_header=api_key_header,
            client_id=client_id,
            client_secret=client_secret,
            token_lifetime_s=token_lifetime_s,
            clock=clock,
        )
        self.provider = provider
        self.months: dict[tuple[int, int], list[dict[str, Any]]] = {}
        self.asked: list[tuple[int, int]] = []

    def put_month(self, year: int, month: int, rows: list[dict[str, Any]]) -> None:
        """The statistics of one month (replacing what was there), as OpenCPS computes them."""
        with self._lock:
            self.months[(year, month)] = [dict(r) for r in rows]

    def expire_tokens(self) -> None:
        self.auth.expire()

    def route(self, request: Request) -> Response:
        if request.method == "POST" and request.path == "/oauth/token" and self.auth.kind == "oauth2":
            return self.auth.issue(request)
        if request.path != self.path or request.method != "GET":
            return json_response({"error": "not found"}, 404)
        if (denied := self.auth.check(request)) is not None:
            return denied
        try:
            month, year = int(request.arg("month", "0")), int(request.arg("year", "0"))
        except ValueError:
            return json_response({"error": "month and year must be numbers"}, 400)
        self.asked.append((year, month))
        if request.header("groupId") != self.group_id:
            return json_response({"total": 0, "data": []})
        if self.provider is not None:
            rows = [dict(r) for r in self.provider(year, month)]
        else:
            with self._lock:
                rows = [dict(r) for r in self.months.get((year, month), [])]
        agency = request.arg("agency")
        if agency:
            rows = [r for r in rows if r.get("govAgencyCode") == agency]
        data = [self._full(r, year, month) for r in rows]
        return json_response({"total": len(data), "data": data})

    @staticmethod
    def _full(row: dict[str, Any], year: int, month: int) -> dict[str, Any]:
        full: dict[str, Any] = {
            "month": month,
            "year": year,
            "govAgencyCode": "",
            "govAgencyName": "",
            "domainCode": "",
            "domainName": "",
            "reporting": 0,
            "groupId": 0,
            "system": "0",
        }
        full.update({name: 0 for name in COUNT_FIELDS})
        full.update(row)
        return full
