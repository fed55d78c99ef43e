"""Forged callbacks cannot read outside the principal's scope — a test that cannot be outgrown.

It enumerates the app's callback map and, for every server callback, posts forged payloads to
``/_dash-update-component`` as the head of one provincial department (SO-01) asking for another
department, for the whole ministry, for ``*``, empty and ``null``, and with made-up row ids. No
answer may contain a code, name or row of a unit outside SO-01, a document marked secret, or a
figure of a wider scope. A server callback without a case in :data:`FORGERIES` fails the test:
whoever adds a callback adds its forgeries here, and so the check.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dashboard import screens
from dashboard.db import make_sessionmaker
from dashboard.kpi.engine import compute, resolve_scope
from dashboard.kpi.periods import Period
from dashboard.models import OrgUnit
from dashboard.units import DEMO_UNITS_FILE, import_units_file
from tests.access_support import PASSWORD, add_account, csrf_header, sign_in
from tests.integration.kpis.conftest import doc, dossier, feed

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HEAD, OUTSIDE, ROOT, CENTRAL = "SO-01", "SO-79", "BMP", "BMP-VP"
#: What a forger asks for instead of its own unit.
FORGED_UNITS = (OUTSIDE, ROOT, CENTRAL, "*", "", None, "all", "null", [OUTSIDE], {"code": OUTSIDE})
MADE_UP_ROWS = [{"row_id": f"document-{n}"} for n in range(1, 400)] + [
    {"row_id": f"dossier-{n}"} for n in range(1, 400)
]


def _local(days_ago: int, hour: int) -> str:
    day = datetime.now(TZ).date() - timedelta(days=days_ago)
    return f"{day} {hour:02d}:00"


@pytest.fixture
def store(engine):
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
        add_account(session, "head-so01", PASSWORD, ("truong_don_vi", HEAD))
        add_account(session, "monitor-so01", PASSWORD, ("theo_doi", HEAD))
        screens.add(session, "wall-outside", "tong-quan", OUTSIDE, enrol_hours=1)
        screens.add(session, "wall-inside", "tong-quan", HEAD, enrol_hours=1)
    registered, due = _local(3, 9), _local(2, 17)  # open and overdue since yesterday
    rows = [
        doc(f"IN-DOC-{n}", unit_code=HEAD, registered_at=registered, due_at=due, updated_at=registered)
        for n in range(3)
    ]
    rows.append(
        doc(
            "SECRET-DOC-1",
            unit_code=HEAD,
            registered_at=registered,
            due_at=due,
            updated_at=registered,
            is_secret=1,
        )
    )
    rows += [
        doc(f"OUT-DOC-{n}", unit_code=OUTSIDE, registered_at=registered, due_at=due, updated_at=registered)
        for n in range(11)
    ]
    rows.append(
        doc("OUT-CENTRAL-1", unit_code=CENTRAL, registered_at=registered, due_at=due, updated_at=registered)
    )
    feed(engine, "documents", rows)
    _alerts_inside_and_outside(engine)
    received, due_d = _local(4, 9), _local(1, 17)
    feed(
        engine,
        "dossiers",
        [
            dossier(f"IN-HS-{n}", MaDonVi=HEAD, NgayTiepNhan=received, NgayHenTra=due_d, NgayCapNhat=received)
            for n in range(2)
        ]
        + [
            dossier(
                f"OUT-HS-{n}", MaDonVi=OUTSIDE, NgayTiepNhan=received, NgayHenTra=due_d, NgayCapNhat=received
            )
            for n in range(7)
        ],
    )
    feed(
        engine,
        "petitions",
        [
            {
                "MaPAKN": f"{who}-PAKN-{n}",
                "MaDonVi": unit,
                "KenhTiepNhan": 1,
                "LinhVuc": "dat-dai",
                "NgayTiepNhan": received,
                "HanXuLy": due,
                "TrangThai": 2,
                "NgayCapNhat": received,
            }
            for who, unit, numbers in (
                ("IN", HEAD, range(2)),
                ("OUT", OUTSIDE, range(5)),
                ("OUT", CENTRAL, [9]),
            )
            for n in numbers
        ],
    )
    # Directive tasks, open and overdue: the head's own, and other units' (directive OUT-NV-…).
    assigned, due_t = _local(20, 9)[:10], _local(5, 9)[:10]
    feed(
        engine,
        "tasks",
        [
            {
                "task_id": f"IN-NV-{n}",
                "directive_ref": "1/TB-IN",
                "lead_unit_code": HEAD,
                "assigned_at": assigned,
                "due_at": due_t,
            }
            for n in range(2)
        ]
        + [
            {
                "task_id": f"OUT-NV-{n}",
                "directive_ref": f"OUT-NV-{n}/TB",
                "lead_unit_code": unit,
                "assigned_at": assigned,
                "due_at": due_t,
                "content": f"OUT-NV-{n} task of {unit}",
            }
            for n, unit in enumerate((OUTSIDE, OUTSIDE, CENTRAL))
        ],
    )
    return engine


def _alerts_inside_and_outside(engine) -> None:
    """A firing alert and an explanation request on SO-01 and on a unit outside it: the outside
    ones must never show (bell, /alerts, unit page) nor be acknowledged or answered by a forger."""
    from dashboard import explain
    from dashboard.access import Principal
    from dashboard.alerts import RuleSpec, add_rule
    from dashboard.models import AlertState

    with make_sessionmaker(engine).begin() as session:
        rule = add_rule(session, RuleSpec("watch", "DVC-06", ROOT, mode="each", fire_at=0.9, clear_at=0.95))
        ids = dict(session.execute(select(OrgUnit.code, OrgUnit.id)).all())
        for code in (HEAD, OUTSIDE, CENTRAL):
            session.add(AlertState(rule_id=rule.id, unit_id=ids[code], state="firing", value=0.5))
        leader = Principal("user", 999, "leader", "Leader", (("lanh_dao", ROOT),))
        for code in (HEAD, OUTSIDE, CENTRAL):
            explain.ask(session, leader, kpi_id="DVC-06", unit_code=code, period_kind="mtd",
                        question="Giải trình?", today=datetime.now(TZ).date())  # fmt: skip


def _forbidden_texts(engine) -> list[re.Pattern]:
    """Codes and names of every unit outside SO-01's subtree, and the rows it may not see."""
    with make_sessionmaker(engine)() as session:
        units = session.execute(select(OrgUnit.code, OrgUnit.name_vi, OrgUnit.name_en)).all()
    patterns = []
    for code, name_vi, name_en in units:
        if code == HEAD:
            continue
        patterns.append(re.compile(rf"(?<![\w-]){re.escape(code)}(?![\w-])"))
        patterns += [
            re.compile(re.escape(json.dumps(n, ensure_ascii=False)[1:-1])) for n in (name_vi, name_en)
        ]
    patterns += [re.compile(r"OUT-(DOC|HS|CENTRAL|PAKN|NV)-\d+"), re.compile("SECRET-DOC")]
    return patterns


