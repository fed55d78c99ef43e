"""A fake petitions API in the national public-service portal's style (phản ánh, kiến nghị — PAKN),
the ``rest`` adapter's counterpart for ``domain = "petitions"``.

    with FakePetitionsPortal(auth="bearer", token="t0k3n-synthetic") as server:
        server.put({"maPAKN": "PAKN-1", "donViXuLy": {"ma": "000.00.01.H01"}, "trangThai": 2, ...})
        server.url  # → GET /api/v1/pakn?pageIndex=1&pageSize=50&tuNgay=20/03/2026 08:00:00

What it shares with the dossier fake (:mod:`collectors.platforms.dossier_rest`): the exact auth checks
(``auth=`` none / bearer / basic / api_key / oauth2 with expiring tokens), "updated since"
(``updated_param``, ``updated_format``), date rendering (``date_format``, default
``dd/MM/yyyy HH:mm:ss`` as the portal sends), the serving order (``order="id"``: by ``maPAKN``,
NOT by update time) and the faults of :class:`collectors.platforms.base.FakeServer` (429, 500, slow,
malformed, truncated, expired_token). What is the portal's own:

* **Shape**: ``{"success": true, "result": {"items": [...], "totalCount": N, "pageIndex": i}}``
  with nested objects — ``linhVuc: {ma, ten}``, ``donViXuLy: {ma, ten}``, ``danhGia: {mucDo}``;
* **Paging**: ``pageIndex`` / ``pageSize`` (first page 1), or ``paging="none"``;
* **Personal data**: like the real portal, every item carries the petitioner
  (``nguoiPhanAnh: {hoTen, soDienThoai, diaChi, email}``, synthetic values) unless
  ``with_petitioner=False`` — the adapter must drop it and never store it;
* **Demo hook**: ``provider(updated_since) -> list[dict]`` replaces the in-memory rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from collectors.platforms.base import Request, Response, json_response
from collectors.platforms.dossier_rest import VN, FakeDossierRest, render_time

ID = "maPAKN"
UPDATED = "ngayCapNhat"


def _updated(row: dict[str, Any]) -> datetime | None:
    value = row.get(UPDATED)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=VN)
    from collectors.parse import parse_datetime

    return parse_datetime(str(value), VN)


def petitioner(key: str) -> dict[str, str]:
    """Synthetic personal data of the kind the real portal sends (never real people)."""
    n = sum(ord(c) for c in key) % 9000 + 1000
    return {
        "hoTen": f"Người dân thử nghiệm {n}",
        "soDienThoai": f"0900{n:06d}"[:10],
        "diaChi": f"{n % 200} Đường Thử Nghiệm, Phường Mẫu",
        "email": f"nguoidan{n}@example.invalid",
    }


class FakePetitionsPortal(FakeDossierRest):
    def __init__(
        self,
        *,
        path: str = "/api/v1/pakn",
        items_path: str = "result.items",
        paging: str = "page",
        date_format: str = "dd/MM/yyyy HH:mm:ss",
        updated_format: str = "dd/MM/yyyy HH:mm:ss",
        with_petitioner: bool = True,
        provider: Callable[[datetime | None], list[dict[str, Any]]] | None = None,
        **kwargs: Any,
    ):
        if paging not in ("page", "none"):
            raise ValueError(f"the portal pages by pageIndex/pageSize or not at all, not {paging!r}")
        super().__init__(
            path=path,
            items_path=items_path,
            paging=paging,
            date_format=date_format,
            updated_format=updated_format,
            provider=provider,
            **kwargs,
        )
        self.with_petitioner = with_petitioner

    def put(self, *rows: dict[str, Any]) -> None:
        with self._lock:
            for row in rows:
                self.rows[str(row[ID])] = dict(row)

    def _order(self, rows: list[dict[str, Any]], since: datetime | None) -> list[dict[str, Any]]:
        if since is not None:
            rows = [r for r in rows if (u := _updated(r)) is None or u >= since]
        oldest = datetime.min.replace(tzinfo=UTC)
        if self.order == "updated":
            rows.sort(key=lambda r: (_updated(r) or oldest, str(r.get(ID))))
        elif self.order == "reverse":
            rows.sort(key=lambda r: (_updated(r) or oldest, str(r.get(ID))), reverse=True)
        else:
            rows.sort(key=lambda r: str(r.get(ID)))
        return [self._render(r) for r in rows]

    def _render(self, row: dict[str, Any]) -> dict[str, Any]:
        out = {
            k: render_time(v, self.date_format) if isinstance(v, (datetime, date)) else v
            for k, v in row.items()
        }
        if self.with_petitioner and "nguoiPhanAnh" not in out:
            out["nguoiPhanAnh"] = petitioner(str(row.get(ID)))
        return out

    def _page(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        total = len(rows)
        if self.paging == "none":
            return json_response({"success": True, "result": {"items": rows, "totalCount": total}})
        try:
            page = int(request.arg("pageIndex", "1"))
            size = int(request.arg("pageSize", "50"))
        except ValueError:
            return json_response({"success": False, "error": "bad paging parameters"}, 400)
        if page < 1 or not 0 < size <= 5000:
            return json_response({"success": False, "error": "pageIndex ≥ 1, 0 < pageSize ≤ 5000"}, 400)
        start = (page - 1) * size
        return json_response(
            {
                "success": True,
                "result": {"items": rows[start : start + size], "totalCount": total, "pageIndex": page},
            }
        )
