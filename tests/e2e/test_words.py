"""What people read on every page, in both languages (issue 16, item 3): names, not codes.

The visible text of each page (what ``innerText`` gives, chart labels included) is read in
Vietnamese and in English and must hold no raw code — a procedure code without its name, a source
id, a status number in brackets, a field name — no English UI word in the Vietnamese UI, and no
Vietnamese word in the English UI.

Reviewed allow-list (what may stay as it is, and why):
- text that comes from the sources and exists in one language only: meeting titles, procedure
  names (the procedure catalogue is Vietnamese), dossier and document ids (``ALLOWED_DATA``);
- the signed-in person's own name and the language switch, which names the other language;
- Vietnamese place names in the English UI (a province is called "Hưng Yên" in English too): the
  words of the units' short names (``OrgUnit.short_name_vi``) of units that are places, not groups.
"""

from __future__ import annotations

import re
import sqlite3
import time

import pytest
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.browser
PAGES = (
    "/",
    "/documents",
    "/dossiers",
    "/meetings",
    "/units",
    "/units/SO-01",
    "/units/BMP",
    "/wall",
    "/dossiers?kiosk=1",
    "/documents?kiosk=1",
    "/meetings?kiosk=1",
)
#: Elements whose text is the sources' own (see the module's allow-list).
ALLOWED_DATA = (
    ".ioc-who__name",
    "#ioc-lang-switch",
    ".dom-agenda__title",
    '.ag-cell[col-id="procedure"]',
    '.ag-cell[col-id="id"]',
    ".ioc-definition",
    ".ioc-tile__definition",
)
VISIBLE_TEXT = """
const root = document.body.cloneNode(true);
for (const el of root.querySelectorAll(arguments[0])) el.remove();
for (const el of root.querySelectorAll('script, style, [hidden], .ioc-tile__definition')) el.remove();
document.body.appendChild(root); root.style.position = 'absolute'; root.style.left = '-99999px';
const text = root.innerText; root.remove(); return text;
"""
RAW_CODES = {
    "procedure code": re.compile(r"\b\d\.\d{6}\b"),
    "source id": re.compile(r"\bmo-phong-[a-z]+\b"),
    "field name": re.compile(r"\b[a-z]+(?:_[a-z]+)+\b"),
    "status number": re.compile(r"\((?:trạng thái|status)\s*\d", re.I),
    "platform id": re.compile(r"\b(?:bigbluebutton|jitsi|trueconf)\b"),
}
#: English UI words (AG Grid's own included) that must not show in the Vietnamese UI.
ENGLISH_IN_VI = re.compile(
    r"\b(?:Page Size|Page|Loading|No Rows To Show|Filter|Equals|Contains|Status|Dossier|Document|"
    r"Overdue|internal|Sign out|Rows|Export|Target|Rank)\b"
)
VIETNAMESE_LETTER = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


def place_words(server) -> set[str]:
    """The words of the short names of the units that are places (no sub-units)."""
    db = sqlite3.connect(server.env["IOC_DATA_DIR"] + "/ioc.sqlite3")
    try:
        rows = db.execute(
            "SELECT short_name_vi FROM org_unit u WHERE short_name_vi IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM org_unit c WHERE c.parent_id = u.id)"
        ).fetchall()
    finally:
        db.close()
    return {w for (name,) in rows for w in re.findall(r"\w+", name)}


def read(browser, server, path: str, lang: str) -> str:
    browser.get(f"{server.url}{path}{'&' if '?' in path else '?'}lang={lang}")
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script(
            "return document.fonts.status === 'loaded' && !!document.querySelector('main')"
        )
    )
    time.sleep(1.5)  # charts and the grid are drawn
    return browser.execute_script(VISIBLE_TEXT, ", ".join(ALLOWED_DATA))


def test_every_page_says_names_not_codes_in_its_own_language(demo_server, browser):
    places = place_words(demo_server)
    assert {"Hưng", "Yên"} <= places
    found = []
    for lang in ("vi", "en"):
        for path in PAGES:
            text = read(browser, demo_server, path, lang)
            assert len(text) > 200, (path, lang, text)
            for what, pattern in RAW_CODES.items():
                found += [f"{lang} {path}: {what} {m.group(0)!r}" for m in pattern.finditer(text)]
            if lang == "vi":
                found += [f"vi {path}: English {m.group(0)!r}" for m in ENGLISH_IN_VI.finditer(text)]
            else:
                for word in re.findall(r"\w+", text):
                    if VIETNAMESE_LETTER.search(word) and word not in places:
                        line = next(line for line in text.splitlines() if word in line)
                        found.append(f"en {path}: Vietnamese {word!r} in {line[:80]!r}")
    assert not found, "\n".join(sorted(set(found))[:60])