def _page(path: str, search: str = "") -> list[dict]:
    return [
        {
            "inputs": [
                {"id": "_pages_location", "property": "pathname", "value": path},
                {"id": "_pages_location", "property": "search", "value": search},
            ],
            "state": [],
        }
    ]


def _domain_refresh(page: str):
    def forge(unit):
        query = {"unit": unit, "period": "rolling30", "rank": "DVC-02" if page == "dossiers" else None}
        return [
            {
                "inputs": [{"id": f"{page}-refresh", "property": "n_intervals", "value": 3}],
                "state": [
                    {"id": f"{page}-query", "property": "data", "value": query},
                    {"id": f"{page}-state", "property": "data", "value": {"version": -1, "day": ""}},
                ],
            }
        ]

    return forge


def _pages(unit) -> list[dict]:
    search = (
        ""
        if unit is None
        else f"?unit={unit if isinstance(unit, str) else json.dumps(unit)}&period=rolling30"
    )
    code = unit if isinstance(unit, str) and unit else "%2A"
    out = []
    for path in (
        "/",
        "/documents",
        "/dossiers",
        "/meetings",
        "/nhiem-vu",
        "/phan-anh",
        "/units",
        "/wall",
        "/chi-so-766",
    ):
        out += _page(path, search)
    out += _page(f"/units/{code}", "?period=rolling30")
    out += _page("/units", "?group=province&kpi=DVC-06&period=rolling30")
    out += _page("/wall", "?playlist=tong-quan")
    out += _page("/sources") + _page("/sources/rejects", "?source=test-documents") + _page("/reports", search)
    out += _page("/screens") + _page("/admin/users") + _page("/admin/audit")
    out += _page("/alerts", f"?unit={code}&kpi=DVC-06")
    return out


