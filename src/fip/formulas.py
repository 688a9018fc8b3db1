"""Formula injection: which text cells a spreadsheet would run, and how fip neutralises them.

A spreadsheet opening a CSV or Excel file treats a cell starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return as a formula (OWASP, "CSV injection"); ``=cmd|' /C calc'!A0``
or ``=HYPERLINK(...)`` then runs or leaks. fip's rule (:func:`is_formula_like`):

* a cell is formula-like when, after leading spaces, it starts with one of
  :data:`FORMULA_TRIGGERS` (the OWASP list and the full-width ``＝ ＋ － ＠``, which some
  spreadsheets read as the ASCII signs);
* except a **lone** ``-`` (the usual "no value" placeholder) and a **plain signed number**
  (``-12``, ``+3,5``): a spreadsheet reads those as a placeholder or a number, never as a
  formula. ``-2+3`` and ``-cmd`` stay formula-like.

:func:`formula_safe` is the one place fip neutralises them before writing CSV or Excel: a
formula-like text cell gets a leading apostrophe (OWASP's advice; the spreadsheet shows the
text and runs nothing). It is used by every output with person-level rows (``fip score``,
``fip indices --scores``, ``fip export``). The importer refuses such cells instead
(:mod:`fip.store.screen`).

Examples
--------
>>> [is_formula_like(v) for v in ["=1+1", "@SUM(A1)", "-", "-12", "-2+3", " +cmd", "a=b"]]
[True, True, False, False, True, True, False]
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["FORMULA_TRIGGERS", "formula_like", "formula_safe", "is_formula_like", "neutralise_formulas"]

#: First characters (after leading spaces) that make a spreadsheet treat a cell as a formula.
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NOT_FORMULA = r"-|[+-][0-9]+(?:[.,][0-9]+)?"
_NOT_FORMULA_RE = re.compile(_NOT_FORMULA)


def is_formula_like(value: object) -> bool:
    """Whether a spreadsheet would read the text ``value`` as a formula (see the module notes)."""
    if not isinstance(value, str):
        return False
    text = value.lstrip(" ")
    return text.startswith(FORMULA_TRIGGERS) and not _NOT_FORMULA_RE.fullmatch(text)


def formula_like(values: pd.Series) -> np.ndarray:
    """Mask of text cells a spreadsheet would read as a formula (vectorised :func:`is_formula_like`).

    Examples
    --------
    >>> import pandas as pd
    >>> formula_like(pd.Series(["=1+1", "@SUM(A1)", "a=b", "-", "-1", None])).tolist()
    [True, True, False, False, False, False]
    """
    import pandas as pd

    text = pd.Series(values, dtype="str").str.lstrip(" ")
    hit = text.str.startswith(FORMULA_TRIGGERS) & ~text.str.fullmatch(_NOT_FORMULA)
    return hit.to_numpy(dtype=bool, na_value=False)


def neutralise_formulas(values: pd.Series) -> pd.Series:
    """Prefix text cells a spreadsheet would run as a formula with ``'`` (OWASP); the rest as is.

    Examples
    --------
    >>> import pandas as pd
    >>> neutralise_formulas(pd.Series(["=cmd|' /C calc'!A0", "Aarhus", "-1", "-", None])).tolist()
    ["'=cmd|' /C calc'!A0", 'Aarhus', '-1', '-', nan]
    """
    import pandas as pd

    text = pd.Series(values, dtype="str")
    hit = formula_like(text)
    if not hit.any():
        return text
    return text.mask(pd.Series(hit, index=text.index), "'" + text)


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text column passed through :func:`neutralise_formulas`.

    Numbers, dates and flags are left alone; a column is text when its dtype is ``object``
    or a string dtype (mixed object columns are neutralised cell by cell, as text).

    Examples
    --------
    >>> import pandas as pd
    >>> formula_safe(pd.DataFrame({"id": ["+cmd", "p1"], "x": [-1.0, 2.0]}))["id"].tolist()
    ["'+cmd", 'p1']
    """
    import pandas as pd

    changed = {}
    for name in frame.columns:
        col = frame[name]
        if not (col.dtype == object or pd.api.types.is_string_dtype(col.dtype)):
            continue
        text = col.astype("str").where(col.notna()) if col.dtype == object else col
        if formula_like(text).any():
            changed[name] = neutralise_formulas(text)
    return frame.assign(**changed) if changed else frame
