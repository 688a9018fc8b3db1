"""``fip cfa --estimator wlsmv``: the output of a CFA of ordinal items by WLSMV (as lavaan).

Called by :func:`fip.cli_cfa.cfa`; no command of its own.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import typer

from fip.errors import FipError

__all__ = ["WLSMV_METHOD", "check_ordinal_scale", "emit_wlsmv", "emit_wlsmv_invariance"]

WLSMV_METHOD = ("WLSMV (DWLS on polychoric correlations with W = diag(Γ)⁻¹, robust SEs, mean-and-variance "
                "adjusted χ², as lavaan cfa(ordered = TRUE, estimator = \"WLSMV\")), delta parameterisation")


def check_ordinal_scale(instrument) -> None:
    """Refuse an instrument whose items are on a continuous scale (one line, exit 2)."""
    scale = getattr(instrument, "scale", None)
    if scale is not None and getattr(scale, "continuous", False):
        raise FipError(f"--estimator wlsmv: instrument {instrument.id!r} has a continuous scale; WLSMV treats items "
                       "as ordinal categories (use --estimator ml for continuous items)")


def _title(std_lv: bool) -> str:
    ident = "factor variances 1 (std.lv)" if std_lv else "first loading 1 (marker)"
    return f"{WLSMV_METHOD}, {ident}, listwise"


def emit_wlsmv(spec, frame, *, std_lv: bool, round_: int, fmt: str, out: Path | None, policy, console) -> None:
    """Fit by WLSMV and print or write the parameters, the thresholds per item and the fit (scaled and naive)."""
    from fip._atomic import atomic_write_text
    from fip._output import emit
    from fip.cfa.ordinal import fit_wlsmv, wlsmv_fit_indices

    res = fit_wlsmv(spec, frame, std_lv=std_lv)
    policy.require(res.n, "the confirmatory factor analysis")
    fi = wlsmv_fit_indices(res)
    method = _title(std_lv)
    params = res.tidy()
    thresholds, hidden = _screened_thresholds(res, frame, spec, policy)
    params = _drop_hidden_thresholds(params, thresholds)
    conv = "" if res.converged else " (NOT CONVERGED)"
    if fmt == "json":
        d = fi.as_dict()
        load = params[params["op"] == "=~"]
        obj = {
            "method": method, "estimator": "wlsmv", "n": res.n, "n_dropped": res.n_dropped,
            "converged": res.converged,
            "fit": {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in d.items()},
            "loadings": [
                {"factor": r.lhs, "item": r.rhs, "estimate": r.estimate,
                 "se": None if np.isnan(r.se) else r.se, "std": r.std_all}
                for r in load.itertuples()
            ],
            "thresholds": json.loads(thresholds.to_json(orient="records")),
            "parameters": json.loads(params.to_json(orient="records")),
        }
        if policy.statement:
            obj["notice"] = policy.statement
        text = json.dumps(obj, indent=2, allow_nan=False, default=float) + "\n"
        if out is None:
            typer.echo(text, nl=False)
        else:
            atomic_write_text(out, text)
        return
    fit_line = (f"scaled chi2({fi.df}) = {fi.chisq:.3f}, p = {fi.pvalue:.4g} (naive chi2 = {fi.chisq_naive:.3f}), "
                f"CFI = {fi.cfi:.3f}, TLI = {fi.tli:.3f}, RMSEA = {fi.rmsea:.3f} [{fi.rmsea_ci_low:.3f}, "
                f"{fi.rmsea_ci_high:.3f}] (scaled), SRMR = {fi.srmr:.3f}")
    sizes = [t.size for t in res.moments.thresholds]
    counts = (f"{sizes[0]} per item" if len(set(sizes)) == 1
              else ", ".join(f"{it}: {k}" for it, k in zip(res.moments.items, sizes)))
    params = params[params["op"] != "|"]  # the thresholds follow in their own table, with the answers they cut
    emit(params, fmt, out, console, notice=policy.statement,
         title=f"CFA of {len(spec.items)} ordinal items on {len(spec.factors)} factors, {method}, round {round_}, "
               f"n = {res.n}{conv}; {fit_line}")
    th_out = None if out is None else out.with_suffix(".thresholds" + out.suffix)
    emit(thresholds, fmt, th_out, console,
         title=f"Thresholds of the ordinal items ({counts}; between: the two answers each cuts), WLSMV, "
               f"n = {res.n}{hidden}")


def _screened_thresholds(res, frame, spec, policy) -> tuple:
    """The thresholds with those blanked that, with n, would reveal an answer given by 1-4 persons.

    A threshold is Φ⁻¹ of a cumulative share, so it and n give the persons at or below it, and
    two give the persons between them (fip.disclosure.shown_cuts). Returns the table (value and
    se blank where hidden) and the words for the title.
    """
    from fip.disclosure import shown_cuts

    table = res.thresholds()
    answers = frame[list(spec.items)].apply(pd.to_numeric, errors="coerce").dropna()
    keep = []
    for item, levels in zip(res.moments.items, res.moments.levels):
        counts = answers[item].value_counts().reindex(list(levels), fill_value=0).to_numpy()
        keep += shown_cuts(counts, policy.threshold)
    keep = np.asarray(keep, dtype=bool)
    table.loc[~keep, ["value", "se"]] = np.nan
    n_hidden = int((~keep).sum())
    words = (f"; {n_hidden} threshold(s) blank: with n they would reveal an answer given by fewer than "
             f"{policy.threshold} persons" if n_hidden else "")
    return table, words


def _drop_hidden_thresholds(params, thresholds):
    """The parameter table without the values of blanked thresholds (op '|', rhs t1, t2, ...)."""
    blank = thresholds[thresholds["value"].isna()]
    hide = params["op"].eq("|") & pd.MultiIndex.from_frame(params[["lhs", "rhs"]]).isin(
        list(zip(blank["item"], blank["threshold"])))
    params = params.copy()
    params.loc[hide, ["estimate", "se", "z", "pvalue", "std_all", "std_se"]] = np.nan
    return params


def emit_wlsmv_invariance(spec, frame, *, by: str, rule: str, need: int, round_: int, fmt: str, out: Path | None,
                          policy, console) -> None:
    """Ordinal invariance by WLSMV across the groups of ``by``: configural → thresholds → thresholds and loadings."""
    from fip._output import emit
    from fip.cfa.invariance import RULE_WORDS, SIZES_WITHHELD
    from fip.cfa.ordinal_groups import ordinal_invariance

    res = ordinal_invariance(spec, frame, group=by, rule=rule, min_group_n=need)
    total = int(frame[list(spec.items)].notna().all(axis=1).sum())
    analysed = sum(res.n_groups_n)
    if 0 < total - analysed < policy.threshold:  # those left out would be recoverable by subtraction
        sizes = SIZES_WITHHELD
        n_text = ""
    else:
        sizes = ", ".join(f"{g} n = {n}" for g, n in zip(res.groups, res.n_groups_n))
        n_text = f", n = {analysed}"
    left = "; ".join(f"{g} left out ({why})" for g, why in res.excluded)
    stuck = [lv for lv, r, _ in res.levels if not r.converged]
    conv = f" (NOT CONVERGED: {', '.join(stuck)})" if stuck else ""
    emit(res.tidy(), fmt, out, console, notice=policy.statement,
         title=f"Ordinal measurement invariance by {by}{conv} ({len(res.groups)} groups: {sizes}"
               f"{'; ' + left if left else ''}), {WLSMV_METHOD}, first loading 1 (marker), listwise; levels: "
               "configural, thresholds (equal; scaling factors and factor means free in groups 2..), loadings "
               "(thresholds and loadings equal); scaled χ², CFI, TLI, RMSEA; Δχ² scaled-shifted as lavaan "
               f"lavTestLRT; round {round_}{n_text}; rule: {RULE_WORDS[rule]}")