def _wall_refresh(unit) -> list[dict]:
    view = {"unit": unit, "period": "rolling30", "lang": "vi", "kiosk": False, "signature": "forged"}
    return [
        {
            "inputs": [{"id": "wall-poll", "property": "data", "value": {"n": 9}}],
            "state": [{"id": "wall-view", "property": "data", "value": view}],
        }
    ]


def _export(unit) -> list[dict]:
    out = []
    for button in ("export-csv", "export-xlsx"):
        out.append(
            {
                "inputs": [
                    {
                        "id": "export-csv",
                        "property": "n_clicks",
                        "value": 1 if button == "export-csv" else None,
                    },
                    {
                        "id": "export-xlsx",
                        "property": "n_clicks",
                        "value": 1 if button == "export-xlsx" else None,
                    },
                ],
                "state": [
                    {"id": "actions-grid", "property": "virtualRowData", "value": MADE_UP_ROWS},
                    {"id": "unit-code", "property": "data", "value": {"code": unit, "lang": "vi"}},
                ],
                "changedPropIds": [f"{button}.n_clicks"],
            }
        )
    return out


def _petitions_export(unit) -> list[dict]:
    out = []
    for button in ("petitions-export-csv", "petitions-export-xlsx"):
        out.append(
            {
                "inputs": [
                    {"id": "petitions-export-csv", "property": "n_clicks", "value": 1},
                    {"id": "petitions-export-xlsx", "property": "n_clicks", "value": 1},
                ],
                "state": [
                    {"id": "petitions-query", "property": "data", "value": {"unit": unit, "lang": "vi"}}
                ],
                "changedPropIds": [f"{button}.n_clicks"],
            }
        )
    return out


def _url_writer(inputs: list[tuple[str, str]], state: list[tuple[str, str]]):
    """Callbacks that only turn pickers into a URL: forged values must come back as text at most."""

    def forge(unit):
        return [
            {
                "inputs": [{"id": i, "property": p, "value": unit} for i, p in inputs],
                "state": [{"id": i, "property": p, "value": {"unit": unit}} for i, p in state],
            }
        ]

    return forge


def _sources(_unit) -> list[dict]:
    return [
        {
            "inputs": [{"id": "sources-refresh", "property": "n_intervals", "value": 2}],
            "state": [{"id": "sources-lang", "property": "data", "value": "vi"}],
        }
    ]


def _rejects(_unit) -> list[dict]:
    return [
        {
            "inputs": [{"id": "rejects-export", "property": "n_clicks", "value": 1}],
            "state": [
                {
                    "id": "rejects-query",
                    "property": "data",
                    "value": {"source": "test-documents", "lang": "vi"},
                }
            ],
        }
    ]


def _all(kind: str, prop: str, indexes) -> list[dict]:
    return [{"id": {"type": kind, "index": i}, "property": prop, "value": 1} for i in indexes]


def _screens_table(_unit) -> list[dict]:
    return [
        {
            "inputs": [
                {"id": "screens-refresh", "property": "n_intervals", "value": 1},
                {"id": "screens-acted", "property": "data", "value": None},
                {"id": "screens-added", "property": "data", "value": None},
            ],
            "state": [{"id": "screens-lang", "property": "data", "value": "vi"}],
        }
    ]


def _screens_act(unit) -> list[dict]:
    ids = [1, 2, 3, 999, unit if isinstance(unit, (str, int)) else 0]
    return [
        {
            "inputs": [_all("screen-reload", "n_clicks", ids), _all("screen-revoke", "submit_n_clicks", [])],
            "state": [{"id": "screens-lang", "property": "data", "value": "vi"}],
            "changedPropIds": [
                json.dumps({"index": 2, "type": "screen-reload"}, separators=(",", ":")) + ".n_clicks"
            ],
        },
        {
            "inputs": [_all("screen-reload", "n_clicks", []), _all("screen-revoke", "submit_n_clicks", ids)],
            "state": [{"id": "screens-lang", "property": "data", "value": "vi"}],
            "changedPropIds": [
                json.dumps({"index": 2, "type": "screen-revoke"}, separators=(",", ":")) + ".submit_n_clicks"
            ],
        },
    ]


