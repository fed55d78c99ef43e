"""The /alerts page, the bell and acknowledging through the real app (Flask test client, real
sign-in, real Dash callbacks) on SQLite and PostgreSQL: a unit head sees and acknowledges only the
alerts of its unit; a forged id of another unit's alert changes nothing and is audited."""

from __future__ import annotations

import json

from sqlalchemy import select

from dashboard import explain
from dashboard.access import Principal
from dashboard.alerts import RuleSpec, add_rule
from dashboard.db import make_sessionmaker
from dashboard.models import AlertState, AuditEvent, ExplanationRequest, OrgUnit
from tests.access_support import PASSWORD, add_account, csrf_header, sign_in

HEAD, OUTSIDE = "SO-01", "SO-79"


def _seed(store) -> dict[str, int]:
    with make_sessionmaker(store).begin() as session:
        add_account(session, "head", PASSWORD, ("truong_don_vi", HEAD))
        add_account(session, "boss", PASSWORD, ("lanh_dao", "BMP"))
        rule = add_rule(
            session, RuleSpec("Đúng hạn", "DVC-06", "BMP", mode="each", fire_at=0.9, clear_at=0.95)
        )
        ids = dict(session.execute(select(OrgUnit.code, OrgUnit.id)).all())
        states = {}
        for code in (HEAD, OUTSIDE):
            st = AlertState(rule_id=rule.id, unit_id=ids[code], state="firing", value=0.5)
            session.add(st)
            session.flush()
            states[code] = st.id
    return states


def _page(client, path: str, search: str = "") -> str:
    body = {
        "output": "..\\_pages_content.children...\\_pages_store.data..".replace("\\", ""),
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "state": [],
        "changedPropIds": ["_pages_location.pathname"],
    }
    response = client.post("/_dash-update-component", json=body, headers=csrf_header(client))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return json.dumps(json.loads(response.get_data(as_text=True)), ensure_ascii=False, separators=(",", ":"))


def _ack(client, state_id, comment="Đã giao phòng chuyên môn xử lý") -> str:
    body = {
        "output": "..alerts-ack-message.children...alerts-active.children..",
        "outputs": [
            {"id": "alerts-ack-message", "property": "children"},
            {"id": "alerts-active", "property": "children"},
        ],
        "inputs": [{"id": "alerts-ack-button", "property": "n_clicks", "value": 1}],
        "state": [
            {"id": "alerts-ack-select", "property": "value", "value": state_id},
            {"id": "alerts-ack-comment", "property": "value", "value": comment},
            {"id": "alerts-lang", "property": "data", "value": "vi"},
        ],
        "changedPropIds": ["alerts-ack-button.n_clicks"],
    }
    response = client.post("/_dash-update-component", json=body, headers=csrf_header(client))
    assert response.status_code == 200
    return json.dumps(json.loads(response.get_data(as_text=True)), ensure_ascii=False, separators=(",", ":"))


def test_unit_head_sees_and_acknowledges_only_its_own_alerts(store, build_app):
    states = _seed(store)
    app = build_app(store)
    client = app.server.test_client()
    assert sign_in(client, "head", PASSWORD).status_code == 302
    client.get("/")
    page = _page(client, "/alerts")
    assert f"alert-{states[HEAD]}" in page and f"alert-{states[OUTSIDE]}" not in page
    assert '"data-count":"1"' in page  # the bell: one firing alert in the scope
    forged = _ack(client, states[OUTSIDE])
    assert "Không có quyền" in forged
    done = _ack(client, states[HEAD])
    assert "Đã xác nhận cảnh báo" in done and "Đã giao phòng chuyên môn xử lý" in done
    with make_sessionmaker(store)() as session:
        got = {s.id: s for s in session.scalars(select(AlertState))}
        audits = session.execute(select(AuditEvent.kind, AuditEvent.outcome).order_by(AuditEvent.id)).all()
    assert got[states[OUTSIDE]].state == "firing"
    assert got[states[HEAD]].state == "acknowledged" and got[states[HEAD]].acked_by == "user:head"
    assert ("alert_acknowledged", "denied") in audits and ("alert_acknowledged", "ok") in audits


def _prop(node, component_id: str, name: str, missing=KeyError):
    """The property ``name`` of the component ``component_id`` in a Dash JSON answer."""
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and props.get("id") == component_id:
            return props.get(name)
        for value in node.values():
            found = _prop(value, component_id, name, missing)
            if found is not missing:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _prop(value, component_id, name, missing)
            if found is not missing:
                return found
    return missing


