"""The status note's hand-built SVG line chart (fip.report.line_chart)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fip.report.line_chart import Line, line_chart_svg

NS = {"s": "http://www.w3.org/2000/svg"}
QUARTERS = ["2018Q3", "2018Q4", "2019Q1", "2019Q2"]


def _chart(lines, **kw):
    svg = line_chart_svg(QUARTERS, lines, y_min=1, y_max=7, y_label="Mean", title=kw.pop("title", "Trend"), **kw)
    return svg, ET.fromstring(svg)


def _runs(values) -> int:
    """Runs of at least two consecutive shown values: one polyline each (closed form)."""
    runs, length = 0, 0
    for v in [*values, math.nan]:
        if math.isnan(v):
            runs += length > 1
            length = 0
        else:
            length += 1
    return runs


def test_points_sit_on_the_scale_and_gaps_break_the_line():
    svg, root = _chart([Line("Own", (4.0, math.nan, 7.0, 1.0)), Line("All", (3.5, 3.6, 3.7, 3.8), light=True)])
    own = root.find("s:g[@data-label='Own']", NS)
    points = own.findall("s:g[@class='point']", NS)
    assert [p.get("data-category") for p in points] == ["2018Q3", "2019Q1", "2019Q2"]
    ys = [float(p.find("s:circle", NS).get("cy")) for p in points]
    # linear in the value: 7 at the plot's top, 1 at its bottom, 4 half-way
    frame = root.find("s:rect[@stroke='#333333']", NS)
    top, height = float(frame.get("y")), float(frame.get("height"))
    assert ys == pytest.approx([top + height / 2, top, top + height], abs=0.06)
    assert len(own.findall("s:polyline", NS)) == 1            # 2019Q1-2019Q2; 2018Q3 stands alone
    assert len(root.find("s:g[@data-label='All']", NS).findall("s:polyline", NS)) == 1
    desc = root.find("s:desc", NS).text
    assert "Own, 2018Q3: 4.00" in desc and "Own, 2018Q4" not in desc and "All, 2019Q2: 3.80" in desc


def test_text_is_escaped_and_numbers_use_the_given_format():
    svg, root = _chart([Line('<script>"x"</script>', (2.5, 2.5, 2.5, 2.5))], title="A & B",
                       number=lambda v: f"{v:.2f}".replace(".", ","))
    assert "<script>" not in svg and root.find("s:title", NS).text == "A & B"
    assert "2,50" in root.find("s:desc", NS).text


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="3 values for 4 categories"):
        line_chart_svg(QUARTERS, [Line("x", (1.0, 2.0, 3.0))], y_min=1, y_max=7, y_label="", title="")
    with pytest.raises(ValueError, match="above y_min"):
        line_chart_svg(QUARTERS, [], y_min=7, y_max=7, y_label="", title="")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.just(math.nan), st.floats(1, 7)), min_size=4, max_size=4), min_size=1,
                max_size=6))
def test_one_polyline_per_run_and_one_marker_per_shown_value(series):
    lines = [Line(f"s{k}", tuple(v), style=k) for k, v in enumerate(series)]
    _, root = _chart(lines)
    for line in lines:
        group = root.find(f"s:g[@data-label='{line.label}']", NS)
        assert len(group.findall("s:polyline", NS)) == _runs(line.values)
        shown = [v for v in line.values if not math.isnan(v)]
        values = [float(p.get("data-value")) for p in group.findall("s:g[@class='point']", NS)]
        assert values == pytest.approx(shown, rel=1e-5)
    legend = [t.text for t in root.findall("s:text", NS) if t.text and re.fullmatch(r"s\d+", t.text)]
    assert legend == [line.label for line in lines]