def _screen_add(unit) -> list[dict]:
    return [
        {
            "inputs": [{"id": "screen-add", "property": "n_clicks", "value": 1}],
            "state": [
                {"id": "screen-add-name", "property": "value", "value": f"forged-{unit}"},
                {"id": "screen-add-playlist", "property": "value", "value": "tong-quan"},
                {"id": "screen-add-unit", "property": "value", "value": unit},
                {"id": "screens-lang", "property": "data", "value": "vi"},
            ],
        }
    ]


def _admin_users(unit) -> list[dict]:
    return [
        {
            "inputs": [
                _all("account-active", "submit_n_clicks", ["head-so01", "monitor-so01", "admin", str(unit)])
            ],
            "state": [{"id": "admin-lang", "property": "data", "value": "vi"}],
            "changedPropIds": ['{"index":"head-so01","type":"account-active"}.submit_n_clicks'],
        }
    ]


def _audit(unit) -> list[dict]:
    filters = [
        {"id": "audit-since", "property": "date", "value": "2020-01-01"},
        {"id": "audit-actor", "property": "value", "value": unit if isinstance(unit, str) else None},
        {"id": "audit-kind", "property": "value", "value": None},
    ]
    return [{"inputs": filters, "state": [{"id": "audit-lang", "property": "data", "value": "vi"}]}]


def _audit_export(unit) -> list[dict]:
    return [
        {
            "inputs": [{"id": "audit-export", "property": "n_clicks", "value": 1}],
            "state": [*_audit(unit)[0]["inputs"], {"id": "audit-lang", "property": "data", "value": "vi"}],
        }
    ]


def _forged_ids(unit) -> list:
    return [1, 2, 3, 4, 5, 0, -1, "1 OR 1=1", unit if isinstance(unit, (str, int)) else None]


def _ack(unit) -> list[dict]:
    return [
        {
            "inputs": [{"id": "alerts-ack-button", "property": "n_clicks", "value": 1}],
            "state": [
                {"id": "alerts-ack-select", "property": "value", "value": sid},
                {"id": "alerts-ack-comment", "property": "value", "value": "forged"},
                {"id": "alerts-lang", "property": "data", "value": "vi"},
            ],
        }
        for sid in _forged_ids(unit)
    ]


def _explain(unit) -> list[dict]:
    buttons = ("explain-ask-button", "explain-answer-button", "explain-follow-button", "explain-close-button")
    out = []
    for button in buttons:
        for rid in _forged_ids(unit):
            out.append(
                {
                    "inputs": [
                        {"id": b, "property": "n_clicks", "value": 1 if b == button else None}
                        for b in buttons
                    ],
                    "state": [
                        {"id": "explain-ask-unit", "property": "value", "value": unit},
                        {"id": "explain-ask-kpi", "property": "value", "value": "DVC-06"},
                        {"id": "explain-ask-period", "property": "value", "value": "mtd"},
                        {"id": "explain-ask-text", "property": "value", "value": "forged"},
                        {"id": "explain-answer-request", "property": "value", "value": rid},
                        {"id": "explain-answer-text", "property": "value", "value": "forged"},
                        {"id": "explain-answer-planned", "property": "date", "value": "2030-01-01"},
                        {"id": "explain-follow-request", "property": "value", "value": rid},
                        {"id": "explain-follow-text", "property": "value", "value": "forged"},
                        {"id": "alerts-lang", "property": "data", "value": "vi"},
                    ],
                    "changedPropIds": [f"{button}.n_clicks"],
                }
            )
    return out


def _reports_render(unit) -> list[dict]:
    """ "Render now" takes the scope from the principal: a forged template is refused, and a valid
    one (asked once, it takes a second) renders the unit head's own SO-01 and lists only its own."""
    templates = ["daily", unit] if unit == OUTSIDE else [unit]
    return [
        {
            "inputs": [{"id": "reports-render", "property": "n_clicks", "value": 1}],
            "state": [
                {"id": "reports-template", "property": "value", "value": template},
                {"id": "reports-lang", "property": "data", "value": "vi"},
            ],
        }
        for template in templates
    ]


