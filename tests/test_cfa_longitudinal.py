"""Longitudinal measurement invariance (fip.cfa.longitudinal) against lavaan 0.6.14.

References: tests/reference/cfa/make_reference_longitudinal.R fits hand-written labelled lavaan
syntax on fip_citizen_wide.csv (simulate_cohort(seed=0), the 482 persons measured in rounds 1 and
2, 11 citizen items, the three citizen factor indices) and checks its χ² and df against semTools
measEq.syntax(longFacNames=, long.equal=, auto=1) (fip_long_measeq_check.csv, within 1e-6).

Tolerances (as tests/test_cfa.py, and why): estimates, SEs and std.all within 1e-4 relative
(lavaan stops at a relative objective tolerance, fip at ‖gradient‖ < 1e-10: the gap is lavaan's);
χ², p, CFI, TLI, RMSEA and its interval within 1e-6 relative; SRMR and score tests within 1e-4.
A second check needs no R: data whose sample moments equal a strict model's exactly are fitted
with χ² = 0 (to 1e-8) and the generating parameters back (to 1e-6) at every level.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from fip.cfa import fit_cfa, parse_model
from fip.cfa.estimate import build_parameters
from fip.cfa.fit import fit_indices
from fip.cfa.longitudinal import (longitudinal_invariance, longitudinal_parameters, longitudinal_spec,
                                  wide_rounds)
from fip.cfa.modindices import score_tests
from fip.errors import FipError

REF = Path(__file__).parent / "reference" / "cfa"
MODEL = ("citizen_selfconf =~ c03 + c05 + c06 + c07 + c08 + c11\ncitizen_danish =~ c09 + c10\n"
         "citizen_cooperation =~ c01 + c02 + c04")
LEVELS = ("configural", "metric", "scalar", "strict")


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    return pd.read_csv(REF / "fip_citizen_wide.csv")


@pytest.fixture(scope="module")
def sequence(wide):
    return longitudinal_invariance(parse_model(MODEL), wide)


def _fit_level(wide, level, *, std_lv=False, partial=()):
    long, params = longitudinal_parameters(parse_model(MODEL), level, std_lv=std_lv, partial=partial)
    return fit_cfa(long, wide, std_lv=std_lv, meanstructure=True, parameters=params)


def _compare(res, name: str) -> None:
    ref = pd.read_csv(REF / f"{name}_estimates.csv", keep_default_na=False, na_values=["NA"])
    ref = ref[ref["op"].isin(["=~", "~~", "~1"])].rename(columns={"est": "ref_est", "se": "ref_se",
                                                                   "std.all": "ref_std"})
    ours = res.tidy().assign(rhs=lambda t: t["rhs"].fillna(""))
    m = ref.merge(ours, on=["lhs", "op", "rhs"], how="outer", validate="one_to_one", indicator=True)
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", ["lhs", "op", "rhs", "_merge"]]
    assert_allclose(m["estimate"], m["ref_est"], rtol=1e-4, atol=1e-6)
    free = m["free"].astype(bool)
    assert ((m["ref_se"] > 0) == free).all()  # lavaan's fixed parameters have se 0
    assert_allclose(m.loc[free, "se"], m.loc[free, "ref_se"], rtol=1e-4)
    assert_allclose(m["std_all"], m["ref_std"], rtol=1e-4, atol=1e-6)


def _compare_fit(res, name: str) -> None:
    ref = pd.read_csv(REF / f"{name}_fit.csv").set_index("measure")["value"]
    fi = fit_indices(res)
    names = {"chisq": "chisq", "df": "df", "pvalue": "pvalue", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
             "rmsea_ci_low": "rmsea.ci.lower", "rmsea_ci_high": "rmsea.ci.upper", "rmsea_pvalue": "rmsea.pvalue",
             "baseline_chisq": "baseline.chisq", "baseline_df": "baseline.df", "npar": "npar"}
    for ours, theirs in names.items():
        # p-values near 1e-18: lavaan prints 0 (R's pchisq upper tail underflows in its computation)
        assert_allclose(getattr(fi, ours), ref[theirs], rtol=1e-6, atol=1e-12 if ours == "pvalue" else 0, err_msg=ours)
    assert_allclose(fi.srmr, ref["srmr"], rtol=1e-4)


@pytest.mark.parametrize("level", LEVELS)
def test_levels_match_lavaan(sequence, level):
    res = dict((n, r) for n, r, _ in sequence.levels)[level]
    assert res.converged and res.n == 482
    _compare(res, f"fip_long_{level}")
    _compare_fit(res, f"fip_long_{level}")


def test_sequence_table_matches_lavtestlrt(sequence):
    ref = pd.read_csv(REF / "fip_long_invariance.csv")
    ours = sequence.tidy()
    assert ours["level"].tolist() == ref["level"].tolist() == list(LEVELS)
    for col in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "delta_chisq", "delta_df", "p_delta"):
        assert_allclose(ours[col].to_numpy(float), ref[col].to_numpy(float), rtol=1e-6, atol=1e-12, equal_nan=True,
                        err_msg=col)
    # differences of nearly equal indices: absolute tolerance
    for col in ("delta_cfi", "delta_rmsea", "srmr"):
        assert_allclose(ours[col].to_numpy(float), ref[col].to_numpy(float), atol=1e-7, equal_nan=True, err_msg=col)
    assert ours["holds"].all()  # every ΔCFI > −0.010 (Cheung & Rensvold)


def test_semtools_measeq_agrees_with_the_labelled_syntax():
    """The R script's own cross-check, kept so that the reference is seen to be two constructions."""
    chk = pd.read_csv(REF / "fip_long_measeq_check.csv")
    assert_allclose(chk["chisq_measEq"], chk["chisq_labels"], rtol=1e-8)
    assert (chk["df_measEq"] == chk["df_labels"]).all()


