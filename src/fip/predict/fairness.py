"""Fairness audit of a job-chance model: metrics by group and at the band cuts, with bootstrap CIs.

The audit reads out-of-fold predictions (``ValidationReport.predictions``: every person's
probability from a model that never saw the person's caseworker) and the person's groups:
gender, origin group, gender x origin, the language the citizen answered in at round 1 and
the age group (the study's cuts, :data:`fip.predict.CONTROL_CODING`). For the whole sample
and for every group it gives

* ``observed`` (share with a job) and ``mean_predicted``;
* ``auc``; ``calibration_intercept`` (calibration-in-the-large: the intercept of a
  logistic regression of y on an offset logit p; 0 is ideal, > 0: the model predicts too
  low for the group) and ``calibration_slope`` (slope of y on logit p; 1 is ideal);
* at each band cut (``middle_or_high``: p >= cuts[0], ``high``: p >= cuts[1]) a person is
  **flagged** when the probability is at or above the cut, and a flag is read as "predicted
  to get a job". Then ``flagged_<cut>`` = share flagged, ``fpr_<cut>`` = P(flagged | no
  job), ``fnr_<cut>`` = P(not flagged | job), ``ppv_<cut>`` = P(job | flagged). A high FNR
  at the ``high`` cut means that persons who did find a job were often not put in the high
  band; a high FPR at ``middle_or_high`` that persons who found no job were often kept out
  of the low band.

Uncertainty: a **cluster bootstrap over caseworkers** (the folds are grouped by
caseworker, and persons of one caseworker share the caseworker's effect, so persons are not
independent). Each of ``n_boot`` replicates draws as many caseworkers as there are, with
replacement, and takes all their persons; the CI is the percentile interval of the
replicates. The predictions and the cuts are held fixed: the interval covers the
sampling of the persons audited, not the refitting of the model.

Small groups go through :mod:`fip.disclosure`: a group of 1-4 persons, or 1-4 with or
without a job, shows no numbers; at a cut, the group's four confusion-table cells (flagged
with / without a job, not flagged with / without a job) must each be 0 or at least 5, or the
cut's figures are hidden; and no hidden cell may be recovered by subtraction (from the
whole sample, a gender's or an origin group's total over the gender x origin cells, or a
group's total over its flagged and not-flagged persons).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> p = rng.uniform(0.05, 0.8, 400)
>>> pred = pd.DataFrame({"person_id": [f"p{i}" for i in range(400)], "caseworker_id": [f"c{i % 40}" for i in range(400)],
...                      "y": (rng.uniform(size=400) < p).astype(float), "p_logistic": p})
>>> groups = pd.DataFrame({"gender": np.where(np.arange(400) % 2, "female", "male")}, index=pred["person_id"])
>>> audit = fairness_audit(pred, groups, (0.3, 0.5), n_boot=50, seed=1)
>>> t = audit.tidy()
>>> list(t.columns)
['group_variable', 'group', 'metric', 'cut', 'estimate', 'ci_low', 'ci_high', 'n', 'suppressed']
>>> sorted(t["group"].unique())
['all', 'female', 'male']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from fip.disclosure import DEFAULT, DisclosurePolicy, Relation, TableSpec, protect_tables, resolve_policy

__all__ = [
    "AUDIT_VARIABLES",
    "BOOTSTRAP_UNIT",
    "CUT_NAMES",
    "DEFAULT_N_BOOT",
    "FairnessAudit",
    "audit_groups",
    "fairness_audit",
]

#: Group variables of the audit, in order (``gender_x_origin`` is built from the first two).
AUDIT_VARIABLES: tuple[str, ...] = ("gender", "origin_group", "gender_x_origin", "language", "age_group")
#: Names of the band cuts: flagged when p >= cuts[0] (``middle_or_high``), p >= cuts[1] (``high``).
CUT_NAMES: tuple[str, str] = ("middle_or_high", "high")
#: Bootstrap replicates unless told otherwise (keeps ``train`` fast: about 0.3 s at the study's size).
DEFAULT_N_BOOT = 200
BOOTSTRAP_UNIT = "caseworker"
_BASE_METRICS = ("observed", "mean_predicted", "auc", "calibration_intercept", "calibration_slope")
_CUT_METRICS = ("flagged", "fpr", "fnr", "ppv")
#: A CI is given only when at least this share of the replicates define the metric.
_MIN_DEFINED = 0.9
_EPS = 1e-6
_COLUMNS = ["group_variable", "group", "metric", "cut", "estimate", "ci_low", "ci_high", "n", "suppressed"]


def metric_names() -> tuple[str, ...]:
    """Every metric of the audit, in order (``fpr_high``: FPR at the ``high`` cut)."""
    return _BASE_METRICS + tuple(f"{m}_{c}" for c in CUT_NAMES for m in _CUT_METRICS)


@dataclass(frozen=True, eq=False)
class FairnessAudit:
    """Result of :func:`fairness_audit`.

    Attributes
    ----------
    table : DataFrame
        Long form, one row per group and metric: ``group_variable`` (``all`` for the whole
        sample, then :data:`AUDIT_VARIABLES`), ``group``, ``metric``, ``cut`` (the cut's
        probability for the metrics at a cut, else NaN), ``estimate``, ``ci_low``,
        ``ci_high`` (percentile bootstrap interval), ``n`` (persons in the group; missing
        when suppressed) and ``suppressed``.
    cuts : tuple of float
    n_boot, seed : int
    level : float
    bootstrap_unit : str
        ``caseworker``: whole caseworkers are resampled.
    """

    table: pd.DataFrame
    cuts: tuple[float, float]
    n_boot: int
    seed: int
    level: float
    bootstrap_unit: str = BOOTSTRAP_UNIT

    def tidy(self) -> pd.DataFrame:
        """The audit in long form (a copy of :attr:`table`)."""
        return self.table.copy()

    def summary(self, metrics: Sequence[str] = ("auc", "calibration_intercept", "calibration_slope",
                                                 "fpr_high", "fnr_high", "ppv_high")) -> pd.DataFrame:
        """One row per group: ``group_variable``, ``group``, ``n``, then each metric as
        ``estimate [ci_low, ci_high]`` text (empty when suppressed); for consoles and reports."""
        t = self.table[self.table["metric"].isin(metrics)]

        def text(r) -> str:
            if pd.isna(r.estimate):
                return ""
            ci = "" if pd.isna(r.ci_low) else f" [{r.ci_low:.2f}, {r.ci_high:.2f}]"
            return f"{r.estimate:.2f}{ci}"

        t = t.assign(text=[text(r) for r in t.itertuples()])
        wide = t.pivot_table(index=["group_variable", "group"], columns="metric", values="text", aggfunc="first",
                             sort=False)
        sizes = t.drop_duplicates(["group_variable", "group"]).set_index(["group_variable", "group"])["n"]
        wide.insert(0, "n", sizes.reindex(wide.index))
        return wide.reindex(columns=["n", *metrics]).reset_index()

    def record(self) -> dict[str, Any]:
        """The audit as the model file's ``fairness`` block (JSON-ready)."""
        rows = []
        for r in self.table.to_dict("records"):
            rows.append({k: (None if (not isinstance(v, (str, bool)) and pd.isna(v)) else v) for k, v in r.items()})
        return {
            "cuts": list(self.cuts),
            "flag_rule": "flagged at a cut when p >= cut; a flag reads 'predicted to get a job'",
            "definitions": {
                "fpr": "P(flagged | no job)", "fnr": "P(not flagged | job)", "ppv": "P(job | flagged)",
                "flagged": "share flagged",
                "calibration_intercept": "intercept of logit P(y) = a + logit p (0 ideal; > 0: predicted too low)",
                "calibration_slope": "slope of logit P(y) = a + b logit p (1 ideal)",
            },
            "bootstrap": {"unit": self.bootstrap_unit, "replicates": self.n_boot, "seed": self.seed,
                          "level": self.level, "interval": "percentile"},
            "predictions": "out of fold (cross-validation grouped by caseworker)",
            "rows": rows,
        }


