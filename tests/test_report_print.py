"""The replicate report in print and on screen: every table row and column survives printing
to PDF (headless Chromium), and every table and figure has an anchor and a contents entry.

The PDF check reads the PDF's text with ``pdftotext -raw`` (poppler-utils; content-stream
order, so a cell that wraps onto several lines stays together) and looks for each table's
caption, then each of its cells (header first, row by row, left to right) in that order,
whitespace ignored. A table cut by a scroll box, or a column lost off the right edge of the
page, leaves a cell that is not found after the one before it.
"""

from __future__ import annotations

import html as _html
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fip.cli import app
from fip.errors import FipError
from fip.report import html, replicate
from fip.report.pdf import find_chromium, html_to_pdf
from fip.simulate import simulate_cohort

HAVE_CHROMIUM = shutil.which("chromium") is not None or shutil.which("google-chrome") is not None
HAVE_PDFTOTEXT = shutil.which("pdftotext") is not None
needs_printing = pytest.mark.skipif(not (HAVE_CHROMIUM and HAVE_PDFTOTEXT),
                                    reason="needs Chromium and pdftotext (poppler-utils)")


class _Tables(HTMLParser):
    """Every ``<table>`` of a page: its id, caption and rows of cell texts (header rows first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self._cell: str | None = None
        self._row: list[str] | None = None
        self._caption: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "a" and attrs.get("href", "").startswith("#"):
            self.hrefs.append(attrs["href"][1:])
        if tag == "table":
            self.tables.append({"id": attrs.get("id"), "caption": "", "rows": []})
        elif tag == "caption":
            self._caption = ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None
        elif tag == "caption":
            self.tables[-1]["caption"] = self._caption
            self._caption = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        elif self._caption is not None:
            self._caption += data


def _parse(page: str) -> _Tables:
    parser = _Tables()
    parser.feed(page)
    return parser


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _missing_in_pdf_text(tables: list[dict], text: str) -> list[str]:
    """What of ``tables`` is not in ``text`` in page order: one line per table with a gap."""
    flat, position, missing = _squeeze(text), 0, []
    for number, table in enumerate(tables, 1):
        start = flat.find(_squeeze(table["caption"]), position)
        if start < 0:
            missing.append(f"table {number} ({table['caption'][:50]}): caption not found")
            continue
        position = start + len(_squeeze(table["caption"]))
        for r, row in enumerate(table["rows"]):
            for c, cell in enumerate(row):
                found = flat.find(_squeeze(cell), position)
                if found < 0:
                    missing.append(f"table {number} ({table['caption'][:50]}): row {r} column {c} {cell[:40]!r}")
                    break
                position = found + len(_squeeze(cell))
            else:
                continue
            break
    return missing


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    out = tmp_path_factory.mktemp("printed") / "replication"
    if not (HAVE_CHROMIUM and HAVE_PDFTOTEXT):
        result = replicate(simulate_cohort(400, seed=3), out, seed=0)
        return result, None
    result = replicate(simulate_cohort(400, seed=3), out, seed=0, pdf=True)
    text = subprocess.run(["pdftotext", "-raw", str(result.pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return result, text


@pytest.fixture(scope="module")
def page(printed):
    return printed[0].report.read_text(encoding="utf-8")


@pytest.mark.slow
@needs_printing
def test_every_table_row_and_column_is_in_the_pdf(printed, page):
    result, text = printed
    tables = _parse(page).tables
    assert len(tables) >= 40  # the study's tables: none was lost from the page itself
    assert sum(len(t["rows"]) for t in tables) > 500
    assert _missing_in_pdf_text(tables, text) == []
    assert result.pdf == result.out_dir / "report.pdf" and result.pdf.read_bytes()[:5] == b"%PDF-"


@pytest.mark.slow
@needs_printing
def test_wide_tables_are_printed_on_landscape_pages(printed, page):
    sizes = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(printed[0].pdf)], capture_output=True,
                           text=True, check=True).stdout
    pages = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", sizes)
    landscape = sum(float(w) > float(h) for w, h in pages)
    assert 'class="wide"' in page or 'class="scroll wide"' in page
    assert 1 <= landscape < len(pages)


def test_the_check_finds_a_lost_row_and_a_lost_column():
    """The PDF check itself: a text without one row's label, or without a column, fails it."""
    tables = [{"caption": "Table 4.9: ours", "rows": [["term", "b"], ["c01 (level)", "0.1"], ["c01 (change)", "0.2"]]}]
    whole = "Table 4.9:\nours\nterm b\nc01 (level) 0.1\nc01\n(change) 0.2"
    assert _missing_in_pdf_text(tables, whole) == []
    assert _missing_in_pdf_text(tables, whole.replace("\nc01\n(change) 0.2", ""))
    assert _missing_in_pdf_text(tables, "Table 4.9: ours\nterm\nc01 (level)\nc01 (change)")


