"""Unit import on both databases: idempotent, all-or-nothing, hierarchy errors caught."""

import pytest
from sqlalchemy import func, select

from dashboard.errors import UnitImportError
from dashboard.models import OrgUnit
from dashboard.units import DEMO_UNITS_FILE, import_units_file


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def unit_count(session):
    return session.scalar(select(func.count()).select_from(OrgUnit))


def test_demo_import_is_idempotent(session):
    first = import_units_file(session, DEMO_UNITS_FILE)
    session.commit()
    assert (first.inserted, first.updated, first.unchanged) == (56, 0, 0)
    second = import_units_file(session, DEMO_UNITS_FILE)
    session.commit()
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 56)
    assert unit_count(session) == 56
    hanoi = session.scalars(select(OrgUnit).where(OrgUnit.code == "SO-01")).one()
    assert hanoi.parent.code == "BMP-SO" and hanoi.parent.parent.code == "BMP"
    assert hanoi.is_simulated


def test_children_may_come_before_parents_and_changes_are_updates(session, tmp_path):
    path = write(
        tmp_path, "u.csv", "code,name_vi,parent,level\nVP,Văn phòng,BO,department\nBO,Bộ,,ministry\n"
    )
    report = import_units_file(session, path)
    session.commit()
    assert report.inserted == 2
    moved = write(
        tmp_path,
        "v.csv",
        "code,name_vi,parent,level\nBO,Bộ,,ministry\nKHOI,Khối,BO,group\nVP,Văn phòng Bộ,KHOI,department\n",
    )
    report = import_units_file(session, moved)
    session.commit()
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 1)
    vp = session.scalars(select(OrgUnit).where(OrgUnit.code == "VP")).one()
    assert vp.name_vi == "Văn phòng Bộ" and vp.parent.code == "KHOI"


def test_unknown_parent_imports_nothing(session, tmp_path):
    path = write(
        tmp_path, "u.csv", "code,name_vi,parent,level\nBO,Bộ,,ministry\nVP,Văn phòng,NOPE,department\n"
    )
    with pytest.raises(UnitImportError, match="line 3: unit 'VP' has unknown parent 'NOPE'"):
        import_units_file(session, path)
    session.rollback()
    assert unit_count(session) == 0


def test_cycle_in_the_file_is_refused(session, tmp_path):
    path = write(tmp_path, "u.csv", "code,name_vi,parent,level\nA,A,C,group\nB,B,A,group\nC,C,B,group\n")
    with pytest.raises(UnitImportError, match="cycle in the hierarchy: A → C → B → A"):
        import_units_file(session, path)
    session.rollback()
    assert unit_count(session) == 0


def test_cycle_through_units_already_in_the_database_is_refused(session, tmp_path):
    import_units_file(
        session, write(tmp_path, "a.csv", "code,name_vi,parent,level\nA,A,,ministry\nB,B,A,group\n")
    )
    session.commit()
    with pytest.raises(UnitImportError, match="cycle in the hierarchy"):
        import_units_file(session, write(tmp_path, "b.csv", "code,name_vi,parent,level\nA,A,B,ministry\n"))
    session.rollback()
    a = session.scalars(select(OrgUnit).where(OrgUnit.code == "A")).one()
    assert a.parent_id is None


def test_toml_file_with_duplicates_is_refused_whole(session, tmp_path):
    path = write(
        tmp_path,
        "u.toml",
        '[[unit]]\ncode = "A"\nname_vi = "A"\nlevel = "ministry"\n\n[[unit]]\ncode = "A"\nname_vi = "A2"\nlevel = "group"\n',
    )
    with pytest.raises(UnitImportError, match=r"unit #2: duplicate code 'A' \(first at unit #1\)"):
        import_units_file(session, path)
    assert unit_count(session) == 0


def test_portal_codes_are_imported_unique_and_kept_when_not_given(session, tmp_path):
    path = write(
        tmp_path,
        "u.csv",
        "code,name_vi,parent,level,portal_code\nBO,Bộ,,ministry,000.00.00.G01\nVP,Văn phòng,BO,department,\n",
    )
    import_units_file(session, path)
    session.commit()
    codes = dict(session.execute(select(OrgUnit.code, OrgUnit.portal_code)).all())
    assert codes == {"BO": "000.00.00.G01", "VP": None}
    # A file without the column keeps the stored portal code.
    import_units_file(session, write(tmp_path, "v.csv", "code,name_vi,parent,level\nBO,Bộ X,,ministry\n"))
    session.commit()
    assert session.scalar(select(OrgUnit.portal_code).where(OrgUnit.code == "BO")) == "000.00.00.G01"
    # The same portal code twice in a file, or one that belongs to another unit: refused, nothing written.
    dup = write(
        tmp_path, "d.csv", "code,name_vi,parent,level,portal_code\nA,A,,ministry,P1\nB,B,,ministry,P1\n"
    )
    with pytest.raises(UnitImportError, match="duplicate portal_code 'P1'"):
        import_units_file(session, dup)
    session.rollback()
    taken = write(
        tmp_path, "t.csv", "code,name_vi,parent,level,portal_code\nVP,Văn phòng,BO,department,000.00.00.G01\n"
    )
    with pytest.raises(UnitImportError, match="already belongs to unit 'BO'"):
        import_units_file(session, taken)
    session.rollback()
    assert (
        unit_count(session) == 2
        and session.scalar(select(OrgUnit.portal_code).where(OrgUnit.code == "VP")) is None
    )


def test_demo_units_carry_simulated_portal_codes(session):
    import_units_file(session, DEMO_UNITS_FILE)
    session.commit()
    assert session.scalar(select(OrgUnit.portal_code).where(OrgUnit.code == "SO-01")) == "000.00.30.H01"
