"""Incremental rollups stay equal to a full recompute when the writer passes the touched pairs
per day column (the cheaper form of ``rollups.refresh``), including the state totals that move
by exact deltas — and when catalogue-dependent metrics are refreshed after a catalogue change."""

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import rollups
from dashboard.db import make_sessionmaker
from dashboard.models import DailyRollup, Document, Dossier, Procedure
from dashboard.timeutil import VN_TZ, local_day
from dashboard.upsert import upsert
from tests.integration.kpis.conftest import procedures, unit_ids

BASE = datetime(2026, 3, 1, 8, 0, tzinfo=VN_TZ)
moment = st.one_of(st.none(), st.integers(0, 24 * 10).map(lambda h: BASE + timedelta(hours=h)))

document_rows = st.fixed_dictionaries(
    {
        "source_id": st.sampled_from([f"D{i}" for i in range(6)]),
        "unit": st.sampled_from(["SO-01", "SO-79"]),
        "direction": st.sampled_from(["in", "out", "internal"]),
        "channel": st.sampled_from(["axis", "internal"]),
        "urgency": st.sampled_from(["normal", "khan"]),
        "status_code": st.sampled_from(["01", "02", "03", "06", "13", None]),
        "registered_at": moment,
        "arrived_at": moment,
        "due_at": moment,
        "completed_at": moment,
        "acknowledged_at": moment,
    }
)
dossier_rows = st.fixed_dictionaries(
    {
        "source_id": st.sampled_from([f"H{i}" for i in range(6)]),
        "unit": st.sampled_from(["SO-01", "SO-79"]),
        "procedure_code": st.sampled_from(["P-A", "P-B", None]),
        "channel": st.sampled_from([1, 2]),
        "status": st.integers(1, 10),
        "supplement_count": st.integers(0, 2),
        "received_at": moment,
        "due_at": moment,
        "finished_at": moment,
    }
)
_DAYS = {
    Document: {
        "registered_at": "registered_day",
        "due_at": "due_day",
        "completed_at": "completed_day",
        "arrived_at": "arrived_day",
    },
    Dossier: {"received_at": "received_day", "due_at": "due_day", "finished_at": "finished_day"},
}


def write(engine, model, batch, ids) -> None:
    """What a writer does: upsert, then refresh with the pairs of each day column, before and after."""
    rows = []
    for raw in batch:
        row = {k: v for k, v in raw.items() if k != "unit"}
        row.update(source="prop", unit_id=ids[raw["unit"]])
        for stamp, day in _DAYS[model].items():
            row[day] = local_day(row[stamp]) if row[stamp] is not None else None
        rows.append(row)
    with make_sessionmaker(engine).begin() as session:
        result = upsert(session, model, rows, key=("source", "source_id"))
        touched = {c: set() for c in rollups.DAY_COLUMNS[model]}
        for values in (*result.previous.values(), *result.written):
            for column in touched:
                if values.get(column) is not None:
                    touched[column].add((values["unit_id"], values[column]))
        rollups.refresh(session, model, touched)


_settings = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_settings
@given(
    docs=st.lists(st.lists(document_rows, min_size=1, max_size=6), min_size=1, max_size=4),
    dossiers=st.lists(st.lists(dossier_rows, min_size=1, max_size=6), min_size=1, max_size=4),
)
def test_refresh_by_day_column_equals_a_full_recompute(store, docs, dossiers):
    with make_sessionmaker(store).begin() as session:
        for model in (DailyRollup, Document, Dossier, Procedure):
            session.query(model).delete()
    procedures(store, [("SO-01", "P-A", "full", True, True), ("SO-79", "P-A", "partial", False, True)])
    ids = unit_ids(store)
    for batch in docs:
        write(store, Document, batch, ids)
    for batch in dossiers:
        write(store, Dossier, batch, ids)
    with make_sessionmaker(store)() as session:
        assert rollups.stored(session) == rollups.recompute_all(session)
    # The catalogue changes: P-B becomes fully online in SO-01; its writer refreshes the unit.
    procedures(store, [("SO-01", "P-B", "full", False, True)])
    with make_sessionmaker(store)() as session:
        assert rollups.stored(session) == rollups.recompute_all(session)
