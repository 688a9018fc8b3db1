"""Tests of fip.personal, the one CPR detector: separators, positions, digits, lost zeros.

The reference is an independent scanner written here without regular expressions: split the
text into maximal runs of decimal digits; a CPR-like number is a run of exactly ten digits,
or a run of exactly six, a gap that is a separator, and a run of exactly four.
"""

from __future__ import annotations

import itertools
import unicodedata

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fip.errors import Problem, mask_personal as errors_mask
from fip.personal import (
    CPR_DASHES,
    CPR_SPACES,
    contains_cpr,
    cpr_digits,
    has_cpr,
    is_cpr,
    is_cpr_value,
    mask_personal,
)

SEPARATORS = ["", "-", " ", "  ", " - ", "\u2013", "\u2014", "\u2212", "/", "\u00a0", " / ", "\u202f-\u202f"]
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _is_separator(gap: str) -> bool:
    core = gap.strip(CPR_SPACES)
    lead = len(gap) - len(gap.lstrip(CPR_SPACES))
    trail = len(gap) - len(gap.rstrip(CPR_SPACES))
    if core == "":
        return len(gap) <= 4  # spaces only: up to two each side of an absent dash
    return len(core) == 1 and core in CPR_DASHES and lead <= 2 and trail <= 2


def reference_has_cpr(text: str) -> bool:
    runs = [(is_digit, "".join(group)) for is_digit, group in itertools.groupby(text, key=str.isdecimal)]
    for k, (is_digit, run) in enumerate(runs):
        if not is_digit:
            continue
        if len(run) == 10:
            return True
        if (len(run) == 6 and k + 2 < len(runs) and _is_separator(runs[k + 1][1])
                and len(runs[k + 2][1]) == 4):
            return True
    return False


cpr_parts = st.tuples(st.integers(1, 31), st.integers(1, 12), st.integers(0, 99), st.integers(0, 9999))
# no lone surrogates (Cs): text read from a UTF-8 file cannot hold them, and pandas' Arrow
# strings refuse them
no_digit_text = st.text(st.characters(blacklist_categories=("Nd", "Cs")), max_size=8)


def _cpr(parts, sep: str) -> str:
    d, m, y, s = parts
    return f"{d:02d}{m:02d}{y:02d}{sep}{s:04d}"


@given(parts=cpr_parts, sep=st.sampled_from(SEPARATORS), before=no_digit_text, after=no_digit_text,
       arabic=st.booleans())
@settings(max_examples=400, deadline=None)
def test_cpr_with_any_separator_at_any_position_is_found_and_masked(parts, sep, before, after, arabic):
    number = _cpr(parts, sep)
    if arabic:
        number = number.translate(ARABIC_INDIC)
    text = before + number + after
    assert has_cpr(text) and contains_cpr(pd.Series([text]))[0]
    masked = mask_personal(text)
    assert number not in masked and not reference_has_cpr(masked)
    assert errors_mask(text) == masked  # fip.errors re-exports the same function
    # as a whole value (an id cell): spaces around it do not matter; the digits read as 0-9
    padded = f"  {number} "
    assert is_cpr_value(padded) and is_cpr(pd.Series([padded]))[0]
    assert cpr_digits(padded) == _cpr(parts, "")


@given(parts=cpr_parts.filter(lambda p: p[0] <= 9))
@settings(max_examples=200, deadline=None)
def test_nine_digits_that_lost_the_leading_zero_are_the_same_number(parts):
    ten = _cpr(parts, "")
    nine = str(int(ten))  # what a numeric spreadsheet column keeps of 0101801000
    assert len(nine) == 9
    assert is_cpr_value(nine) and cpr_digits(nine) == ten and mask_personal(nine) == "<cpr-like id>"
    assert is_cpr(pd.Series([nine, float(nine)]))[0]


@pytest.mark.parametrize("value", [
    "P00012", "p0013", "cw006", "12345678901", "123456789012", "0101801000x7", "1234567", "123.456.7890",
    "123456.7890", "01-01-80-1000", "010180--1000", "010180 -- 1000", "100000001",  # month 00: not a lost zero
    "123456789",  # month 23
    "abfjeompomjcbhckcbegkbkmihpkhjdn",  # a pseudonym
])
def test_non_cpr_ids_are_not_flagged(value):
    assert not is_cpr_value(value) and not is_cpr(pd.Series([value]))[0]
    assert cpr_digits(value) is None


@pytest.mark.parametrize("value", ["P00012", "p0013", "12345678901", "123456.7890", "kommune_03",
                                   "FIP [kvartal 3]", "2019Q3 and 2018-05-01"])
def test_text_without_cpr_is_left_alone(value):
    assert not has_cpr(value) and not contains_cpr(pd.Series([value]))[0]
    assert mask_personal(value) == value


@given(st.text(alphabet="0123456789 -\u2013/.ab", max_size=30))
@settings(max_examples=600, deadline=None)
def test_detector_agrees_with_the_reference_scanner(text):
    expected = reference_has_cpr(text) or bool(cpr_digits(text))
    assert has_cpr(text) == expected
    assert contains_cpr(pd.Series([text]))[0] == expected  # the vectorised (RE2) form agrees


@given(st.text(max_size=30))
@settings(max_examples=300, deadline=None)
def test_masked_text_never_holds_a_cpr(text):
    masked = mask_personal(text)
    assert not reference_has_cpr(masked)
    assert (masked == text) == (not has_cpr(text))


def test_problem_messages_mask_the_spaced_form():
    line = str(Problem("persons.csv", 3, "person_id", "010180 1000", "a pseudonymous id"))
    assert "010180" not in line and "<cpr-like id>" in line


def test_unicode_digits_are_read_as_ascii():
    assert cpr_digits("٠١٠١٨٠-١٠٠٠") == "0101801000"
    assert unicodedata.decimal("٣") == 3
