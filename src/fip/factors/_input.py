"""Turn item scores or a correlation matrix into a checked correlation matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from fip._options import check_option
from fip.errors import InvalidDataError, Problem, mask_personal

__all__ = ["CorrelationInput", "NanPolicy", "correlation_input"]

NanPolicy = Literal["listwise", "pairwise", "raise"]
NAN_POLICIES: tuple[str, ...] = ("listwise", "pairwise", "raise")

_SOURCE = "factor analysis input"


@dataclass(frozen=True)
class CorrelationInput:
    """A correlation matrix ready for extraction.

    Attributes
    ----------
    correlation : pandas.DataFrame
        Items x items Pearson correlation matrix.
    n_obs : int or None
        Rows used (listwise); for pairwise deletion the smallest pairwise count; ``None`` when a
        correlation matrix was given without ``n_obs``.
    is_data : bool
        ``True`` when item scores were given, ``False`` for a correlation matrix.
    """

    correlation: pd.DataFrame
    n_obs: int | None
    is_data: bool


def _problem(column: str | None, value: object, expected: str) -> InvalidDataError:
    shown = None if value is None else mask_personal(value)
    return InvalidDataError([Problem(_SOURCE, None, column, shown, expected)])


def _looks_like_correlation(frame: pd.DataFrame) -> bool:
    if frame.shape[0] != frame.shape[1] or frame.shape[0] == 0:
        return False
    if list(map(str, frame.index)) != list(map(str, frame.columns)):
        return False
    return True


def _check_correlation(values: np.ndarray, names: list[str]) -> None:
    if not np.all(np.isfinite(values)):
        raise _problem(None, "non-finite entries", "a correlation matrix without missing values")
    if not np.allclose(values, values.T, atol=1e-10):
        raise _problem(None, "asymmetric matrix", "a symmetric correlation matrix")
    bad = np.flatnonzero(np.abs(np.diag(values) - 1.0) > 1e-8)
    if bad.size:
        i = int(bad[0])
        raise _problem(names[i], f"{values[i, i]!r} on the diagonal", "1 on the diagonal")


def correlation_input(
    data: pd.DataFrame,
    items: Sequence[str] | None = None,
    *,
    n_obs: int | None = None,
    nan_policy: NanPolicy = "listwise",
) -> CorrelationInput:
    """Return the Pearson correlation matrix of ``data`` (or ``data`` itself if it is one).

    Parameters
    ----------
    data : pandas.DataFrame
        Item scores (rows = respondents, columns = items) or a square correlation matrix whose
        index equals its columns.
    items : sequence of str, optional
        Subset and order of the items; all columns by default.
    n_obs : int, optional
        Number of observations behind a correlation matrix (needed for Bartlett's test and the
        parallel analysis). Ignored for item scores.
    nan_policy : {"listwise", "pairwise", "raise"}
        Missing answers: drop incomplete rows (Stata's default), use pairwise-complete
        correlations, or raise :class:`fip.errors.InvalidDataError`.

    Returns
    -------
    CorrelationInput

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3], "c": [1, 3, 2, None]})
    >>> ci = correlation_input(d)
    >>> ci.n_obs, ci.correlation.shape
    (3, (3, 3))
    """
    check_option("nan_policy", nan_policy, NAN_POLICIES)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    columns = [str(c) for c in data.columns]
    if len(set(columns)) != len(columns):
        raise _problem(None, "duplicate column names", "unique item names")
    frame = data.copy()
    frame.columns = columns
    if items is not None:
        items = [str(i) for i in items]
        missing = [i for i in items if i not in frame.columns]
        if missing:
            raise _problem(missing[0], None, "an item column present in the data")
        if len(set(items)) != len(items):
            raise _problem(None, "duplicate items", "each item once")
    if _looks_like_correlation(frame):
        frame.index = columns
        names = items if items is not None else columns
        values = frame.loc[names, names].to_numpy(dtype=float)
        _check_correlation(values, names)
        if n_obs is not None and (int(n_obs) != n_obs or n_obs < 2):
            raise ValueError(f"n_obs must be an integer >= 2; got {n_obs!r}")
        corr = pd.DataFrame((values + values.T) / 2, index=names, columns=names)
        return CorrelationInput(corr, None if n_obs is None else int(n_obs), False)

    names = items if items is not None else columns
    if len(names) < 2:
        raise _problem(None, f"{len(names)} item(s)", "at least two items")
    sub = frame[names]
    numeric = {}
    for name in names:
        col = pd.to_numeric(sub[name], errors="coerce")
        bad = col.isna() & sub[name].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InvalidDataError(
                [Problem(_SOURCE, row + 2, name, mask_personal(sub[name].iloc[row]), "a number")]
            )
        numeric[name] = col.to_numpy(dtype=float)
    x = np.column_stack([numeric[n] for n in names])
    nan_rows = np.isnan(x).any(axis=1)
    if nan_policy == "raise" and nan_rows.any():
        row = int(np.flatnonzero(nan_rows)[0])
        col = names[int(np.flatnonzero(np.isnan(x[row]))[0])]
        raise InvalidDataError([Problem(_SOURCE, row + 2, col, None, "an answer (no missing)")])
    if nan_policy == "pairwise":
        obs = ~np.isnan(x)
        counts = obs.T.astype(int) @ obs.astype(int)
        frame_x = pd.DataFrame(x, columns=names)
        corr = frame_x.corr(method="pearson", min_periods=2).to_numpy(copy=True)
        used = int(counts.min())
    else:
        x = x[~nan_rows]
        used = x.shape[0]
        if used < 3:
            raise _problem(None, f"{used} complete rows", "at least 3 complete rows")
        with np.errstate(invalid="ignore", divide="ignore"):  # constant items: checked below
            corr = np.corrcoef(x, rowvar=False)
    sd_zero = [n for n, v in zip(names, np.diag(corr)) if not np.isfinite(v)]
    if sd_zero or not np.all(np.isfinite(corr)):
        name = sd_zero[0] if sd_zero else None
        raise _problem(name, "constant or all-missing item", "an item whose answers vary")
    np.fill_diagonal(corr, 1.0)
    corr = (corr + corr.T) / 2
    return CorrelationInput(pd.DataFrame(corr, index=names, columns=names), used, True)