def _tasks_export(unit) -> list[dict]:
    rows = [{"row_id": f"task-{n}"} for n in range(1, 50)]
    out = []
    for button in ("tasks-export-csv", "tasks-export-xlsx"):
        out.append(
            {
                "inputs": [
                    {"id": "tasks-export-csv", "property": "n_clicks", "value": 1},
                    {"id": "tasks-export-xlsx", "property": "n_clicks", "value": 1},
                ],
                "state": [
                    {"id": "tasks-grid", "property": "virtualRowData", "value": rows},
                    {"id": "tasks-query", "property": "data", "value": {"unit": unit, "lang": "vi"}},
                ],
                "changedPropIds": [f"{button}.n_clicks"],
            }
        )
    return out


#: Every server callback of the app (by its output key) and how to forge a request to it.
FORGERIES = {
    "screens-table.children": _screens_table,
    "..screens-message.children...screens-acted.data..": _screens_act,
    "..screen-add-result.children...screens-added.data..": _screen_add,
    "..admin-users-message.children...admin-users-table.children..": _admin_users,
    "audit-table.children": _audit,
    "audit-download.data": _audit_export,
    "..documents-content.children...documents-state.data...documents-period.children..": _domain_refresh(
        "documents"
    ),
    "..dossiers-content.children...dossiers-state.data...dossiers-period.children..": _domain_refresh(
        "dossiers"
    ),
    "..meetings-content.children...meetings-state.data...meetings-period.children..": _domain_refresh(
        "meetings"
    ),
    "..petitions-content.children...petitions-state.data...petitions-period.children..": _domain_refresh(
        "petitions"
    ),
    "petitions-export-download.data": _petitions_export,
    "..tasks-content.children...tasks-state.data...tasks-period.children..": _domain_refresh("tasks"),
    "tasks-export-download.data": _tasks_export,
    ".._pages_content.children..._pages_store.data..": _pages,
    "..wall-body.children...wall-period.children...wall-freshness-slot.children...wall-view.data..": _wall_refresh,
    "export-download.data": _export,
    "units-url.search": _url_writer(
        [("units-kpi", "value"), ("units-group", "value"), ("units-period", "value")],
        [("units-query", "data")],
    ),
    "wall-location.search": _url_writer(
        [("wall-unit", "value")], [("wall-view", "data"), ("wall-location", "search")]
    ),
    "sources-table.children": _sources,
    "rejects-download.data": _rejects,
    "..alerts-ack-message.children...alerts-active.children..": _ack,
    "..explain-message.children...explain-list.children..": _explain,
    "..reports-message.children...reports-list.children..": _reports_render,
}


def _server_callbacks(app) -> dict[str, dict]:
    return {key: spec for key, spec in app.callback_map.items() if spec.get("callback") is not None}


def _body(key: str, spec: dict, payload: dict) -> dict:
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in key.strip(".").split("...")]
    return {
        "output": key,
        "outputs": outputs if key.startswith("..") else outputs[0],
        "inputs": payload["inputs"],
        "state": payload["state"],
        "changedPropIds": payload.get("changedPropIds")
        or [f"{payload['inputs'][0]['id']}.{payload['inputs'][0]['property']}"],
    }


def _tile_values(node, found: dict[str, set[str]]) -> None:
    if isinstance(node, dict):
        props = node.get("props") if isinstance(node.get("props"), dict) else node
        if isinstance(props, dict) and "data-kpi" in props:
            found.setdefault(props["data-kpi"], set()).add(props.get("data-value", ""))
        for value in node.values():
            _tile_values(value, found)
    elif isinstance(node, list):
        for value in node:
            _tile_values(value, found)


