"""Does a cohort resemble the training data? Population stability, range, unseen categories.

At training time :func:`reference_block` stores in the model file (``drift_reference``) the
distribution of every feature as the model sees it (missing values replaced by
``impute_with``), and the shares of the categories of the raw persons columns behind the
controls (origin, gender, education, work experience). No person-level value is stored:

* numeric and indicator features: the deciles of the training values as bin edges (bins
  ``x <= e1``, ``e1 < x <= e2``, ..., ``x > ek``), then every bin with fewer than
  ``min_cell`` persons (the disclosure threshold, 5) merged into its smaller neighbour, so
  every stored share rests on at least ``min_cell`` persons; ``low`` and ``high`` are the
  ``min_cell``-th smallest and largest training values (fewer than ``min_cell`` training
  persons lie outside them, and no single person's extreme value is stored);
* categories: the share of each category held by at least ``min_cell`` training persons;
  rarer ones (and missing values) are pooled as ``_rare``, and when the pool itself has 1 to
  ``min_cell - 1`` persons the smallest named category joins it.

At scoring time :func:`drift_report` compares a cohort with that reference.

**Population stability index** of a feature with bins b (training share ``e_b``, cohort
share ``a_b``, both floored at :data:`PSI_EPSILON` so an empty bin gives a finite value)::

    PSI = sum_b (a_b - e_b) * ln(a_b / e_b)

The usual reading (Siddiqi 2006, *Credit Risk Scorecards*; Yurdakul 2018): below 0.1 no
important shift, 0.1 to 0.25 a moderate shift, above 0.25 a major shift. Under no shift the
PSI is about ``(B - 1) (1/n_train + 1/n_cohort)`` for B bins (its chi-square
approximation), so small cohorts show moderate values by chance; warnings are therefore
raised at :data:`PSI_MAJOR` only. Nothing is warned about in a cohort of fewer than
:data:`MIN_COHORT` persons (e.g. one person scored in the service); the report still lists
what it found.

Examples
--------
>>> import numpy as np
>>> psi(np.array([0.5, 0.5]), np.array([0.25, 0.75]))   # doctest: +ELLIPSIS
0.2746...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fip.disclosure import DisclosurePolicy

__all__ = [
    "CATEGORY_SECTIONS",
    "DriftReport",
    "MIN_COHORT",
    "N_BINS",
    "OUTSIDE_WARN",
    "PSI_EPSILON",
    "PSI_MAJOR",
    "PSI_MODERATE",
    "check_reference",
    "drift_report",
    "psi",
    "reference_block",
]

#: Reading of the population stability index (see the module notes).
PSI_MODERATE = 0.1
PSI_MAJOR = 0.25
#: Floor of a share in the PSI (an empty bin would give an infinite index).
PSI_EPSILON = 1e-4
#: Bins of a numeric feature before small bins are merged (deciles).
N_BINS = 10
#: Smallest cohort whose PSI values raise a warning (below it they are only reported).
MIN_COHORT = 50
#: Share of a cohort outside a feature's training range that raises a warning.
OUTSIDE_WARN = 0.05
#: Sections of the control coding whose raw persons column is compared by category.
CATEGORY_SECTIONS: tuple[str, ...] = ("gender", "origin", "education", "work_experience")
_RARE = "_rare"
_RULE = ("features as the model sees them (missing -> impute_with); bins x <= edges[0], edges[0] < x <= edges[1], "
         "..., x > edges[-1], from the training deciles, every bin with fewer than min_cell persons merged into its "
         "smaller neighbour; low/high: the min_cell-th smallest and largest training value; categories: shares of "
         "the raw persons column (stripped, lower-case), categories with fewer than min_cell persons and missing "
         "values pooled as '_rare'")


def psi(actual: np.ndarray, expected: np.ndarray, epsilon: float = PSI_EPSILON) -> float:
    """Population stability index ``sum (a - e) ln(a / e)`` of two share vectors.

    Shares are floored at ``epsilon`` (not renormalised).
    """
    a = np.maximum(np.asarray(actual, dtype=np.float64), epsilon)
    e = np.maximum(np.asarray(expected, dtype=np.float64), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def _bin_index(x: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    return np.searchsorted(np.asarray(edges, dtype=np.float64), x, side="left")


def _numeric_reference(x: np.ndarray, min_cell: int) -> dict[str, Any]:
    x = np.sort(x[~np.isnan(x)])
    qs = np.quantile(x, np.arange(1, N_BINS) / N_BINS, method="inverted_cdf")
    edges = [float(e) for e in np.unique(qs) if e < x[-1]]
    counts = list(np.bincount(_bin_index(x, edges), minlength=len(edges) + 1))
    while len(counts) > 1 and min(counts) < min_cell:
        k = int(np.argmin(counts))
        if k == 0:
            j = 1
        elif k == len(counts) - 1:
            j = k - 1
        else:
            j = k - 1 if counts[k - 1] <= counts[k + 1] else k + 1
        lo = min(j, k)
        counts[lo] += counts[lo + 1]
        del counts[lo + 1]
        del edges[lo]
    m = min(min_cell, x.size)
    return {"edges": edges, "shares": [round(c / x.size, 6) for c in counts],
            "low": float(x[m - 1]), "high": float(x[-m])}


def _category_values(persons: pd.DataFrame, column: str) -> pd.Series:
    v = persons[column].astype("string").str.strip().str.lower()
    return v.where(v.notna() & (v != ""), pd.NA)


def _category_reference(values: pd.Series, column: str, min_cell: int) -> dict[str, Any]:
    counts = values.value_counts(dropna=True)
    seen = sorted(str(k) for k, c in counts.items() if c >= min_cell)
    kept = {k: int(counts[k]) for k in seen}
    rare = int(len(values) - sum(kept.values()))
    while 0 < rare < min_cell and kept:   # a pool of 1-4 persons: the smallest category joins it
        smallest = min(kept, key=lambda k: (kept[k], k))
        rare += kept.pop(smallest)
    shares = {k: round(c / len(values), 6) for k, c in kept.items()}
    if rare:
        shares[_RARE] = round(rare / len(values), 6)
    return {"column": column, "seen": seen, "shares": shares}


def reference_block(features: pd.DataFrame, persons: pd.DataFrame, coding: Mapping[str, Any],
                    policy: DisclosurePolicy) -> dict[str, Any]:
    """The ``drift_reference`` block of a model file.

    Parameters
    ----------
    features : DataFrame
        The training persons' features as the model sees them (imputed), one column per
        feature, indexed by ``person_id``.
    persons : DataFrame
        The persons table (its rows of the training persons are used).
    coding : mapping
        The model's control coding (which persons column each control reads).
    policy : DisclosurePolicy
        Its threshold is the smallest number of persons behind a stored share.
    """
    k = policy.threshold
    block: dict[str, Any] = {"rule": _RULE, "min_cell": k, "n": int(len(features)), "features": {}, "categories": {}}
    for name in features.columns:
        block["features"][name] = _numeric_reference(features[name].to_numpy(dtype=np.float64), k)
    p = persons.assign(person_id=persons["person_id"].astype("str")).drop_duplicates("person_id").set_index("person_id")
    p = p.reindex(features.index.astype("str"))
    for section in CATEGORY_SECTIONS:
        column = coding[section]["column"]
        if column in p.columns:
            block["categories"][section] = _category_reference(_category_values(p, column), column, k)
    return block


def check_reference(block: Mapping[str, Any], features: Sequence[str]) -> str | None:
    """What the schema cannot say about ``drift_reference``; the first problem or ``None``."""
    if set(block["features"]) != set(features):
        extra = sorted(set(block["features"]) - set(features))
        if extra:
            return f"$.drift_reference.features.{extra[0]}: not a feature of the model"
        return f"$.drift_reference.features: lacks {next(f for f in features if f not in block['features'])!r}"
    for name, spec in block["features"].items():
        edges, shares = spec["edges"], spec["shares"]
        if len(shares) != len(edges) + 1:
            return f"$.drift_reference.features.{name}: expected one share more than edges"
        if any(b <= a for a, b in zip(edges, edges[1:])):
            return f"$.drift_reference.features.{name}.edges: expected increasing edges"
        if abs(sum(shares) - 1) > 1e-4:
            return f"$.drift_reference.features.{name}.shares: expected shares summing to 1"
        if spec["low"] > spec["high"]:
            return f"$.drift_reference.features.{name}: expected low <= high"
    for section, spec in block["categories"].items():
        if abs(sum(spec["shares"].values()) - 1) > 1e-4:
            return f"$.drift_reference.categories.{section}.shares: expected shares summing to 1"
    return None


@dataclass(frozen=True, eq=False)
class DriftReport:
    """How a scored cohort compares with the model's training data.

    Attributes
    ----------
    features : DataFrame
        One row per feature: ``feature``, ``psi``, ``status`` (``stable`` below
        :data:`PSI_MODERATE`, ``moderate``, ``major`` from :data:`PSI_MAJOR`; ``not checked``
        when the cohort is smaller than :data:`MIN_COHORT` or the training data had one
        bin only), ``share_outside`` (share of the cohort below ``low`` or above ``high``;
        NaN where 1 to ``min_cell - 1`` persons), ``training_low``, ``training_high``.
    categories : DataFrame
        One row per category section (``origin`` ...): ``section``, ``column``, ``psi``,
        ``status``, ``unseen`` (categories of the cohort that fewer than ``min_cell``
        training persons had, ``; ``-separated), ``n_unseen`` (persons with them; NaN where
        1 to ``min_cell - 1``).
    n : int
        Persons of the cohort.
    n_training : int
    flagged : tuple of str
        The features and sections that raise the warning.
    message : str
        The warning (empty when nothing is flagged).
    """

    features: pd.DataFrame
    categories: pd.DataFrame
    n: int
    n_training: int
    flagged: tuple[str, ...]
    message: str

    def tidy(self) -> pd.DataFrame:
        """Both tables in long form: ``part``, ``name``, ``statistic``, ``value``."""
        f = self.features.rename(columns={"feature": "name"}).assign(part="feature")
        c = self.categories.rename(columns={"section": "name"}).assign(part="category")
        f = f.melt(id_vars=["part", "name"], value_vars=["psi", "share_outside"], var_name="statistic")
        c = c.melt(id_vars=["part", "name"], value_vars=["psi", "n_unseen"], var_name="statistic")
        return pd.concat([f, c], ignore_index=True)


def _status(value: float, checked: bool) -> str:
    if not checked or np.isnan(value):
        return "not checked"
    return "major" if value >= PSI_MAJOR else "moderate" if value >= PSI_MODERATE else "stable"


def drift_report(features: pd.DataFrame, persons: pd.DataFrame, content: Mapping[str, Any],
                 policy: DisclosurePolicy | None = None) -> DriftReport | None:
    """Compare a cohort with the training data stored in a model file.

    Parameters
    ----------
    features : DataFrame
        The cohort's features as the model sees them (missing replaced by ``impute_with``),
        one column per model feature, indexed by ``person_id``.
    persons : DataFrame
        The persons table (rows of the cohort's persons are used).
    content : mapping
        The model file's content (``Model.content``).
    policy : DisclosurePolicy, optional
        Counts of 1 to threshold-1 persons are hidden (default: the configured policy).

    Returns
    -------
    DriftReport or None
        None when the model file has no ``drift_reference`` (a file written before it existed).

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> from fip.predict import train, score
    >>> model = train(simulate_cohort(seed=1), compare=False, created_at="t").model
    >>> s = score(simulate_cohort(seed=2, scenario="later_period_new_origins"), model, check_drift=False)
    >>> report = s.attrs["drift"]
    >>> report.categories.set_index("section").loc["origin", "status"], "ukraine" in report.message
    ('major', True)
    """
    ref = content.get("drift_reference")
    if ref is None:
        return None
    policy = DisclosurePolicy.default() if policy is None else policy
    n = int(len(features))
    big = n >= MIN_COHORT
    rows = []
    for name, spec in ref["features"].items():
        x = features[name].to_numpy(dtype=np.float64)
        x = x[~np.isnan(x)]
        counts = np.bincount(_bin_index(x, spec["edges"]), minlength=len(spec["edges"]) + 1)
        value = psi(counts / max(x.size, 1), np.array(spec["shares"])) if x.size else np.nan
        outside = int(((x < spec["low"]) | (x > spec["high"])).sum())
        rows.append({"feature": name, "psi": value, "status": _status(value, big and len(spec["shares"]) > 1),
                     "share_outside": np.nan if policy.is_small(outside) else outside / max(x.size, 1),
                     "n_outside": outside,
                     "training_low": spec["low"], "training_high": spec["high"]})
    feats = pd.DataFrame(rows, columns=["feature", "psi", "status", "share_outside", "n_outside",
                                        "training_low", "training_high"])
    p = persons.assign(person_id=persons["person_id"].astype("str")).drop_duplicates("person_id").set_index("person_id")
    p = p.reindex(features.index.astype("str"))
    crow = []
    for section, spec in ref["categories"].items():
        column = spec["column"]
        if column not in p.columns:
            continue
        values = _category_values(p, column)
        named = [k for k in spec["shares"] if k != _RARE]
        mapped = values.where(values.isin(named), _RARE).fillna(_RARE)
        keys = list(spec["shares"])
        a = np.array([(mapped == k).sum() for k in keys], dtype=np.float64) / max(n, 1)
        value = psi(a, np.array([spec["shares"][k] for k in keys])) if n else np.nan
        present = values.dropna()
        new = present[~present.isin(spec["seen"])]
        unseen = sorted(new.unique()) if not policy.is_small(len(new)) else []
        crow.append({"section": section, "column": column, "psi": value, "status": _status(value, big and len(keys) > 1),
                     "unseen": "; ".join(unseen), "n_unseen": np.nan if policy.is_small(len(new)) else float(len(new)),
                     "any_unseen": bool(len(new))})
    cats = pd.DataFrame(crow, columns=["section", "column", "psi", "status", "unseen", "n_unseen", "any_unseen"])

    parts, flagged = [], []
    major = feats[feats["status"] == "major"]
    if len(major):
        flagged += list(major["feature"])
        parts.append("population stability index >= 0.25 (major shift) for "
                     + ", ".join(f"{r.feature} ({r.psi:.2f})" for r in major.itertuples()))
    far = feats[feats["share_outside"] > OUTSIDE_WARN] if big else feats.iloc[:0]
    if len(far):
        flagged += [f for f in far["feature"] if f not in flagged]
        parts.append(f"more than {OUTSIDE_WARN:.0%} of the cohort outside the training range for "
                     + ", ".join(f"{r.feature} ({r.share_outside:.0%})" for r in far.itertuples()))
    cmajor = cats[cats["status"] == "major"]
    if len(cmajor):
        flagged += list(cmajor["section"])
        parts.append("the mix of " + ", ".join(f"{r.section} ({r.psi:.2f})" for r in cmajor.itertuples())
                     + " differs from the training data (index >= 0.25)")
    for r in (cats[cats["any_unseen"]] if big else cats.iloc[:0]).itertuples():
        if r.section not in flagged:
            flagged.append(r.section)
        who = (f"{int(r.n_unseen)} persons" if not np.isnan(r.n_unseen) else f"fewer than {policy.threshold} persons")
        named = f" ({r.unseen})" if r.unseen else ""
        coded = ""
        if r.section == "origin" and "origin" in content.get("control_coding", {}):
            coded = f", which the model counts in the origin group {content['control_coding']['origin']['other']!r}"
        parts.append(f"{who} whose {r.section} fewer than {ref['min_cell']} training persons had{named}{coded}")
    message = ""
    if parts:
        message = (f"the cohort ({n:,} persons) differs from the model's training data ({ref['n']:,} persons): "
                   + "; ".join(parts) + ". The probabilities may be off for this cohort; check them against "
                   "outcomes (fip recalibrate) or retrain on recent data")
    return DriftReport(features=feats.drop(columns="n_outside"), categories=cats.drop(columns="any_unseen"),
                       n=n, n_training=int(ref["n"]), flagged=tuple(flagged), message=message)
