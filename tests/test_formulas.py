"""Tests of fip.formulas: which text a spreadsheet runs, and the one formula-safe writer.

The reference rule is written out here with string methods (no regular expression): after
leading spaces, a trigger character starts a formula, except a lone "-" and a plain signed
number (digits with at most one inner "." or ",").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fip.formulas import formula_like, formula_safe, is_formula_like, neutralise_formulas

TRIGGERS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"


def plain_number(body: str) -> bool:
    marks = [i for i, ch in enumerate(body) if ch in ".,"]
    digits = [ch for ch in body if ch not in ".,"]
    return (bool(digits) and all(ch in "0123456789" for ch in digits) and len(marks) <= 1
            and all(0 < i < len(body) - 1 for i in marks))


def reference(value: str) -> bool:
    text = value.lstrip(" ")
    if not text or text[0] not in TRIGGERS:
        return False
    if text == "-":
        return False
    return not (text[0] in "+-" and plain_number(text[1:]))


@pytest.mark.parametrize(("value", "formula"), [
    ("=cmd|' /C calc'!A0", True), ("+cmd", True), ("@SUM(A1)", True), ("-2+3+cmd|' /C calc'!A0", True),
    ("\tleading tab", True), ("\rcr", True), ("  =1+1", True), ("\uff1d1+1", True), ("-abc", True), ("--", True),
    ("-", False), ("-12", False), ("-1,5", False), ("+45", False), ("a=b", False), ("Aarhus", False),
    ("FIP [kvartal 3]", False), ("", False), ("+45 12345678", True),
])
def test_examples(value, formula):
    assert is_formula_like(value) is formula
    assert formula_like(pd.Series([value]))[0] == formula


@given(st.lists(st.text(alphabet=st.sampled_from(list(TRIGGERS) + list("0123456789.,ab =")), max_size=8), max_size=20))
@settings(max_examples=400, deadline=None)
def test_rule_and_neutralising_agree_with_the_reference(values):
    expected = [reference(v) for v in values]
    assert formula_like(pd.Series(values, dtype="str")).tolist() == expected
    assert [is_formula_like(v) for v in values] == expected
    out = neutralise_formulas(pd.Series(values, dtype="str")).tolist()
    for before, after, hit in zip(values, out, expected):
        assert after == ("'" + before if hit else before)  # one apostrophe on exactly the formulas
        assert not reference(after)


def test_formula_safe_touches_text_columns_only():
    frame = pd.DataFrame({
        "person_id": pd.array(["+cmd", "p1", None, "-"], dtype="str"),
        "band": ["=HYPERLINK(\"x\")", "high", "low", np.nan],
        "probability": [-1.0, 0.5, np.nan, 0.2],
        "n": [-1, 2, 3, 4],
    })
    out = formula_safe(frame)
    assert out["person_id"].tolist()[:2] == ["'+cmd", "p1"] and pd.isna(out["person_id"].iloc[2])
    assert out["person_id"].iloc[3] == "-"  # the placeholder stays
    assert out["band"].tolist()[:3] == ["'=HYPERLINK(\"x\")", "high", "low"] and pd.isna(out["band"].iloc[3])
    pd.testing.assert_series_equal(out["probability"], frame["probability"])
    pd.testing.assert_series_equal(out["n"], frame["n"])
    clean = frame.iloc[[1]]
    assert formula_safe(clean) is clean  # nothing to neutralise: the same frame
