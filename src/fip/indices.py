"""Index scores: the mean of a set of items per person and round.

The study's indices (2 overall, 3 citizen, 4 caseworker and 6 combined factor indices) are
defined in ``configs/indices.yaml``; :func:`derive_index_definitions` builds definitions from
any loading matrix with the study's rule (items loading above 0.3, each item on the factor it
loads highest on) so a new factor solution can be compared with the study's indices.

Examples
--------
>>> import pandas as pd
>>> from fip.indices import load_index_definitions, score_indices
>>> defs = [d for d in load_index_definitions() if d.id == "citizen_danish"]
>>> m = pd.DataFrame({"person_id": ["a"], "round": [1], "c09": [2], "c10": [5]})
>>> score_indices(m, defs)
  person_id  round  citizen_danish
0         a      1             3.5
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fip._resources import config_path, read_config
from fip.disclosure import DEFAULT
from fip.errors import ConfigError
from fip.instrument import Instrument

__all__ = [
    "IndexDefinition",
    "compare_index_definitions",
    "derive_index_definitions",
    "index_means",
    "load_index_definitions",
    "min_items_answered",
    "reverse_keyed",
    "score_indices",
]

#: Missing-item rule of a definitions file without ``min_share_answered``: two thirds of an
#: index's items answered (the study's own file, ``configs/indices.yaml``, asks for every item).
MIN_SHARE_ANSWERED = 2 / 3


@dataclass(frozen=True)
class IndexDefinition:
    """An index: its id, the items averaged, a family (``overall``, ``citizen_factors`` ...).

    ``reverse``: the reverse-keyed items (psych ``keys`` with a minus, Stata ``alpha,
    reverse()``): scored ``min + max - x`` on the instrument's scale (``-x`` on a continuous
    scale) in the index score, alpha and omega.
    """

    id: str
    items: tuple[str, ...]
    family: str = "derived"
    label: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None
    published_key: str | None = None
    min_share_answered: float = MIN_SHARE_ANSWERED
    reverse: tuple[str, ...] = ()

    def label_in(self, lang: str) -> str:
        """The label in ``lang``, else the English, else the Danish one, else the id."""
        return self.label.get(lang) or self.label.get("en") or self.label.get("da") or self.id


def _share(value: Any, source: str) -> float:
    """A share given as a number or a fraction string like ``"2/3"``."""
    try:
        share = float(Fraction(str(value))) if isinstance(value, str) else float(value)
    except (ValueError, ZeroDivisionError, TypeError):
        share = float("nan")
    if not 0 < share <= 1:
        raise ConfigError(f"{source}: min_share_answered must be a share in (0, 1] such as 2/3; got {value!r}")
    return share


def min_items_answered(definition: IndexDefinition) -> int:
    """Fewest answered items for which the index is computed (e.g. 2 of 3, 8 of 11)."""
    return max(1, math.ceil(definition.min_share_answered * len(definition.items) - 1e-9))


def load_index_definitions(
    path: str | Path | None = None, instrument: Instrument | None = None, *,
    min_share_answered: float | str | None = None,
) -> tuple[IndexDefinition, ...]:
    """Load and validate index definitions (default: the study's, ``configs/indices.yaml``).

    Parameters
    ----------
    path : str or Path, optional
        YAML file laid out like ``configs/indices.yaml``.
    instrument : Instrument, optional
        If given, every item must belong to it.
    min_share_answered : float or str, optional
        Missing-item rule instead of the file's: the share of an index's items that must be
        answered, e.g. ``1`` (every item, the study's rule) or ``"2/3"``.

    Raises
    ------
    ConfigError
        Naming the file and index: duplicate ids, empty or repeated items, unknown items,
        a ``min_share_answered`` outside (0, 1].

    Examples
    --------
    >>> [min_items_answered(d) for d in load_index_definitions() if d.family == "overall"]
    [11, 11]
    >>> [min_items_answered(d) for d in load_index_definitions(min_share_answered="2/3")][:2]
    [8, 8]
    """
    p = Path(path) if path is not None else config_path("indices.yaml")
    raw = read_config(p, "indices.yaml", "index definitions")
    if not isinstance(raw, Mapping) or not isinstance(raw.get("indices"), list):
        raise ConfigError(f"{p.name}: expected a mapping with a list 'indices'")
    if min_share_answered is None:
        share = _share(raw.get("min_share_answered", MIN_SHARE_ANSWERED), p.name)
    else:
        share = _share(min_share_answered, "min_share_answered")
    known = set(instrument.item_ids()) if instrument is not None else None
    out: list[IndexDefinition] = []
    for k, entry in enumerate(raw["indices"]):
        where = f"{p.name}: indices[{k}]"
        if not isinstance(entry, Mapping) or not entry.get("id"):
            raise ConfigError(f"{where}: missing key 'id'")
        items = entry.get("items")
        if not isinstance(items, list) or not items:
            raise ConfigError(f"{where} ({entry['id']}): 'items' must be a non-empty list")
        if len(set(items)) != len(items):
            raise ConfigError(f"{where} ({entry['id']}): an item is listed twice in {items}")
        if known is not None and (unknown := [i for i in items if i not in known]):
            raise ConfigError(f"{where} ({entry['id']}): unknown item(s) {unknown} for instrument {instrument.id!r}")
        if any(d.id == entry["id"] for d in out):
            raise ConfigError(f"{where}: duplicate index id {entry['id']!r}")
        reverse = entry.get("reverse") or []
        if not isinstance(reverse, list) or (stray := [i for i in reverse if i not in items]):
            raise ConfigError(f"{where} ({entry['id']}): 'reverse' must list items of the index; "
                              f"got {reverse if not isinstance(reverse, list) else stray}")
        out.append(IndexDefinition(
            id=str(entry["id"]), items=tuple(items), family=str(entry.get("family", "index")),
            label=dict(entry.get("label") or {}), source=entry.get("source"),
            published_key=entry.get("published_key"), min_share_answered=float(share),
            reverse=tuple(i for i in items if i in reverse),
        ))
    return tuple(out)


def reverse_keyed(block: pd.DataFrame, reverse: Sequence[str], scale: Any = None) -> pd.DataFrame:
    """``block`` (float64) with the ``reverse`` items reversed: ``min + max - x`` on a Likert
    ``scale`` (:class:`fip.instrument.Scale`), ``-x`` without one or on a continuous scale.

    Alpha, omega and correlations are the same either way (the two differ by a constant).

    Examples
    --------
    >>> from fip.instrument import Scale
    >>> b = pd.DataFrame({"a": [1, 6], "b": [2, 5]})
    >>> reverse_keyed(b, ["b"], Scale(1, 6)).to_dict("list")
    {'a': [1.0, 6.0], 'b': [5.0, 2.0]}
    """
    out = block.astype("float64")
    if not reverse:
        return out
    likert = scale is not None and not getattr(scale, "continuous", False)
    for item in reverse:
        out[item] = (scale.min + scale.max - out[item]) if likert else -out[item]
    return out


def score_indices(
    measurements: pd.DataFrame,
    definitions: Sequence[IndexDefinition],
    *,
    keys: Sequence[str] = ("person_id", "round"),
    scale: Any = None,
) -> pd.DataFrame:
    """Index scores: the mean of each index's answered items, per row of ``measurements``.

    An index is missing where fewer than ``min_share_answered`` of its items are answered.

    Parameters
    ----------
    measurements : DataFrame
        One row per person and round with item columns (``pair_forms(...).measurements``).
    definitions : sequence of IndexDefinition
    keys : sequence of str
        Columns copied to the output to identify rows.
    scale : Scale, optional
        The instrument's scale, for indices with ``reverse`` items (required for them unless
        the scale is continuous: see :func:`reverse_keyed`).

    Returns
    -------
    DataFrame
        ``keys`` then one float column per index, in the order of ``definitions``.
    """
    if scale is None and (keyed := [d.id for d in definitions if d.reverse]):
        raise ValueError(f"indices {keyed} have reverse-keyed items: give the instrument's scale")
    missing = sorted({i for d in definitions for i in d.items} - set(measurements.columns))
    if missing:
        raise ValueError(f"measurements lack the item column(s) {missing}")
    out = measurements[list(keys)].copy()
    for d in definitions:
        values = reverse_keyed(measurements[list(d.items)], d.reverse, scale).to_numpy()
        answered = np.sum(~np.isnan(values), axis=1)
        with np.errstate(invalid="ignore"):
            means = np.nanmean(np.where(answered[:, None] > 0, values, 0.0), axis=1)
        enough = answered >= min_items_answered(d)
        out[d.id] = np.where(enough, means, np.nan)
    return out


def derive_index_definitions(
    loadings: pd.DataFrame,
    threshold: float = 0.3,
    *,
    prefix: str = "",
    family: str = "derived",
) -> tuple[IndexDefinition, ...]:
    """Index definitions from a loading matrix, with the study's rule.

    Each item goes to the factor it loads highest on (absolute value) if that loading is
    above ``threshold`` (strictly: the study's "loading over 0,3", section 4.6); an index is
    the set of items of one factor. Items loading at or below the threshold everywhere are
    left out. Factors with no item give no index. Items whose loading on their factor is
    negative are proposed as reverse-keyed (``reverse``), so the index does not average
    items that pull in opposite directions.

    Parameters
    ----------
    loadings : DataFrame
        Items (index) x factors (columns), e.g. ``factor_analysis(...).loadings``.
    threshold : float
        The study used 0.3 ("loadings under 0.3 can be ignored", Kline 1994).

    Returns
    -------
    tuple of IndexDefinition
        One per factor with items, id = ``prefix`` + factor name, items in the row order of
        ``loadings``.

    Examples
    --------
    >>> import pandas as pd
    >>> L = pd.DataFrame({"F1": [0.7, 0.6, 0.1], "F2": [0.2, 0.35, 0.25]}, index=["a", "b", "c"])
    >>> [(d.id, d.items) for d in derive_index_definitions(L)]
    [('F1', ('a', 'b'))]
    >>> L2 = pd.DataFrame({"F1": [0.7, -0.6, 0.5]}, index=["a", "b", "c"])
    >>> derive_index_definitions(L2)[0].reverse
    ('b',)
    """
    absolute = loadings.abs()
    best = absolute.idxmax(axis=1)
    keep = absolute.max(axis=1) > threshold
    out = []
    for factor in loadings.columns:
        items = tuple(i for i in loadings.index if keep[i] and best[i] == factor)
        if items:
            reverse = tuple(i for i in items if loadings.loc[i, factor] < 0)
            out.append(IndexDefinition(id=f"{prefix}{factor}", items=items, family=family,
                                       source=f"derived: loading > {threshold} (highest factor)", reverse=reverse))
    return tuple(out)


def compare_index_definitions(
    ours: Sequence[IndexDefinition], reference: Sequence[IndexDefinition]
) -> pd.DataFrame:
    """Match each reference index with the derived index sharing most items.

    Returns
    -------
    DataFrame
        One row per reference index: ``reference``, ``matched`` (our index id or empty),
        ``reference_items``, ``matched_items``, ``jaccard`` (|A∩B| / |A∪B|), ``identical``.
    """
    rows = []
    for ref in reference:
        best, best_j = None, 0.0
        for d in ours:
            a, b = set(ref.items), set(d.items)
            j = len(a & b) / len(a | b)
            if j > best_j:
                best, best_j = d, j
        rows.append({
            "reference": ref.id,
            "matched": best.id if best else "",
            "reference_items": " ".join(sorted(ref.items)),
            "matched_items": " ".join(sorted(best.items)) if best else "",
            "jaccard": best_j,
            "identical": bool(best) and set(best.items) == set(ref.items),
        })
    return pd.DataFrame(rows)


def index_means(
    scores: pd.DataFrame,
    definitions: Sequence[IndexDefinition],
    *,
    rounds: Sequence[int] = (1, 2),
    policy=DEFAULT,
) -> pd.DataFrame:
    """Mean index score per index and round, with the persons behind it.

    Parameters
    ----------
    scores : DataFrame
        :func:`score_indices` output (``round`` and one column per index).
    definitions : sequence of IndexDefinition
    rounds : sequence of int
        Rounds described.
    policy : DisclosurePolicy, "default" or None
        Small-cell rule (:mod:`fip.disclosure`): a mean of 1-4 persons is hidden with its n.

    Returns
    -------
    DataFrame
        ``index``, ``round``, ``n``, ``mean``, ``sd``, ``suppressed``.

    Examples
    --------
    >>> d = IndexDefinition("x", ("c01", "c02"))
    >>> s = pd.DataFrame({"round": [1, 1, 1, 1, 1, 2], "x": [1.0, 2, 3, 4, 5, 6]})
    >>> index_means(s, [d])[["index", "round", "n", "mean", "suppressed"]]
      index  round     n  mean  suppressed
    0     x      1     5   3.0       False
    1     x      2  <NA>   NaN        True
    """
    from fip.disclosure import protect, resolve_policy

    ids = [d.id for d in definitions]
    part = scores[scores["round"].isin(list(rounds))]
    long = part.melt(id_vars=["round"], value_vars=ids, var_name="index", value_name="score").dropna(subset=["score"])
    table = (long.groupby(["index", "round"], sort=False)["score"].agg(n="count", mean="mean", sd="std")
             .reindex(pd.MultiIndex.from_product([ids, list(rounds)], names=["index", "round"]))
             .reset_index())
    table["n"] = table["n"].fillna(0).astype("Int64")
    table["suppressed"] = False
    policy = resolve_policy(policy)
    return table if policy is None else protect(table, policy, values=["mean", "sd"])