@pytest.mark.parametrize("who", ["head-so01", "monitor-so01"])
def test_every_server_callback_refuses_forged_scope(store, build_app, who):
    app = build_app(store, rate_limit="100000/minute")  # hundreds of forgeries from one principal
    client = app.server.test_client()
    assert sign_in(client, who, PASSWORD).status_code == 302
    assert client.get("/").status_code == 200  # the first request registers the pages' router
    callbacks = _server_callbacks(app)
    missing = sorted(set(callbacks) - set(FORGERIES))
    assert not missing, f"server callbacks without forged-payload cases (add them to FORGERIES): {missing}"

    forbidden = _forbidden_texts(store)
    today = datetime.now(TZ).date()
    with make_sessionmaker(store)() as session:
        results = compute(
            session,
            resolve_scope(session, HEAD, True),
            Period.parse("rolling30", today),
            ["VB-01", "VB-05"],
            now=datetime.now(TZ),
        )
    own = {k: repr(r.value) for k, r in results.items() if r.value is not None}
    assert own, "the unit head's own figures exist"
    headers = csrf_header(client)
    answered = 0
    for key, spec in callbacks.items():
        for unit in FORGED_UNITS:
            for payload in FORGERIES[key](unit):
                response = client.post(
                    "/_dash-update-component", json=_body(key, spec, payload), headers=headers
                )
                assert response.status_code in (200, 204), (
                    key,
                    unit,
                    response.status_code,
                    response.get_data(as_text=True)[:300],
                )
                text = response.get_data(as_text=True)
                for pattern in forbidden:
                    found = pattern.search(text)
                    assert not found, (
                        f"{key} with unit={unit!r} leaked {pattern.pattern!r}: "
                        f"…{text[max(0, found.start() - 300) : found.end() + 80]}…"
                    )
                if response.status_code == 200:
                    answered += 1
                    tiles: dict[str, set[str]] = {}
                    _tile_values(json.loads(text), tiles)
                    for kpi_id, value in own.items():
                        assert tiles.get(kpi_id, {value}) <= {value, ""}, (
                            key,
                            unit,
                            kpi_id,
                            tiles.get(kpi_id),
                            value,
                        )
    assert answered > 20  # the forgeries reached real callbacks, not only refusals


def test_a_callback_without_forgeries_fails_the_check(store, build_app):
    """The guard itself: a newly added callback is noticed."""
    from dash import Input, Output, callback

    app = build_app(store)

    @callback(Output("new-thing", "children"), Input("new-trigger", "n_clicks"))
    def new_thing(_n):  # pragma: no cover - never called
        return "x"

    client = app.server.test_client()
    assert sign_in(client, "head-so01", PASSWORD).status_code == 302
    client.get("/")
    assert "new-thing.children" in set(_server_callbacks(app)) - set(FORGERIES)


def test_secret_documents_are_listed_only_with_the_permission(store, build_app):
    from tests.access_support import request_as, unit_head

    app = build_app(store)
    from dashboard.queries import action_list
    from dashboard.webapp import read_session

    with request_as(app, "/units/SO-01", unit_head(HEAD)):
        from dashboard.access import may_see_secret

        with read_session() as session:
            hidden = action_list(session, HEAD, include_secret=may_see_secret())
    assert "SECRET-DOC-1" not in {i.source_id for i in hidden.overdue}
    with make_sessionmaker(store).begin() as session:
        add_account(session, "head-secret", PASSWORD, ("truong_don_vi", HEAD), secret=True)
    client = app.server.test_client()
    assert sign_in(client, "head-secret", PASSWORD).status_code == 302
    client.get("/")
    key = "export-download.data"
    payload = {
        "inputs": [
            {"id": "export-csv", "property": "n_clicks", "value": 1},
            {"id": "export-xlsx", "property": "n_clicks", "value": None},
        ],
        "state": [
            {
                "id": "actions-grid",
                "property": "virtualRowData",
                "value": [{"row_id": r} for r in _row_ids(app, store)],
            },
            {"id": "unit-code", "property": "data", "value": {"code": HEAD, "lang": "vi"}},
        ],
        "changedPropIds": ["export-csv.n_clicks"],
    }
    answer = client.post("/_dash-update-component", json=_body(key, {}, payload), headers=csrf_header(client))
    import base64

    exported = base64.b64decode(
        json.loads(answer.get_data(as_text=True))["response"]["export-download"]["data"]["content"]
    )
    assert "SECRET-DOC-1" in exported.decode("utf-8-sig") and "IN-DOC-0" in exported.decode("utf-8-sig")


def _row_ids(app, engine) -> list[str]:
    from dashboard.models import Document, Dossier

    with make_sessionmaker(engine)() as session:
        docs = session.execute(select(Document.id)).scalars().all()
        hs = session.execute(select(Dossier.id)).scalars().all()
    return [f"document-{i}" for i in docs] + [f"dossier-{i}" for i in hs]