def _explain_call(client, button, **values) -> str:
    buttons = ("explain-ask-button", "explain-answer-button", "explain-follow-button", "explain-close-button")
    names = {
        "unit": ("explain-ask-unit", "value"), "kpi": ("explain-ask-kpi", "value"),
        "period": ("explain-ask-period", "value"), "question": ("explain-ask-text", "value"),
        "answer_id": ("explain-answer-request", "value"), "answer": ("explain-answer-text", "value"),
        "planned": ("explain-answer-planned", "date"), "follow_id": ("explain-follow-request", "value"),
        "follow": ("explain-follow-text", "value"),
    }  # fmt: skip
    body = {
        "output": "..explain-message.children...explain-list.children..",
        "outputs": [
            {"id": "explain-message", "property": "children"},
            {"id": "explain-list", "property": "children"},
        ],
        "inputs": [{"id": b, "property": "n_clicks", "value": 1 if b == button else None} for b in buttons],
        "state": [{"id": i, "property": p, "value": values.get(k)} for k, (i, p) in names.items()]
        + [{"id": "alerts-lang", "property": "data", "value": "vi"}],
        "changedPropIds": [f"{button}.n_clicks"],
    }
    response = client.post("/_dash-update-component", json=body, headers=csrf_header(client))
    assert response.status_code == 200
    return json.dumps(json.loads(response.get_data(as_text=True)), ensure_ascii=False, separators=(",", ":"))


def test_leader_asks_unit_head_answers_in_the_app(store, build_app):
    _seed(store)
    app = build_app(store)
    boss, head = app.server.test_client(), app.server.test_client()
    assert sign_in(boss, "boss", PASSWORD).status_code == 302
    assert sign_in(head, "head", PASSWORD).status_code == 302
    boss.get("/")
    head.get("/")
    # From an alert: its row links to the form, pre-filled with the unit and the KPI.
    listing = _page(boss, "/alerts")
    assert f"/alerts?unit={HEAD}&kpi=DVC-06" in listing
    prefilled = _page(boss, "/alerts", f"?unit={HEAD}&kpi=DVC-06")
    assert _prop(json.loads(prefilled), "explain-ask-unit", "value") == HEAD
    assert _prop(json.loads(prefilled), "explain-ask-kpi", "value") == "DVC-06"
    assert _prop(json.loads(listing), "explain-ask-unit", "value") is None
    asked = _explain_call(
        boss, "explain-ask-button", unit=HEAD, kpi="DVC-06", period="mtd", question="Vì sao thấp?"
    )
    assert "Đã gửi yêu cầu giải trình" in asked
    # A unit head cannot ask; the leader cannot answer.
    assert "Không có quyền" in _explain_call(
        head, "explain-ask-button", unit=HEAD, kpi="DVC-06", period="mtd", question="x"
    )
    with make_sessionmaker(store)() as session:
        rid = session.scalar(select(ExplanationRequest.id))
    assert "Không có quyền" in _explain_call(boss, "explain-answer-button", answer_id=rid, answer="x")
    answered = _explain_call(
        head, "explain-answer-button", answer_id=rid, answer="Thiếu nhân sự", planned="2026-12-31"
    )
    assert "Đã gửi giải trình" in answered and "Thiếu nhân sự" in answered
    unit_page = _page(head, f"/units/{HEAD}")
    assert "unit-explanations" in unit_page and "Thiếu nhân sự" in unit_page
    assert "unit-explain-ask" in _page(boss, f"/units/{HEAD}")  # a leader may ask from the unit page
    closed = _explain_call(boss, "explain-close-button", follow_id=rid)
    assert "Đã ghi ý kiến" in closed
    with make_sessionmaker(store)() as session:
        r = session.get(ExplanationRequest, rid)
        assert r.status == "closed" and r.planned_on.isoformat() == "2026-12-31"
    # A leader of another unit would not see the request at all.
    with make_sessionmaker(store)() as session:
        other = Principal("user", 77, "x", "x", (("lanh_dao", OUTSIDE),))
        assert explain.requests_in_scope(session, other) == []
    assert json.loads(closed)  # a valid Dash answer


def test_monitoring_staff_see_the_rules_of_their_scope(store, build_app):
    _seed(store)
    with make_sessionmaker(store).begin() as session:
        add_account(session, "watcher", PASSWORD, ("theo_doi", "BMP"))
        add_account(session, "watcher-01", PASSWORD, ("theo_doi", HEAD))
    app = build_app(store)
    client, narrow = app.server.test_client(), app.server.test_client()
    assert sign_in(client, "watcher", PASSWORD).status_code == 302
    assert sign_in(narrow, "watcher-01", PASSWORD).status_code == 302
    client.get("/")
    narrow.get("/")
    page = _page(client, "/alerts")
    assert "alerts-rules" in page and "Đúng hạn: DVC-06" in page
    assert f"alert-{_state_ids(store)[OUTSIDE]}" in page  # the ministry's monitor sees both alerts
    limited = _page(narrow, "/alerts")
    assert "Đúng hạn: DVC-06" not in limited  # a rule on the ministry is outside SO-01's scope


def _state_ids(store) -> dict[str, int]:
    with make_sessionmaker(store)() as session:
        return dict(
            session.execute(
                select(OrgUnit.code, AlertState.id).join(OrgUnit, OrgUnit.id == AlertState.unit_id)
            ).all()
        )