def test_latent_means_of_round_2(sequence):
    ref = pd.read_csv(REF / "fip_long_scalar_estimates.csv", keep_default_na=False)
    lm = sequence.latent_means()
    scalar = lm[lm["level"] == "scalar"].set_index("factor")
    for r in ref[(ref["op"] == "~1") & ref["lhs"].str.endswith("_r2") & ref["lhs"].str.startswith("citizen_")].itertuples():
        f = r.lhs[:-3]
        assert_allclose(scalar.loc[f, "estimate"], r.est, rtol=1e-4)
        assert_allclose(scalar.loc[f, "se"], r.se, rtol=1e-4)
    assert set(lm["level"]) == {"scalar", "strict"}  # fixed at 0 in configural and metric
    assert (scalar["estimate"] > 0).all()  # the simulated cohort progresses on every factor


def test_metric_std_lv_matches_lavaan(wide):
    res = _fit_level(wide, "metric", std_lv=True)
    assert res.converged
    _compare(res, "fip_long_metric_stdlv")
    _compare_fit(res, "fip_long_metric_stdlv")
    t = res.tidy()
    var = t[(t["op"] == "~~") & (t["lhs"] == t["rhs"]) & t["lhs"].str.startswith("citizen_")]
    assert not var[var["lhs"].str.endswith("_r1")]["free"].any()
    assert var[var["lhs"].str.endswith("_r2")]["free"].all()


def test_score_tests_match_lavtestscore(sequence):
    ref = pd.read_csv(REF / "fip_long_scalar_score.csv")
    res = dict((n, r) for n, r, _ in sequence.levels)["scalar"]
    st = score_tests(res).tidy()
    st["right"] = [f"{r.lhs} {r.op} {r.rhs}" for r in st.itertuples()]
    m = ref.assign(right=ref["right"].str.strip()).merge(
        st.assign(right=st["right"].str.strip()), on="right", how="outer", validate="one_to_one", indicator=True)
    assert (m["_merge"] == "both").all() and len(m) == 19  # 8 loadings + 11 intercepts
    assert_allclose(m["chisq"], m["X2"], rtol=1e-4, atol=1e-6)
    assert_allclose(m["pvalue"], m["p.value"], rtol=1e-4, atol=1e-8)


@pytest.mark.slow
def test_partial_frees_the_largest_score_test(wide):
    first, second = (REF / "fip_long_partial_freed.txt").read_text().split("\n")[:2]
    # Δχ² rule: scalar fails (p = 0.0087); the intercept with the largest score test (lavaan: c04) is
    # freed; strict, with it kept free, fails and frees the residual variance with the largest test
    res = longitudinal_invariance(parse_model(MODEL), wide, rule="chisq", partial=True)
    assert res.freed == (("scalar", first), ("strict", second))
    tab = res.tidy().set_index("level")
    assert tab.loc["scalar", "freed"] == first and tab.loc["strict", "freed"] == second
    assert tab["holds"].all()
    levels = dict((n, r) for n, r, _ in res.levels)
    _compare(levels["scalar"], "fip_long_partial")
    _compare_fit(levels["scalar"], "fip_long_partial")
    _compare(levels["strict"], "fip_long_partial_strict")
    _compare_fit(levels["strict"], "fip_long_partial_strict")


