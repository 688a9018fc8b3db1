"""The fairness audit (fip.predict.fairness) against independent recomputations.

Reference values: scikit-learn (roc_auc_score, confusion_matrix, with sample weights for the
bootstrap weights), statsmodels GLM (calibration slope and intercept), and the normal
(Wald) interval of a proportion for the bootstrap in the one-person-per-caseworker case.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.metrics import confusion_matrix, roc_auc_score

from fip.disclosure import DisclosurePolicy
from fip.predict.fairness import _cell_metrics, fairness_audit, metric_names


def _frame(n=600, n_cw=60, seed=0):
    rng = np.random.default_rng(seed)
    p = np.round(rng.uniform(0.03, 0.85, n), 3)          # rounded: ties in p occur
    y = (rng.uniform(size=n) < np.clip(p * 1.1, 0, 1)).astype(float)
    pred = pd.DataFrame({"person_id": [f"p{i:04d}" for i in range(n)],
                         "caseworker_id": [f"cw{i % n_cw:03d}" for i in range(n)], "y": y, "p_logistic": p})
    groups = pd.DataFrame({
        "gender": rng.choice(["female", "male"], n),
        "origin_group": rng.choice(["syria", "eritrea", "other"], n, p=[0.6, 0.2, 0.2]),
        "language": rng.choice(["ar", "da", "ti"], n),
        "age_group": pd.array(rng.choice(["under 30", "30-40", "over 40", None], n), dtype="string"),
    }, index=pred["person_id"])
    return pred, groups


def _glm(y, p, offset, weights=None):
    lp = np.log(p / (1 - p))
    if offset:
        fit = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=lp, freq_weights=weights).fit()
        return fit.params[0]
    fit = sm.GLM(y, sm.add_constant(lp), family=sm.families.Binomial(), freq_weights=weights).fit()
    return fit.params[1]


def test_point_estimates_match_sklearn_and_statsmodels_in_every_group():
    pred, groups = _frame()
    cuts = (0.3, 0.55)
    t = fairness_audit(pred, groups, cuts, n_boot=0, policy=None).tidy()
    g = groups.assign(gender_x_origin=groups["gender"] + " x " + groups["origin_group"])
    checked = 0
    for (var, level), part in t.groupby(["group_variable", "group"]):
        mask = np.ones(len(pred), bool) if var == "all" else (g[var] == level).fillna(False).to_numpy()
        y, p = pred["y"].to_numpy()[mask], pred["p_logistic"].to_numpy()[mask]
        est = part.set_index("metric")["estimate"]
        assert part["n"].iloc[0] == mask.sum()
        assert_allclose(est["observed"], y.mean(), rtol=1e-12)
        assert_allclose(est["auc"], roc_auc_score(y, p), rtol=1e-12)
        assert_allclose(est["calibration_slope"], _glm(y, p, offset=False), rtol=1e-6)
        assert_allclose(est["calibration_intercept"], _glm(y, p, offset=True), rtol=1e-6, atol=1e-9)
        for name, c in zip(("middle_or_high", "high"), cuts):
            tn, fp, fn, tp = confusion_matrix(y, p >= c, labels=[0, 1]).ravel()
            assert_allclose(est[f"fpr_{name}"], fp / (fp + tn), rtol=1e-12)
            assert_allclose(est[f"fnr_{name}"], fn / (fn + tp), rtol=1e-12)
            assert_allclose(est[f"ppv_{name}"], tp / (tp + fp), rtol=1e-12)
            assert_allclose(est[f"flagged_{name}"], (tp + fp) / len(y), rtol=1e-12)
        checked += 1
    assert checked == 1 + 2 + 3 + 6 + 3 + 3  # all, gender, origin, gender x origin, language, age (NA in none)
    assert list(t["metric"].unique()) == list(metric_names())


def test_weighted_metrics_used_by_the_bootstrap_match_weighted_references():
    pred, _ = _frame(n=300)
    y, p = pred["y"].to_numpy(), pred["p_logistic"].to_numpy()
    rng = np.random.default_rng(5)
    W = rng.poisson(1.0, size=(3, len(y))).astype(float)
    m = _cell_metrics(W, y, p, (0.3, 0.55))
    for b in range(3):
        w = W[b]
        assert_allclose(m["auc"][b], roc_auc_score(y, p, sample_weight=w), rtol=1e-10)
        assert_allclose(m["calibration_slope"][b], _glm(y, p, False, w), rtol=1e-6)
        assert_allclose(m["calibration_intercept"][b], _glm(y, p, True, w), rtol=1e-6, atol=1e-9)
        tn, fp, fn, tp = confusion_matrix(y, p >= 0.55, labels=[0, 1], sample_weight=w).ravel()
        assert_allclose(m["fnr_high"][b], fn / (fn + tp), rtol=1e-12)
        assert_allclose(m["ppv_high"][b], tp / (tp + fp), rtol=1e-12)


def test_bootstrap_interval_of_a_share_matches_the_normal_interval_with_one_person_per_caseworker():
    n = 800
    rng = np.random.default_rng(2)
    y = (rng.uniform(size=n) < 0.3).astype(float)
    pred = pd.DataFrame({"person_id": [f"p{i}" for i in range(n)], "caseworker_id": [f"c{i}" for i in range(n)],
                         "y": y, "p_logistic": rng.uniform(0.1, 0.6, n)})
    groups = pd.DataFrame({"gender": ["female"] * n}, index=pred["person_id"])
    t = fairness_audit(pred, groups, (0.2, 0.4), n_boot=4000, seed=3, policy=None).tidy()
    row = t[(t["group"] == "all") & (t["metric"] == "observed")].iloc[0]
    share = y.mean()
    half = 1.959964 * np.sqrt(share * (1 - share) / n)
    # Monte Carlo error of a 2.5 % quantile with B = 4000 is about 0.002; the percentile and
    # Wald intervals of a share of 0.3 at n = 800 differ by less than 0.002 in theory
    assert_allclose([row.ci_low, row.ci_high], [share - half, share + half], atol=0.006)


def test_the_bootstrap_resamples_caseworkers_so_correlated_persons_widen_the_interval():
    n, rng = 600, np.random.default_rng(4)
    cw = np.repeat(np.arange(30), 20)
    y = (rng.uniform(size=n) < rng.uniform(0.05, 0.6, 30)[cw]).astype(float)   # strong caseworker effects
    base = pd.DataFrame({"person_id": [f"p{i}" for i in range(n)], "y": y, "p_logistic": np.full(n, 0.3)})
    groups = pd.DataFrame({"gender": ["male"] * n}, index=base["person_id"])

    def width(clusters):
        t = fairness_audit(base.assign(caseworker_id=clusters), groups, (0.2, 0.4), n_boot=2000, seed=1,
                           policy=None).tidy()
        r = t[(t["group"] == "all") & (t["metric"] == "observed")].iloc[0]
        return r.ci_high - r.ci_low

    # closed form: the cluster-robust standard error of a mean, sqrt(sum_c (sum_i in c (y_i - ybar))^2) / n,
    # times sqrt((G - 1) / G) (the bootstrap's variance has no small-sample correction)
    resid = pd.Series(y - y.mean()).groupby(cw).sum()
    se_cluster = np.sqrt((resid ** 2).sum()) / n * np.sqrt(29 / 30)
    se_iid = np.sqrt(y.mean() * (1 - y.mean()) / n)
    assert se_cluster > 1.5 * se_iid
    # Monte Carlo error of the width at B = 2000 is a few per cent; 30 clusters make the
    # bootstrap distribution a little skewed: 10 % tolerance
    assert_allclose(width(cw.astype(str)), 2 * 1.959964 * se_cluster, rtol=0.10)
    assert_allclose(width(np.arange(n).astype(str)), 2 * 1.959964 * se_iid, rtol=0.10)


def test_seeded_and_intervals_ordered():
    pred, groups = _frame()
    a = fairness_audit(pred, groups, (0.3, 0.55), n_boot=100, seed=7).tidy()
    b = fairness_audit(pred, groups, (0.3, 0.55), n_boot=100, seed=7).tidy()
    c = fairness_audit(pred, groups, (0.3, 0.55), n_boot=100, seed=8).tidy()
    pd.testing.assert_frame_equal(a, b)
    assert not a["ci_low"].equals(c["ci_low"])
    shown = a.dropna(subset=["ci_low"])
    assert (shown["ci_low"] <= shown["ci_high"]).all()
    assert len(shown) > 100


def test_small_groups_are_suppressed_directly_and_by_subtraction():
    pred, groups = _frame()
    groups = groups.copy()
    groups["language"] = "ar"
    groups.iloc[:3, groups.columns.get_loc("language")] = "so"          # 3 persons answered in Somali
    t = fairness_audit(pred, groups, (0.3, 0.55), n_boot=20, policy=DisclosurePolicy(5)).tidy()
    lang = t[t["group_variable"] == "language"]
    # "so" rests on 3 persons; "ar" = all - so would reveal them: both hidden, with their n
    assert lang["suppressed"].all() and lang["estimate"].isna().all() and lang["n"].isna().all()
    assert not t[t["group_variable"] == "all"]["suppressed"].any()


def test_a_small_confusion_cell_hides_that_cut_only():
    n = 200
    p = np.r_[np.full(197, 0.2), np.full(3, 0.9)]            # only 3 persons at or above the high cut
    y = np.r_[np.tile([0.0, 1.0], 99)[:197], [1.0, 1.0, 0.0]]
    pred = pd.DataFrame({"person_id": [f"p{i}" for i in range(n)], "caseworker_id": [f"c{i % 20}" for i in range(n)],
                         "y": y, "p_logistic": p})
    groups = pd.DataFrame({"gender": ["female"] * 100 + ["male"] * 100}, index=pred["person_id"])
    t = fairness_audit(pred, groups, (0.1, 0.5), n_boot=0, policy=DisclosurePolicy(5)).tidy().set_index(
        ["group", "metric"])
    assert t.loc[("all", "fnr_high"), "suppressed"] and np.isnan(t.loc[("all", "ppv_high"), "estimate"])
    assert not t.loc[("all", "fnr_middle_or_high"), "suppressed"]
    assert not t.loc[("all", "auc"), "suppressed"]
    assert not t.loc[("male", "auc"), "suppressed"]


@pytest.mark.parametrize("kwargs, message", [
    ({"n_boot": -1}, "n_boot must be"), ({"level": 1.5}, "level must be"), ({"cuts": (0.5, 0.2)}, "cuts must be"),
])
def test_bad_options_raise_value_error(kwargs, message):
    pred, groups = _frame(n=100)
    options = {"cuts": (0.2, 0.5), **kwargs}
    with pytest.raises(ValueError, match=message):
        fairness_audit(pred, groups, options.pop("cuts"), **options)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_reader_recovers_no_small_group_from_the_shown_audit(seed):
    """The independent attack of tests/disclosure_harness.py on every shown cell of the audit:
    the groups (with their persons with a job), and at each cut the flagged and the not-flagged
    persons of each group (FPR, FNR and PPV with the group's n give their counts)."""
    from disclosure_harness import Cell, recoverable_small_groups

    rng = np.random.default_rng(seed)
    n = 240
    origin = rng.choice(["syria", "eritrea", "other"], n, p=[0.75, 0.2, 0.05])     # "other": about 12 persons
    gender = rng.choice(["female", "male"], n)
    p = np.clip(rng.beta(2, 5, n) + 0.15 * (gender == "male"), 0.01, 0.99)
    y = (rng.uniform(size=n) < p).astype(float)
    pred = pd.DataFrame({"person_id": [f"p{i}" for i in range(n)], "caseworker_id": [f"c{i % 30}" for i in range(n)],
                         "y": y, "p_logistic": p})
    groups = pd.DataFrame({"gender": gender, "origin_group": origin}, index=pred["person_id"])
    cuts = (0.2, 0.55)
    t = fairness_audit(pred, groups, cuts, n_boot=0, policy=DisclosurePolicy(5)).tidy()
    assert t["suppressed"].any() and not t["suppressed"].all()      # the case is not trivial
    member = {"all": np.ones(n, bool)}
    g = groups.assign(gender_x_origin=groups["gender"] + " x " + groups["origin_group"]).reset_index(drop=True)
    cells = []
    events = frozenset(np.flatnonzero(y == 1))
    for (var, level), part in t.groupby(["group_variable", "group"], sort=False):
        mask = member["all"] if var == "all" else (g[var] == level).to_numpy()
        shown = part.set_index("metric")
        if not shown.loc["auc", "suppressed"]:
            persons = frozenset(np.flatnonzero(mask))
            cells.append(Cell("job", persons, having=persons & events, label=f"{var}={level}"))
        for name, c in zip(("middle_or_high", "high"), cuts):
            if shown.loc[f"fpr_{name}", "suppressed"]:
                continue
            flag = p >= c
            for side, sel in (("flagged", flag), ("not flagged", ~flag)):
                persons = frozenset(np.flatnonzero(mask & sel))
                cells.append(Cell("job", persons, having=persons & events, label=f"{var}={level} {side} {name}"))
            persons = frozenset(np.flatnonzero(mask))
            cells.append(Cell(f"flag_{name}", persons, having=frozenset(np.flatnonzero(mask & flag)), label=level))
    assert recoverable_small_groups(cells) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(20, 160), n_cw=st.integers(1, 25), seed=st.integers(0, 10_000),
       lo=st.floats(0.05, 0.45), gap=st.floats(0.05, 0.5))
