"""Tests of the table renderers used by every command (fip._output)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from fip._output import to_csv, to_html, to_json, to_latex, to_markdown

FRAME = pd.DataFrame({"term": ["c05_level", "<b>&"], "coef": [0.0678, np.nan], "n": [427, 5]})


def test_markdown_rounds_and_aligns():
    lines = to_markdown(FRAME).splitlines()
    assert lines[0] == "| term | coef | n |" and lines[1] == "|:---|---:|---:|"
    assert lines[2] == "| c05_level | 0.068 | 427 |" and lines[3] == "| <b>& |  | 5 |"


def test_html_escapes_text():
    html = to_html(FRAME, title="N < 5")
    assert "<caption>N &lt; 5</caption>" in html and "<td>&lt;b&gt;&amp;</td>" in html
    assert html.count("<tr>") == 3


def test_latex_escapes_and_uses_booktabs():
    tex = to_latex(FRAME)
    assert "\\begin{tabular}{lrr}" in tex and "\\toprule" in tex and "\\bottomrule" in tex
    assert "c05\\_level & 0.068 & 427 \\\\" in tex and "<b>\\& &  & 5 \\\\" in tex


def test_csv_and_json_keep_full_precision():
    assert "0.0678" in to_csv(FRAME)
    records = json.loads(to_json(FRAME))
    assert records[0]["coef"] == 0.0678 and records[1]["coef"] is None


def test_console_table_prints_markup_like_data_literally():
    """A rich console with markup on (rich's default) still prints data as it is."""
    import io

    from rich.console import Console

    from fip._output import emit

    frame = pd.DataFrame({"source [x]": ["FIP [kvartal 3]", "[/]", "[bold]ana[/bold]", "a\x1b[2Jb\x9b"],
                          "n": [1, 2, 3, 4]})
    buffer = io.StringIO()
    emit(frame, "table", None, Console(file=buffer, width=120, markup=True), title="Imports [/] into",
         notice="[red]notice[/red]")
    text = buffer.getvalue()
    for literal in ("FIP [kvartal 3]", "[/]", "[bold]ana[/bold]", "source [x]", "Imports [/] into", "[red]notice",
                    "a\\x1b[2Jb\\x9b"):
        assert literal in text
    assert "\x1b" not in text and "\x9b" not in text  # no escape sequence reaches the terminal


def test_safe_csv_neutralises_formula_cells_only():
    from fip._output import safe_csv

    frame = pd.DataFrame({"person_id": ["=1+1", "p1", "-"], "probability": [-0.5, 0.25, 1.0]})
    lines = safe_csv(frame).splitlines()
    assert lines == ["person_id,probability", "'=1+1,-0.5", "p1,0.25", "-,1.0"]