def test_wide_file_is_the_simulated_cohort():
    spec = importlib.util.spec_from_file_location("mk", REF / "make_longitudinal_data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    pd.testing.assert_frame_equal(mod.wide_citizen(0).reset_index(drop=True), pd.read_csv(REF / "fip_citizen_wide.csv"),
                                  check_dtype=False)


# ---- closed form: data that fit a strict model exactly ---------------------------------------------

def _exact_data(n=400, seed=3):
    """Rows whose mean and covariance (divisor n) are exactly a strict longitudinal model's."""
    base = parse_model("F =~ a + b + c + d\nG =~ e + f + g")
    long = longitudinal_spec(base)
    lam = {"a": 1.0, "b": 0.8, "c": 1.2, "d": 0.6, "e": 1.0, "f": 0.9, "g": 0.7}
    nu = {"a": 3.0, "b": 2.5, "c": 4.0, "d": 3.5, "e": 2.0, "f": 2.2, "g": 5.0}
    th = {"a": 0.5, "b": 0.4, "c": 0.6, "d": 0.3, "e": 0.45, "f": 0.35, "g": 0.55}
    auto = {"a": 0.1, "b": 0.05, "c": 0.0, "d": 0.08, "e": 0.12, "f": -0.04, "g": 0.02}
    items = long.items
    fac = long.factor_names  # F_r1, G_r1, F_r2, G_r2
    psi = np.array([[1.0, 0.3, 0.5, 0.2], [0.3, 0.8, 0.1, 0.4], [0.5, 0.1, 1.3, 0.35], [0.2, 0.4, 0.35, 0.9]])
    alpha = np.array([0.0, 0.0, 0.4, -0.25])
    L = np.zeros((len(items), 4))
    for fi, (fname, its) in enumerate(long.factors):
        for it in its:
            L[items.index(it), fi] = lam[it.split("_r")[0]]
    T = np.diag([th[i.split("_r")[0]] for i in items])
    for i in lam:
        a, b = items.index(f"{i}_r1"), items.index(f"{i}_r2")
        T[a, b] = T[b, a] = auto[i]
    sigma = L @ psi @ L.T + T
    mu = np.array([nu[i.split("_r")[0]] for i in items]) + L @ alpha
    z = np.random.default_rng(seed).normal(size=(n, len(items)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(z.T @ z / n)).T  # sample covariance exactly I
    y = z @ np.linalg.cholesky(sigma).T + mu
    truth = {("lambda", k): v for k, v in lam.items()} | {("nu", k): v for k, v in nu.items()}
    truth |= {("theta", k): v for k, v in th.items()} | {("alpha", "F"): 0.4, ("alpha", "G"): -0.25}
    return base, pd.DataFrame(y, columns=items), truth


def test_closed_form_exact_fit_recovers_parameters():
    base, data, truth = _exact_data()
    res = longitudinal_invariance(base, data)
    p = len(base.items) * 2
    moments = p * (p + 1) // 2 + p
    # free parameters: configural 2·(5 loadings + 14 residual variances + 7 autocovariances...) by count
    counts = {"configural": 10 + 14 + 7 + 10 + 14, "metric": 5 + 14 + 7 + 10 + 14,
              "scalar": 5 + 14 + 7 + 10 + 7 + 2, "strict": 5 + 7 + 7 + 10 + 7 + 2}
    for (name, r, fi), level in zip(res.levels, LEVELS):
        assert r.converged
        assert r.npar == counts[level] and fi.df == moments - counts[level]
        assert fi.chisq == pytest.approx(0.0, abs=1e-8)
    strict = res.levels[-1][1].tidy()
    for (kind, name), value in truth.items():
        if kind == "lambda" and name in ("a", "e"):
            continue  # markers, fixed at 1
        if kind == "lambda":
            rows = strict[(strict["op"] == "=~") & strict["rhs"].str.startswith(f"{name}_r")]
        elif kind == "nu":
            rows = strict[(strict["op"] == "~1") & strict["lhs"].str.startswith(f"{name}_r")]
        elif kind == "theta":
            rows = strict[(strict["op"] == "~~") & (strict["lhs"] == strict["rhs"]) & strict["lhs"].str.startswith(f"{name}_r")]
        else:
            rows = strict[(strict["op"] == "~1") & (strict["lhs"] == f"{name}_r2")]
        assert len(rows) >= 1
        assert_allclose(rows["estimate"], value, atol=1e-6, err_msg=f"{kind} {name}")


def _exact_rounds(rounds, n=300, seed=5):
    """Exact-fit data of a strict one-factor model over ``rounds`` (autocovariances for every pair)."""
    base = parse_model("F =~ a + b + c")
    long = longitudinal_spec(base, rounds)
    lam, nu, th = {"a": 1.0, "b": 0.7, "c": 1.3}, {"a": 3.0, "b": 4.0, "c": 2.5}, {"a": 0.5, "b": 0.3, "c": 0.4}
    k = len(rounds)
    A = np.random.default_rng(seed).uniform(0.3, 0.8, size=(k, k))
    psi = A @ A.T + np.eye(k) * 0.3
    alpha = np.array([0.0] + [0.3 * j for j in range(1, k)])
    items = long.items
    L = np.zeros((len(items), k))
    for j, (_, its) in enumerate(long.factors):
        for it in its:
            L[items.index(it), j] = lam[it.split("_r")[0]]
    T = np.diag([th[i.split("_r")[0]] for i in items])
    for a, b in long.residual_covariances:
        T[items.index(a), items.index(b)] = T[items.index(b), items.index(a)] = 0.05
    sigma, mu = L @ psi @ L.T + T, np.array([nu[i.split("_r")[0]] for i in items]) + L @ alpha
    z = np.random.default_rng(seed + 1).normal(size=(n, len(items)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(z.T @ z / n)).T
    return base, pd.DataFrame(z @ np.linalg.cholesky(sigma).T + mu, columns=items), alpha


def test_three_rounds_exact_fit():
    base, data, alpha = _exact_rounds((1, 2, 3))
    res = longitudinal_invariance(base, data, rounds=(1, 2, 3))
    # 9 columns: 45 + 9 moments. configural: 6 loadings, 9 residual variances, 9 autocovariances (3 items x 3
    # pairs of rounds), 6 factor (co)variances, 9 intercepts = 39; metric 2 loadings (-4); scalar 3 intercepts
    # and 2 latent means (-4); strict 3 residual variances (-6)
    assert [fi.df for _, _, fi in res.levels] == [15, 19, 23, 29]
    assert all(fi.chisq == pytest.approx(0.0, abs=1e-8) for _, _, fi in res.levels)
    lm = res.latent_means()
    assert_allclose(lm.loc[lm["level"] == "strict", "estimate"], alpha[1:], atol=1e-6)
    assert lm["round"].tolist() == [2, 3, 2, 3]


def test_released_equality_is_one_more_parameter():
    base = parse_model("F =~ a + b + c")
    _, tied = longitudinal_parameters(base, "scalar")
    _, part = longitudinal_parameters(base, "scalar", partial=["b ~1", "F =~ c"])
    assert 1 + max(q.free for q in part) == 1 + max(q.free for q in tied) + 2
    # the parameter table is build_parameters' (lavaan order), only the free indices differ
    plain = build_parameters(longitudinal_spec(base), 1, meanstructure=True)
    assert [(q.kind, q.lhs, q.op, q.rhs) for q in plain] == [(q.kind, q.lhs, q.op, q.rhs) for q in tied]


def test_wide_rounds_keeps_persons_with_both_rounds():
    m = pd.DataFrame({"person_id": ["a", "a", "b", "c", "c", "c"], "round": [1, 2, 1, 2, 1, 3],
                      "x": [1, 2, 3, 4, 5, 6]})
    w = wide_rounds(m, ["x"])
    assert w.to_dict("records") == [{"person_id": "a", "x_r1": 1, "x_r2": 2}, {"person_id": "c", "x_r1": 5, "x_r2": 4}]
    assert len(wide_rounds(m, ["x"], (1, 2, 3))) == 1
    with pytest.raises(ValueError, match="rounds"):
        wide_rounds(m, ["x"], (1,))
    with pytest.raises(FipError, match="y"):
        wide_rounds(m, ["y"])


def test_too_few_persons_is_an_error(wide):
    with pytest.raises(FipError, match="needs more than 22"):
        longitudinal_invariance(parse_model(MODEL), wide.head(20))
    with pytest.raises(ValueError, match="rule"):
        longitudinal_invariance(parse_model(MODEL), wide, rule="nope")


def test_parameters_and_group_equal_are_exclusive(wide):
    long, params = longitudinal_parameters(parse_model(MODEL), "metric")
    with pytest.raises(ValueError, match="not both"):
        fit_cfa(long, wide, meanstructure=True, parameters=params, group_equal=("loadings",))
    with pytest.raises(ValueError, match="meanstructure"):
        fit_cfa(long, wide, meanstructure=False, parameters=params)