def test_invariants_on_any_data(n, n_cw, seed, lo, gap):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.01, 0.99, n)
    y = (rng.uniform(size=n) < p).astype(float)
    pred = pd.DataFrame({"person_id": [f"p{i}" for i in range(n)], "caseworker_id": [f"c{i % n_cw}" for i in range(n)],
                         "y": y, "p_logistic": p})
    groups = pd.DataFrame({"gender": rng.choice(["female", "male"], n), "origin_group": rng.choice(["a", "b"], n)},
                          index=pred["person_id"])
    t = fairness_audit(pred, groups, (lo, min(lo + gap, 0.95)), n_boot=20, seed=seed).tidy()
    shares = t[t["metric"].str.match(r"(observed|mean_predicted|auc|flagged|fpr|fnr|ppv)")]
    assert shares["estimate"].dropna().between(0, 1).all() and shares["ci_low"].dropna().between(0, 1).all()
    both = t.dropna(subset=["ci_low", "ci_high"])
    assert (both["ci_low"] <= both["ci_high"]).all()
    hidden = t[t["suppressed"]]
    assert hidden[["estimate", "ci_low", "ci_high"]].isna().all().all()
    shown_n = t.loc[t["n"].notna(), "n"].astype(int)
    assert ((shown_n == 0) | (shown_n >= 5)).all()
    for (_, group), part in t.groupby(["group_variable", "group"]):   # the flag shares fall with the cut
        est = part.set_index("metric")["estimate"]
        if np.isfinite(est[["flagged_middle_or_high", "flagged_high"]]).all():
            assert est["flagged_high"] <= est["flagged_middle_or_high"]