def audit_groups(feats: pd.DataFrame, measurements: pd.DataFrame, coding: Mapping[str, Any]) -> pd.DataFrame:
    """The audit's groups per person, from :func:`fip.predict.build_features` output.

    Parameters
    ----------
    feats : DataFrame
        Indexed by ``person_id``; ``gender``, ``origin_group``, ``age_18_29``, ``age_41_65``.
    measurements : DataFrame
        ``Pairing.measurements``; the citizen's answer language at round 1
        (``language_citizen``) gives ``language``.
    coding : mapping
        The control coding (age cuts, known gender codes).

    Returns
    -------
    DataFrame
        Indexed like ``feats``: ``gender``, ``origin_group``, ``language``, ``age_group``
        (``under 30``, ``30-40``, ``over 40`` with the study's cuts); missing where unknown.
    """
    known = set(coding["gender"]["known"])
    gender = feats["gender"].astype("string").where(feats["gender"].astype("string").isin(known))
    origin = feats["origin_group"].astype("string")
    a = coding["age"]
    young, old = feats["age_18_29"], feats["age_41_65"]
    age = pd.Series(pd.NA, index=feats.index, dtype="string")
    age[(young == 0) & (old == 0)] = f"{a['young_below']}-{a['old_above']}"
    age[young == 1] = f"under {a['young_below']}"
    age[old == 1] = f"over {a['old_above']}"
    language = pd.Series(pd.NA, index=feats.index, dtype="string")
    if "language_citizen" in measurements.columns:
        r1 = measurements[measurements["round"] == 1].assign(person_id=lambda m: m["person_id"].astype("str"))
        lang = r1.drop_duplicates("person_id").set_index("person_id")["language_citizen"].astype("string")
        language = lang.reindex(feats.index.astype("str")).set_axis(feats.index)
    return pd.DataFrame({"gender": gender, "origin_group": origin, "language": language, "age_group": age})


