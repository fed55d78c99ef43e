import pytest

from dashboard.errors import UnitImportError
from dashboard.units import DEMO_UNITS_FILE, read_units_file


def write(tmp_path, name, content, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return path


def test_demo_hierarchy_is_a_ministry_with_20_central_units_and_34_provinces():
    rows = read_units_file(DEMO_UNITS_FILE)
    by_level = {}
    for row in rows:
        by_level.setdefault(row.level, []).append(row)
    assert len(by_level["ministry"]) == 1
    assert len(by_level["department"]) == 20
    assert len(by_level["province"]) == 34
    assert all(r.simulated for r in rows), "every demo unit must be marked simulated"
    assert "mô phỏng" in by_level["ministry"][0].name_vi
    assert len({r.code for r in rows}) == len(rows)


def test_csv_with_bom_semicolons_and_vietnamese_names(tmp_path):
    path = write(
        tmp_path,
        "units.csv",
        "\ufeffcode;name_vi;name_en;parent;level\nBO;Bộ Xây dựng;Ministry;;ministry\nVP;Văn phòng Bộ;;BO;department\n",
    )
    rows = read_units_file(path)
    assert [(r.code, r.parent, r.name_en) for r in rows] == [
        ("BO", None, "Ministry"),
        ("VP", "BO", "Văn phòng Bộ"),
    ]


def test_utf16_csv_is_read(tmp_path):
    path = write(tmp_path, "units.csv", "code,name_vi,level\nBO,Bộ,ministry\n", encoding="utf-16")
    assert read_units_file(path)[0].name_vi == "Bộ"


def test_every_problem_is_reported_with_its_line(tmp_path):
    path = write(
        tmp_path,
        "units.csv",
        "code,name_vi,parent,level\n"
        "BO,Bộ,,ministry\n"
        ",Không mã,BO,department\n"
        "BO,Trùng,,ministry\n"
        "VP,Văn phòng,BO,bureau\n"
        "X,Tự cha,X,department\n",
    )
    with pytest.raises(UnitImportError) as info:
        read_units_file(path)
    problems = info.value.problems
    assert "line 3: missing code" in problems
    assert "line 4: duplicate code 'BO' (first at line 2)" in problems
    assert any(p.startswith("line 5: unit 'VP' has level 'bureau'") for p in problems)
    assert "line 6: unit 'X' is its own parent" in problems
    assert str(info.value).endswith("nothing was imported")


def test_missing_columns_and_bad_encoding_and_unknown_type(tmp_path):
    with pytest.raises(UnitImportError, match="missing column\\(s\\) level"):
        read_units_file(write(tmp_path, "a.csv", "code,name_vi\nBO,Bộ\n"))
    with pytest.raises(UnitImportError, match="not UTF-8"):
        read_units_file(write(tmp_path, "b.csv", "code,name_vi,level\nBO,Bé,ministry\n", encoding="latin-1"))
    with pytest.raises(UnitImportError, match="unsupported file type '.xls'"):
        read_units_file(write(tmp_path, "c.xls", "x"))
    with pytest.raises(UnitImportError, match="file not found"):
        read_units_file(tmp_path / "none.csv")
    with pytest.raises(UnitImportError, match="no \\[\\[unit\\]\\] tables"):
        read_units_file(write(tmp_path, "d.toml", "title = 'x'\n"))