@pytest.mark.slow
def test_every_table_and_figure_has_an_anchor_and_a_contents_entry(page):
    parsed = _parse(page)
    assert len(parsed.ids) == len(set(parsed.ids))  # ids are unique
    ids, links = set(parsed.ids), set(parsed.hrefs)
    assert set(parsed.hrefs) <= ids  # every link of the page leads somewhere
    tables = [t["id"] for t in parsed.tables]
    figures = re.findall(r'<figure id="([^"]+)">', page)
    assert None not in tables and len(figures) == page.count("<figure")
    assert set(tables) <= links and set(figures) <= links
    nav = page[page.index("<nav>"):page.index("</nav>")]
    assert nav.count("<li>") == len(tables) + len(figures) + page.count("<section id=")
    # the published tables, by number, as a reader of the study looks for them
    for number in ("4.1", "4.2", "4.5", "4.7", "4.8", "4.9", "4.13"):
        slug = "table-" + number.replace(".", "-")
        assert f'href="#{slug}"' in nav and f">Table {number}<" in nav and slug in ids
        after = page[page.index(f'id="{slug}"'):]
        caption = re.search(r"<caption>(.*?)</caption>", after).group(1)
        assert f"Table {number}" in _html.unescape(caption)
    # back to the top after every section
    assert page.count('href="#top"') == page.count("<section id=") and 'id="top"' in page


@pytest.mark.slow
def test_print_style_shows_whole_tables_and_screen_keeps_headers(page):
    style = page[page.index("<style>"):page.index("</style>")]
    printing = style[style.index("@media print"):]
    assert re.search(r"\.scroll\{max-height:none;overflow:visible", printing)
    assert "thead{display:table-header-group}" in printing
    assert re.search(r"thead th\{position:sticky;top:0", style[:style.index("@media print")])
    assert page.count('class="scroll') >= 5


def test_a_table_is_wide_when_its_words_do_not_fit_a_page():
    narrow = pd.DataFrame({"item": ["c01"], "value": [0.5]})
    # 5 + 2 and the longest word per column: closed form of min_characters
    assert html.min_characters(narrow) == (4 + 2) + (5 + 2)
    assert 'class="wide"' not in html.table(narrow, "small")
    columns = {f"Factor{k} published (F{k} selvtillid_maalrettethed)": [0.1] for k in range(1, 6)}
    wide = pd.DataFrame(columns)
    assert html.min_characters(wide) == 5 * (len("selvtillid_maalrettethed)") + 2)
    assert html.min_characters(wide) > html.WIDE_CHARACTERS
    assert html.table(wide, "wide").startswith('<div class="wide">')
    assert html.table(wide, "wide", scroll=True).startswith('<div class="scroll wide">')


def test_page_without_navigation_is_unchanged():
    s = html.section("a", "A", [html.table(pd.DataFrame({"n": [1]}), "Table 4.2: x")])
    text = html.page("T", [s])
    assert "<table><caption>" in text and 'href="#top"' not in text and "table-4-2" not in text


def test_no_browser_is_a_clear_error_before_anything_is_computed(tmp_path, monkeypatch):
    monkeypatch.delenv("FIP_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(FipError, match="needs Chromium"):
        find_chromium()
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["replicate", "--out", str(out), "--pdf"])
    assert result.exit_code == 2
    assert "needs Chromium" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_a_failing_browser_leaves_no_pdf(tmp_path):
    source = tmp_path / "r.html"
    source.write_text("<!DOCTYPE html><p>x</p>", encoding="utf-8")
    false = shutil.which("false")
    with pytest.raises(FipError, match="Chromium failed"):
        html_to_pdf(source, tmp_path / "r.pdf", chromium=false)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


@needs_printing
def test_html_to_pdf_prints_a_page(tmp_path):
    source = tmp_path / "r.html"
    rows = pd.DataFrame({"term": [f"row {k}" for k in range(120)], "b": range(120)})
    source.write_text(html.page("T", [html.section("s", "S", [html.table(rows, "Long", scroll=True)])],
                                navigation=True), encoding="utf-8")
    pdf = html_to_pdf(source, tmp_path / "r.pdf")
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert _missing_in_pdf_text(_parse(source.read_text(encoding="utf-8")).tables, text) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.pdf"]
