"""Wall playlists: the shipped file is valid, a data-dir file replaces it, and every problem of a
bad file is reported at once naming the playlist, the slide and the field."""

import pytest

from dashboard.playlists import (
    SHIPPED_FILE,
    PlaylistError,
    Slide,
    load_playlists,
    parse_playlists,
    playlists_file,
)


def test_the_shipped_playlists_are_valid_and_rotate_the_overview():
    playlists = load_playlists(SHIPPED_FILE)
    default = playlists["tong-quan"]
    assert default.title("vi") == "Tổng quan điều hành"
    assert [s.page for s in default.slides] == ["/", "/dossiers", "/", "/documents", "/meetings"]
    assert default.slides[2].weakest_kpi == "DVC-06"
    assert all(s.dwell_s >= 5 for p in playlists.values() for s in p.slides)


def test_a_file_in_the_data_dir_replaces_the_shipped_one(make_settings, tmp_path):
    settings = make_settings()
    assert playlists_file(settings) == SHIPPED_FILE
    own = settings.data_dir / "playlists.toml"
    own.write_text('[playlists.p]\nslides = [{ page = "/", dwell = 10 }]\n', encoding="utf-8")
    assert playlists_file(settings) == own
    assert list(load_playlists(own)) == ["p"]
    assert load_playlists(own)["p"].title("en") == "p"  # the name stands in for a missing title


def test_slide_urls_are_kiosk_pages_with_their_unit_and_period():
    assert Slide("/", 30, "SO-25", "mtd").url(lang="vi") == "/?unit=SO-25&period=mtd&kiosk=1&lang=vi"
    assert Slide("/sources", 30).url() == "/sources?kiosk=1"
    weakest = Slide("/", 30, "weakest:DVC-06", "today")
    assert weakest.url(lang="en") == "/?period=today&kiosk=1&lang=en"  # unresolved: no unit
    assert (
        weakest.url(unit="SO-96", theme="light")
        == "/?unit=SO-96&period=today&why=weakest%3ADVC-06&kiosk=1&theme=light"
    )
    assert (
        Slide("/units", 20, None, "mtd", (("kpi", "DVC-06"),)).url() == "/units?period=mtd&kpi=DVC-06&kiosk=1"
    )


def test_every_problem_is_reported_with_its_playlist_slide_and_field():
    data = {
        "playlists": {
            "good": {"slides": [{"page": "/", "dwell": 30}]},
            "bad": {
                "title_vi": "",
                "colour": "red",
                "slides": [
                    {"page": "sources", "dwell": 30},
                    {"page": "/", "dwell": 2, "period": "fortnight"},
                    {"page": "/", "dwell": 30, "unit": "weakest:XX-99"},
                    {"page": "/wall", "dwell": "long", "params": {"kiosk": "0"}},
                    {"page": "/", "dwell": 30, "extra": 1},
                ],
            },
            "Bad Name": {"slides": [{"page": "/", "dwell": 30}]},
            "empty": {"slides": []},
        }
    }
    with pytest.raises(PlaylistError) as caught:
        parse_playlists(data, "playlists.toml")
    vi = [p.vi for p in caught.value.problems]
    en = [p.en for p in caught.value.problems]
    expected_vi = [
        "danh sách 'bad': trường 'colour' không được hỗ trợ",
        "danh sách 'bad', trường 'title_vi': phải là một chuỗi không rỗng",
        "danh sách 'bad', trang chiếu 1, trường 'page'",
        "danh sách 'bad', trang chiếu 2, trường 'dwell': phải là số giây từ 5 đến 3600 (đang là 2)",
        "danh sách 'bad', trang chiếu 2, trường 'period'",
        "danh sách 'bad', trang chiếu 3, trường 'unit': không có chỉ số 'XX-99'",
        "danh sách 'bad', trang chiếu 4, trường 'page': không thể chiếu chính trang trình chiếu '/wall'",
        "danh sách 'bad', trang chiếu 4, trường 'dwell'",
        "danh sách 'bad', trang chiếu 4, trường 'params': khóa 'kiosk' không hợp lệ",
        "danh sách 'bad', trang chiếu 5: trường 'extra' không được hỗ trợ",
        "danh sách 'Bad Name': tên chỉ gồm chữ thường",
        "danh sách 'empty', trường 'slides': cần ít nhất một trang chiếu",
    ]
    for fragment in expected_vi:
        assert any(text.startswith(fragment) for text in vi), (fragment, vi)
    assert len(vi) == len(expected_vi)
    assert "playlist 'bad', slide 2, field 'dwell': must be a number of seconds from 5 to 3600 (got 2)" in en
    assert str(caught.value).startswith("playlists.toml: playlist 'bad'")
    assert "(and 11 more problem(s))" in str(caught.value)


def test_a_broken_file_says_where(tmp_path):
    path = tmp_path / "playlists.toml"
    path.write_text("[playlists.a\nslides = 1\n", encoding="utf-8")
    with pytest.raises(PlaylistError) as caught:
        load_playlists(path)
    assert caught.value.problems[0].vi.startswith("sai cú pháp TOML")
    assert "line 1" in caught.value.problems[0].vi
    path.write_bytes("[playlists.a]\ntitle_vi = 'Tổng quan'\n".encode("utf-16"))
    with pytest.raises(PlaylistError, match="UTF-8"):
        load_playlists(path)
    with pytest.raises(PlaylistError) as caught:
        parse_playlists({}, "x.toml")
    assert caught.value.problems[0].vi == "chưa khai báo danh sách trình chiếu nào (bảng [playlists.TÊN])"
    with pytest.raises(PlaylistError, match="cannot read the file"):
        load_playlists(tmp_path / "missing.toml")


@pytest.mark.parametrize("page", ["/units/SO-01", "/rejects", "/admin/users", "/screens"])
def test_a_slide_of_a_page_that_cannot_fit_one_screen_is_refused_naming_it(page):
    """Only pages with a wall layout that fits 1920×1080 and 3840×2160 may be slides; any other
    would scroll or be cut off on the wall, so the playlist is refused with the slide named."""
    data = {"playlists": {"p": {"slides": [{"page": "/dossiers", "dwell": 30}, {"page": page, "dwell": 30}]}}}
    with pytest.raises(PlaylistError) as caught:
        parse_playlists(data, "playlists.toml")
    [problem] = caught.value.problems
    assert problem.vi.startswith(
        "danh sách 'p', trang chiếu 2, trường 'page': trang này không có dạng trình chiếu vừa một màn hình"
    )
    assert f"(đang là '{page}')" in problem.vi and "/dossiers" in problem.vi
    assert problem.en.startswith(
        "playlist 'p', slide 2, field 'page': this page has no wall layout that fits one screen"
    )


def test_every_wall_page_is_accepted_and_the_shipped_playlists_only_use_them():
    from dashboard.playlists import SHIPPED_FILE, WALL_PAGES, load_playlists

    data = {"playlists": {"p": {"slides": [{"page": p, "dwell": 30} for p in WALL_PAGES]}}}
    assert [s.page for s in parse_playlists(data, "x")["p"].slides] == list(WALL_PAGES)
    assert {s.page for pl in load_playlists(SHIPPED_FILE).values() for s in pl.slides} <= set(WALL_PAGES)
