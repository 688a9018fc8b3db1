"""The one detector of CPR numbers (Danish personal identity numbers) in fip.

Every place that looks for CPR-like values uses this module: the importer's pseudonyms and
refusals (:mod:`fip.store.pseudonymise`, :mod:`fip.store.screen`), the id screening of the
commands that write person-level rows, the free-text screens, the citizen card, and
:func:`mask_personal`, which keeps CPR numbers out of messages and logs.

What counts as CPR-like
-----------------------
* **Ten digits**, ``ddmmyy`` and ``xxxx``, with at most one separator between the two
  groups: a hyphen or dash (``-``, ``‐``, ``‑``, ``‒``, ``–``, ``—``, ``−``), a slash, or
  spaces (ordinary, no-break, narrow no-break, thin; up to two on each side of a dash).
  So ``010180-1000``, ``0101801000``, ``010180 1000``, ``010180 - 1000`` and
  ``010180–1000`` (Word's en dash) are all the same number. The digits may be any decimal
  digits (``٠١٠١٨٠١٠٠٠``, Arabic-Indic); they are read as 0-9. The run must not touch
  further digits (``12345678901`` is not CPR-like). The date part is not checked: a ten
  digit id is treated as a CPR number whatever it encodes (safe side).
* **Nine digits that lost the leading zero** (a CPR number stored in a numeric
  spreadsheet column: ``0101801000`` -> ``101801000``), but only as a *whole* value (an id
  cell, a whole message value): the first digit is a day 1-9 and the next two a month
  01-12. Such an id is pseudonymised as the ten-digit number with the zero restored, so
  both spellings of one person get one pseudonym.
* Not CPR-like: a dot as separator (``123456.7890`` is a decimal number), separators inside
  the date part (``01-01-80-1000``), letters anywhere in the run (``P00012``, ``p0013``).

Examples
--------
>>> mask_personal("born 010180 1000, id p0012")
'born <cpr-like id>, id p0012'
>>> cpr_digits("010180–1000"), cpr_digits("101801000"), cpr_digits("P00012")
('0101801000', '0101801000', None)
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas loads on first use: fip.errors imports this module, `fip --help` stays fast
    import numpy as np
    import pandas as pd

__all__ = [
    "CPR_DASHES",
    "CPR_SPACES",
    "contains_cpr",
    "cpr_digits",
    "has_cpr",
    "is_cpr",
    "is_cpr_value",
    "mask_personal",
]

#: Dash-like characters accepted between the date part and the serial number (and ``/``).
CPR_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212/"
#: Space characters accepted around or instead of the dash.
CPR_SPACES = " \u00a0\u202f\u2009"

_SEP = f"[{CPR_SPACES}]{{0,2}}[{re.escape(CPR_DASHES)}]?[{CPR_SPACES}]{{0,2}}"
_TEN = rf"\d{{6}}{_SEP}\d{{4}}"
_IN_TEXT = re.compile(rf"(?<!\d){_TEN}(?!\d)")
_NINE = r"[1-9](?:0[1-9]|1[0-2])[0-9]{6}"
_WHOLE = re.compile(rf"\s*(?:{_TEN}|{_NINE})\s*")
# _IN_TEXT or a whole nine-digit value, in RE2 syntax (pyarrow, vectorised): no look-around,
# so the neighbours are matched as "start/end or a non-digit".
_RE2_SEP = ("[" + "".join(f"\\x{{{ord(c):04x}}}" for c in CPR_SPACES) + "]{0,2}["
            + "".join(f"\\x{{{ord(c):04x}}}" for c in CPR_DASHES) + "]?["
            + "".join(f"\\x{{{ord(c):04x}}}" for c in CPR_SPACES) + "]{0,2}")
_RE2_IN_TEXT = (rf"(^|\P{{Nd}})\p{{Nd}}{{6}}{_RE2_SEP}\p{{Nd}}{{4}}(\P{{Nd}}|$)"
                rf"|^\s*{_NINE}\s*$")
MASK = "<cpr-like id>"


def cpr_digits(value: object) -> str | None:
    """The ten digits (0-9) of ``value`` if it is, as a whole, a CPR-like number, else ``None``.

    Spaces around the value are ignored; a nine-digit value that lost its leading zero gets it
    back.

    Examples
    --------
    >>> cpr_digits(" 010190-1234 "), cpr_digits("010190 / 1234"), cpr_digits("01019012345")
    ('0101901234', '0101901234', None)
    """
    text = str(value)
    if not _WHOLE.fullmatch(text):
        return None
    digits = "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())
    return digits if len(digits) == 10 else "0" + digits


def is_cpr_value(value: object) -> bool:
    """Whether ``value`` is, as a whole, a CPR-like number (see the module notes).

    Examples
    --------
    >>> is_cpr_value("010180 1000"), is_cpr_value("P00012")
    (True, False)
    """
    return value is not None and cpr_digits(value) is not None


def has_cpr(value: object) -> bool:
    """Whether a CPR-like number occurs anywhere in ``str(value)`` (or ``value`` is one).

    Examples
    --------
    >>> has_cpr("see 010180-1000"), has_cpr("12345678901")
    (True, False)
    """
    text = str(value)
    return bool(_IN_TEXT.search(text)) or is_cpr_value(text)


def mask_personal(value: object) -> str:
    """``value`` as text with every CPR-like number replaced by ``<cpr-like id>``.

    Error messages and logs quote offending values and paths; a CPR number must never reach
    them. A whole value of nine digits that lost its leading zero is masked too.

    Examples
    --------
    >>> mask_personal("010190-1234 and x"), mask_personal("101801000")
    ('<cpr-like id> and x', '<cpr-like id>')
    """
    text = str(value)
    if is_cpr_value(text):
        return MASK
    return _IN_TEXT.sub(MASK, text)


def is_cpr(values: pd.Series) -> np.ndarray:
    """Mask of cells that are, as a whole, a CPR-like number (vectorised :func:`is_cpr_value`).

    Examples
    --------
    >>> import pandas as pd
    >>> is_cpr(pd.Series(["010190-1234", " 010190 1234 ", "p01", "01019012345", "101901234", None])).tolist()
    [True, True, False, False, True, False]
    """
    import pandas as pd

    text = pd.Series(values, dtype="str")
    return text.str.fullmatch(_WHOLE.pattern).to_numpy(dtype=bool, na_value=False)


def contains_cpr(values: pd.Series) -> np.ndarray:
    """Mask of cells holding a CPR-like number anywhere in their text (vectorised :func:`has_cpr`).

    Examples
    --------
    >>> import pandas as pd
    >>> contains_cpr(pd.Series(["born 010190 1234", "12345678901", "a 0101901234b", "101901234", None])).tolist()
    [True, False, True, True, False]
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pd.Series(values, dtype="str")
    arr = pa.array(text.array)
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    hit = pc.fill_null(pc.match_substring_regex(arr, _RE2_IN_TEXT), False)
    return hit.to_numpy(zero_copy_only=False).astype(bool)
