"""Benchmark: what each feature policy of the job-chance model costs and changes, per group.

For every seed s, ``simulate_cohort(seed=s)`` (the study's size: about 1,000 persons with a
round 1, 480 with rounds 1 and 2), and for each model kind and feature policy
(``items_and_controls``, ``without_gender_origin``, ``items_only``), ``train(..., seed=0,
compare=False, n_boot=0)`` with no small-cell rule (``DisclosurePolicy(1)``: synthetic persons; with
the rule, a cohort with few women flagged high would drop out of the women's means and bias
them). From the fairness audit of the out-of-fold predictions
(:func:`fip.predict.fairness.fairness_audit`, cuts = the model's own band cuts) it collects
the AUC and calibration slope overall, the AUC difference to ``items_and_controls`` on the
same cohort, and per gender and origin group the calibration-in-the-large, the share
flagged high and the FPR, FNR and PPV at the high-band cut. It prints the means over the
seeds (and the sd of the overall AUC and of its paired difference) as Markdown tables.

Usage: python benchmarks/bench_feature_policies.py [--seeds 10] [--kinds intake progression]
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd

from fip.disclosure import DisclosurePolicy
from fip.predict import train
from fip.predict.features import FEATURE_POLICIES
from fip.simulate import simulate_cohort
from fip.study import Study

GROUP_METRICS = ("calibration_intercept", "flagged_high", "fpr_high", "fnr_high", "ppv_high")


def run(seeds: int, kinds: list[str]) -> pd.DataFrame:
    rows = []
    for s in range(seeds):
        study = Study(simulate_cohort(seed=s))
        for kind in kinds:
            for policy in FEATURE_POLICIES:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = train(study, kind, seed=0, compare=False, n_boot=0, features=policy, created_at="bench",
                                   policy=DisclosurePolicy(1))
                t = result.validation.fairness.tidy()
                t = t[t["group_variable"].isin(["all", "gender", "origin_group"])]
                for r in t.itertuples():
                    rows.append({"seed": s, "kind": kind, "policy": policy, "group_variable": r.group_variable,
                                 "group": r.group, "metric": r.metric, "estimate": r.estimate})
        print(f"seed {s} done", flush=True)
    return pd.DataFrame(rows)


def _md(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        out.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(out)


def report(frame: pd.DataFrame) -> str:
    parts = []
    for kind, kf in frame.groupby("kind", sort=False):
        overall = kf[(kf["group_variable"] == "all")].pivot_table(index=["seed", "policy"], columns="metric",
                                                                   values="estimate")
        base = overall.xs("items_and_controls", level="policy")["auc"]
        rows = []
        for policy in FEATURE_POLICIES:
            o = overall.xs(policy, level="policy")
            diff = o["auc"] - base
            rows.append({"policy": policy, "AUC mean": o["auc"].mean(), "AUC sd": o["auc"].std(),
                         "AUC - default, mean": diff.mean(), "AUC - default, sd": diff.std(),
                         "cal. slope mean": o["calibration_slope"].mean()})
        parts.append(f"### {kind}: overall ({kf['seed'].nunique()} cohorts)\n\n" + _md(pd.DataFrame(rows)))
        g = kf[(kf["group_variable"] != "all") & kf["metric"].isin(GROUP_METRICS)]
        table = g.groupby(["group", "policy", "metric"], sort=False)["estimate"].agg(["mean", "count"]).reset_index()
        wide = table.pivot_table(index=["group", "policy"], columns="metric", values="mean", sort=False)
        wide = wide.reindex(columns=list(GROUP_METRICS)).reset_index()
        shown = table.groupby(["group", "policy"], sort=False)["count"].min().reset_index(drop=True)
        wide["cohorts"] = shown.to_numpy()
        wide.columns = ["group", "policy", "CITL", "flagged high", "FPR high", "FNR high", "PPV high", "cohorts"]
        parts.append(f"### {kind}: by group (means over cohorts; CITL = calibration-in-the-large, "
                     "> 0: predicted too low)\n\n" + _md(wide))
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--kinds", nargs="+", default=["intake", "progression"])
    args = parser.parse_args()
    start = time.perf_counter()
    frame = run(args.seeds, args.kinds)
    print(report(frame))
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