# ----------------------------------------------------------------------------- weighted metrics
def _auc(W: np.ndarray, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Weighted AUC (ties count 1/2) of each row of weights ``W`` (B x n)."""
    order = np.argsort(p, kind="stable")
    ps, ys, Ws = p[order], y[order], W[:, order]
    new = np.r_[True, ps[1:] != ps[:-1]]
    gid = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    w0 = Ws * (1 - ys)
    c0 = np.cumsum(w0, axis=1)
    end = np.r_[starts[1:], len(ps)] - 1
    before = np.where(starts > 0, c0[:, np.maximum(starts - 1, 0)], 0.0)
    tied = c0[:, end] - before
    score = (Ws * ys * (before[:, gid] + 0.5 * tied[:, gid])).sum(axis=1)
    W1, W0 = (Ws * ys).sum(axis=1), w0.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((W1 > 0) & (W0 > 0), score / (W1 * W0), np.nan)


def _logistic(W: np.ndarray, y: np.ndarray, lp: np.ndarray, slope: bool, iterations: int = 50) -> np.ndarray:
    """Weighted maximum likelihood of logit P(y) = a + b lp (``slope``) or a + lp (offset),
    by Newton's method for every row of ``W`` at once; returns b (slope) or a; NaN where
    the fit is undefined or does not converge (e.g. separation)."""
    B = W.shape[0]
    a, b = np.zeros(B), np.ones(B)
    converged = np.zeros(B, dtype=bool)
    for _ in range(iterations):
        eta = a[:, None] + b[:, None] * lp
        mu = expit(eta)
        r, v = W * (y - mu), W * mu * (1 - mu)
        if slope:
            g0, g1 = r.sum(1), (r * lp).sum(1)
            h00, h01, h11 = v.sum(1), (v * lp).sum(1), (v * lp * lp).sum(1)
            det = h00 * h11 - h01 * h01
            with np.errstate(invalid="ignore", divide="ignore"):
                da, db = (h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                da, db = r.sum(1) / v.sum(1), np.zeros(B)
        a, b = a + np.where(converged, 0, da), b + np.where(converged, 0, db)
        converged |= (np.abs(da) < 1e-10) & (np.abs(db) < 1e-10)
        if converged.all():
            break
    out = b if slope else a
    ok = converged & np.isfinite(out) & (np.abs(out) < 1e3)
    return np.where(ok, out, np.nan)


def _cell_metrics(W: np.ndarray, y: np.ndarray, p: np.ndarray, cuts: Sequence[float]) -> dict[str, np.ndarray]:
    """Every metric for each row of weights ``W`` (B x n) of one group."""
    Wn = W.sum(1)
    W1 = W @ y
    W0 = Wn - W1
    lp = np.log(np.clip(p, _EPS, 1 - _EPS) / (1 - np.clip(p, _EPS, 1 - _EPS)))
    both = (W1 > 0) & (W0 > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {"observed": W1 / Wn, "mean_predicted": (W @ p) / Wn, "auc": _auc(W, y, p)}
        out["calibration_intercept"] = np.where(both, _logistic(W, y, lp, slope=False), np.nan)
        out["calibration_slope"] = (np.where(both, _logistic(W, y, lp, slope=True), np.nan)
                                    if np.ptp(lp) > 0 else np.full(len(Wn), np.nan))
        for name, c in zip(CUT_NAMES, cuts):
            flag = (p >= c).astype(np.float64)
            F = W @ flag
            TP = W @ (flag * y)
            out[f"flagged_{name}"] = F / Wn
            out[f"fpr_{name}"] = (F - TP) / W0
            out[f"fnr_{name}"] = (W1 - TP) / W1
            out[f"ppv_{name}"] = TP / F
    return {k: np.where(np.isfinite(v), v, np.nan) for k, v in out.items()}


def _cells(groups: pd.DataFrame, variables: Sequence[str]) -> list[tuple[str, str, np.ndarray]]:
    n = len(groups)
    cells = [("all", "all", np.ones(n, dtype=bool))]
    for var in variables:
        values = groups[var].astype("string")
        for level in sorted(values.dropna().unique()):
            cells.append((var, str(level), (values == level).fillna(False).to_numpy(dtype=bool)))
    return cells


def _protect(cells, y, p, cuts, policy: DisclosurePolicy) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Which cells are hidden (all numbers) and, per cut, whose cut metrics are hidden."""
    rows = pd.DataFrame({"n": [int(m.sum()) for _, _, m in cells],
                         "n_events": [int(y[m].sum()) for _, _, m in cells]})
    tables = {"rows": TableSpec(rows, (), n="n", k="n_events")}
    for name, c in zip(CUT_NAMES, cuts):
        flag = p >= c
        nf = [int((m & flag).sum()) for _, _, m in cells]
        tp = [int(y[m & flag].sum()) for _, _, m in cells]
        tables[f"flag_{name}"] = TableSpec(pd.DataFrame({"n": nf, "n_events": tp}), (), n="n", k="n_events")
        rest = pd.DataFrame({"n": rows["n"] - np.array(nf), "n_events": rows["n_events"] - np.array(tp)})
        tables[f"rest_{name}"] = TableSpec(rest, (), n="n", k="n_events")
    by_var: dict[str, list[int]] = {}
    for i, (var, _, _) in enumerate(cells[1:], start=1):
        by_var.setdefault(var, []).append(i)
    structure: list[tuple[int, tuple[int, ...]]] = [(0, tuple(ix)) for ix in by_var.values()]
    for g in by_var.get("gender", []):      # a gender's row is the sum of its gender x origin cells
        gl = cells[g][1]
        structure.append((g, tuple(i for i in by_var.get("gender_x_origin", []) if cells[i][1].split(" x ")[0] == gl)))
    for o in by_var.get("origin_group", []):
        ol = cells[o][1]
        structure.append((o, tuple(i for i in by_var.get("gender_x_origin", []) if cells[i][1].split(" x ")[1] == ol)))
    relations = []
    counts = ("n", "k", "n-k")
    for table in tables:
        for total, parts in structure:
            if parts:
                relations += [Relation((table, total), tuple((table, i) for i in parts), c) for c in counts]
    for i in range(len(cells)):
        for name in CUT_NAMES:
            relations += [Relation(("rows", i), (("flag_" + name, i), ("rest_" + name, i)), c) for c in counts]
    out = protect_tables(tables, policy, relations)
    base = out["rows"]["suppressed"].to_numpy(dtype=bool)
    per_cut = {name: base | out[f"flag_{name}"]["suppressed"].to_numpy(dtype=bool)
               | out[f"rest_{name}"]["suppressed"].to_numpy(dtype=bool) for name in CUT_NAMES}
    return base, per_cut


def fairness_audit(
    predictions: pd.DataFrame,
    groups: pd.DataFrame,
    cuts: Sequence[float],
    *,
    p: str = "p_logistic",
    y: str = "y",
    cluster: str = "caseworker_id",
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    level: float = 0.95,
    policy: DisclosurePolicy | str | None = DEFAULT,
) -> FairnessAudit:
    """Audit out-of-fold predictions overall and by group, at the band cuts, with bootstrap CIs.

    Parameters
    ----------
    predictions : DataFrame
        ``person_id``, ``cluster``, ``y`` (0/1) and ``p`` columns, one row per person (e.g.
        ``ValidationReport.predictions``).
    groups : DataFrame
        Indexed by ``person_id``: one column per group variable (:func:`audit_groups`);
        missing values belong to no group. With ``gender`` and ``origin_group``, a
        ``gender_x_origin`` variable (``female x syria``) is added.
    cuts : pair of float
        The model's band cuts (``bands.cuts``).
    p, y, cluster : str
        Column names in ``predictions``.
    n_boot : int
        Bootstrap replicates (0: no CIs).
    seed : int
        Seed of the bootstrap.
    level : float
        Level of the percentile intervals.
    policy : DisclosurePolicy, "default" or None
        Small-cell rule (see the module docstring); None shows everything.

    Returns
    -------
    FairnessAudit
        ``.tidy()``: ``group_variable``, ``group``, ``metric``, ``cut``, ``estimate``,
        ``ci_low``, ``ci_high``, ``n``, ``suppressed``.

    Raises
    ------
    ValueError
        Bad options (``n_boot`` negative, ``level`` outside (0, 1), cuts not increasing
        in (0, 1)), or ``groups`` lacking a person of ``predictions``.

    Notes
    -----
    The bootstrap resamples whole caseworkers (``cluster``) with replacement; with one
    person per caseworker it is the ordinary bootstrap of persons. Metrics are computed on
    bootstrap weights (the number of times a person was drawn) rather than on copied rows:
    a weighted AUC, weighted Newton fits for the calibration intercept and slope, weighted
    confusion counts. A CI is NaN when fewer than 90 % of the replicates define the metric
    (e.g. a group without a job in many replicates).
    """
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(f"n_boot must be a whole number >= 0; got {n_boot!r}")
    if not (isinstance(level, float) and 0 < level < 1):
        raise ValueError(f"level must be a number in (0, 1); got {level!r}")
    cuts = tuple(float(c) for c in cuts)
    if len(cuts) != 2 or not 0 < cuts[0] < cuts[1] < 1:
        raise ValueError(f"cuts must be two increasing probabilities in (0, 1); got {cuts!r}")
    policy = resolve_policy(policy)
    ids = predictions["person_id"].astype("str")
    g = groups.copy()
    g.index = g.index.astype("str")
    if missing := [i for i in ids if i not in g.index][:1]:
        raise ValueError(f"groups lack person {missing[0]!r} of the predictions")
    g = g.loc[ids.to_numpy()].reset_index(drop=True)
    if "gender" in g.columns and "origin_group" in g.columns:
        g["gender_x_origin"] = g["gender"].astype("string") + " x " + g["origin_group"].astype("string")
    variables = [v for v in AUDIT_VARIABLES if v in g.columns] + [c for c in g.columns if c not in AUDIT_VARIABLES]
    yv = predictions[y].to_numpy(dtype=np.float64)
    pv = predictions[p].to_numpy(dtype=np.float64)
    cells = _cells(g, variables)

    codes = pd.factorize(predictions[cluster].astype("str"))[0]
    n_cl = int(codes.max()) + 1
    rng = np.random.default_rng(seed)
    if n_boot:
        draws = rng.integers(0, n_cl, size=(n_boot, n_cl))
        counts = np.stack([np.bincount(row, minlength=n_cl) for row in draws]).astype(np.float64)
        W = counts[:, codes]
    alpha = (1 - level) / 2
    if policy is None:
        hidden = np.zeros(len(cells), dtype=bool)
        hidden_cut = {name: hidden for name in CUT_NAMES}
    else:
        hidden, hidden_cut = _protect(cells, yv, pv, cuts, policy)
    cut_of = {f"{m}_{name}": (name, c) for name, c in zip(CUT_NAMES, cuts) for m in _CUT_METRICS}
    rows = []
    for i, (var, level_name, mask) in enumerate(cells):
        yc, pc = yv[mask], pv[mask]
        point = _cell_metrics(np.ones((1, int(mask.sum()))), yc, pc, cuts)
        boot = _cell_metrics(W[:, mask], yc, pc, cuts) if n_boot else {}
        for metric in metric_names():
            name, c = cut_of.get(metric, (None, np.nan))
            gone = bool(hidden[i] or (name is not None and hidden_cut[name][i]))
            est, lo, hi = float(point[metric][0]), np.nan, np.nan
            if n_boot:
                values = boot[metric]
                if np.isfinite(values).mean() >= _MIN_DEFINED:
                    lo, hi = (float(x) for x in np.nanquantile(values, [alpha, 1 - alpha]))
            if gone:
                est, lo, hi = np.nan, np.nan, np.nan
            rows.append({"group_variable": var, "group": level_name, "metric": metric, "cut": c,
                         "estimate": est, "ci_low": lo, "ci_high": hi,
                         "n": pd.NA if hidden[i] else int(mask.sum()), "suppressed": gone})
    table = pd.DataFrame(rows, columns=_COLUMNS).astype(
        {"estimate": "float64", "ci_low": "float64", "ci_high": "float64", "cut": "float64", "n": "Int64",
         "suppressed": "bool"})
    return FairnessAudit(table=table, cuts=cuts, n_boot=int(n_boot), seed=seed, level=level)
