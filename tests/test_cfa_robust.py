"""fip.cfa with estimator="mlr" and missing="pairwise" against lavaan 0.6.14
(tests/reference/cfa/make_reference_mlr.R) on Holzinger-Swineford 1939.

Tolerances (issue 14: robust statistics within 1e-4):
* estimates, Huber-White SEs and std.all (with SEs): 1e-4 relative. The largest gap measured is
  7.4e-5 (an SE of the configural two-group model), and it is lavaan's: nlminb stops at a gradient
  near 1.6e-6 and refuses tighter tolerances, fip converges to ‖gradient‖ < 1e-10.
* χ² (scaled and naive), scaling factors, CFI/TLI/RMSEA (scaled and robust, with CIs) and SRMR:
  1e-5 relative (measured: at most 3e-6).
* p-values of tests whose p is below 1e-6: 1e-4 relative (they magnify the χ² gap).
* Δχ² (Satorra-Bentler 2001), its p, ΔCFI and ΔRMSEA: 1e-4 relative, 1e-7 absolute (differences of
  close numbers: ΔCFI of the metric step is 0.002, measured gap 8e-5 relative).
* pairwise ML: as the ML references (1e-4 estimates and SEs, 1e-6 χ² and indices).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from fip.cfa import fit_cfa, parse_model
from fip.cfa.fit import FitIndices, fit_indices
from fip.cfa.invariance import measurement_invariance
from fip.cfa.robust import RobustFitIndices, scaled_difference
from fip.errors import FipError

REF = Path(__file__).parent / "reference" / "cfa"
DATA = Path(__file__).parents[1] / "examples" / "data" / "holzinger"
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
ITEMS = [f"x{j}" for j in range(1, 10)]
LEVELS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts"),
          "strict": ("loadings", "intercepts", "residuals")}
#: fip's name → lavaan's fitMeasures name for an MLR fit
MLR_NAMES = {
    "chisq": "chisq.scaled", "df": "df", "scaling_factor": "chisq.scaling.factor",
    "chisq_naive": "chisq", "baseline_chisq": "baseline.chisq.scaled",
    "baseline_chisq_naive": "baseline.chisq", "baseline_df": "baseline.df",
    "baseline_scaling_factor": "baseline.chisq.scaling.factor",
    "cfi": "cfi.scaled", "tli": "tli.scaled", "cfi_robust": "cfi.robust", "tli_robust": "tli.robust",
    "cfi_naive": "cfi", "tli_naive": "tli",
    "rmsea": "rmsea.scaled", "rmsea_ci_low": "rmsea.ci.lower.scaled", "rmsea_ci_high": "rmsea.ci.upper.scaled",
    "rmsea_robust": "rmsea.robust", "rmsea_ci_low_robust": "rmsea.ci.lower.robust",
    "rmsea_ci_high_robust": "rmsea.ci.upper.robust", "rmsea_naive": "rmsea",
    "rmsea_ci_low_naive": "rmsea.ci.lower", "rmsea_ci_high_naive": "rmsea.ci.upper",
    "srmr": "srmr", "npar": "npar",
}
PVALUES = {"pvalue": "pvalue.scaled", "pvalue_naive": "pvalue", "rmsea_pvalue": "rmsea.pvalue.scaled",
           "rmsea_pvalue_robust": "rmsea.pvalue.robust", "rmsea_pvalue_naive": "rmsea.pvalue"}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    forms = pd.read_csv(DATA / "forms.csv")
    persons = pd.read_csv(DATA / "persons.csv")
    return forms.merge(persons, on="person_id").sort_values("person_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def holes(data) -> pd.DataFrame:
    """The holes of make_reference_mlr.R: x_j of person i missing when (i + 2j) mod 13 = 0; person 5 empty."""
    d = data.copy()
    for j in range(1, 10):
        d.loc[(d["person_id"] + 2 * j) % 13 == 0, f"x{j}"] = np.nan
    d.loc[d["person_id"] == 5, ITEMS] = np.nan
    return d


def _compare_estimates(res, name: str, rtol: float = 1e-4) -> None:
    ref = pd.read_csv(REF / f"{name}_estimates.csv", keep_default_na=False, na_values=["NA"])
    std = pd.read_csv(REF / f"{name}_std.csv", keep_default_na=False, na_values=["NA"])
    for t in (ref, std):
        if "group" not in t.columns:
            t["group"] = 1
    ours = res.tidy()
    ours["group"] = ours["group"].map({g: i + 1 for i, g in enumerate(res.groups)})
    ours["rhs"] = ours["rhs"].fillna("")
    ref = ref[ref["op"].isin(["=~", "~~", "~1"])]
    m = ref.merge(ours, on=["lhs", "op", "rhs", "group"], how="left", validate="one_to_one")
    assert len(m) == len(ours) and not m["estimate"].isna().any(), "parameter tables differ"
    assert_allclose(m["estimate"], m["est"], rtol=rtol, atol=1e-6)
    free = m["free"].astype(bool)
    assert free.sum() == res.npar or res.group_equal  # shared parameters appear once per group
    assert_allclose(m.loc[free, "se_x"], m.loc[free, "se_y"], rtol=rtol)
    assert_allclose(m["std_all"], m["std.all"], rtol=rtol, atol=1e-6)
    ms = std[std["op"].isin(["=~", "~~", "~1"])].merge(ours, on=["lhs", "op", "rhs", "group"],
                                                      suffixes=("_ref", ""))
    ok = ms["std_se"].notna() & (ms["se_ref"] > 1e-10)
    assert ok.sum() > 0
    assert_allclose(ms.loc[ok, "std_se"], ms.loc[ok, "se_ref"], rtol=rtol)


def _compare_mlr_fit(fi: RobustFitIndices, name: str) -> None:
    ref = pd.read_csv(REF / f"{name}_fit.csv").set_index("measure")["value"]
    for ours, theirs in MLR_NAMES.items():
        assert_allclose(getattr(fi, ours), ref[theirs], rtol=1e-5, err_msg=ours)
    for ours, theirs in PVALUES.items():
        assert_allclose(getattr(fi, ours), ref[theirs], rtol=1e-4, err_msg=ours)


@pytest.mark.parametrize(("name", "kwargs"), [
    ("hs_mlr", {}), ("hs_mlr_stdlv", {"std_lv": True}), ("hs_mlr_rescov", {"model": MODEL + "\nx7 ~~ x8"})])
def test_mlr_single_group(data, name, kwargs):
    kwargs = dict(kwargs)
    model = kwargs.pop("model", MODEL)
    res = fit_cfa(parse_model(model), data, estimator="mlr", **kwargs)
    assert res.converged and res.estimator == "mlr" and res.n == 301
    _compare_estimates(res, name)
    fi = fit_indices(res)
    assert isinstance(fi, RobustFitIndices)
    _compare_mlr_fit(fi, name)
    # the estimates are ML's; only SEs and tests change
    ml = fit_cfa(parse_model(model), data, **kwargs)
    assert_allclose(res.x, ml.x, rtol=0, atol=0)
    assert not np.allclose(np.diag(res.vcov), np.diag(ml.vcov), rtol=1e-3)
    naive = fit_indices(res, naive=True)
    assert type(naive) is FitIndices and naive.chisq == fit_indices(ml).chisq == fi.chisq_naive


@pytest.mark.parametrize("level", list(LEVELS))
def test_mlr_multigroup_levels(data, level):
    res = fit_cfa(parse_model(MODEL), data, group="school", group_equal=LEVELS[level], estimator="mlr")
    assert res.groups == ("Pasteur", "Grant-White")
    _compare_estimates(res, f"hs_mlr_school_{level}")
    _compare_mlr_fit(fit_indices(res), f"hs_mlr_school_{level}")


def test_mlr_invariance_sequence_scaled_difference(data):
    res = measurement_invariance(parse_model(MODEL), data, group="school", estimator="mlr")
    ours = res.tidy().set_index("level")
    ref = pd.read_csv(REF / "hs_mlr_school_invariance.csv").set_index("level")
    for col, theirs in [("chisq", "chisq.scaled"), ("cfi", "cfi.scaled"), ("tli", "tli.scaled"),
                        ("rmsea", "rmsea.scaled"), ("srmr", "srmr")]:
        assert_allclose(ours[col], ref[theirs], rtol=1e-5, err_msg=col)
    assert_allclose(ours["pvalue"], ref["pvalue.scaled"], rtol=1e-4)
    for col in ["delta_chisq", "delta_df", "p_delta", "delta_cfi", "delta_rmsea"]:
        assert_allclose(ours[col].to_numpy(float)[1:], ref[col].to_numpy(float)[1:], rtol=1e-4, atol=1e-7,
                        err_msg=col)
    # the scaled difference is not the difference of the scaled χ² (lavaan's warning in its docs)
    naive_diff = ours["chisq"].diff().iloc[1:].to_numpy()
    assert np.all(np.abs(naive_diff - ours["delta_chisq"].iloc[1:].to_numpy()) > 0.05)
    # Cheung & Rensvold on the scaled CFI: scalar fails (ΔCFI = -0.040), the others hold
    assert ours["holds"].tolist() == [True, True, False, True]


def test_scaled_difference_closed_form():
    """Satorra & Bentler (2001) by hand: c_d = (df0 c0 − df1 c1)/(df0 − df1)."""
    from dataclasses import fields

    def fi(chisq, df, c):
        values = {f.name: float("nan") for f in fields(RobustFitIndices)}
        values.update(chisq=chisq / c, df=df, scaling_factor=c, chisq_naive=chisq)
        return RobustFitIndices(**values)
    d, m, p = scaled_difference(fi(130.0, 60, 1.2), fi(100.0, 48, 1.1))
    cd = (60 * 1.2 - 48 * 1.1) / 12
    assert m == 12
    assert_allclose(d, 30.0 / cd, rtol=1e-14)
    from scipy import stats
    assert_allclose(p, stats.chi2.sf(30.0 / cd, 12), rtol=1e-14)
    # a negative c_d gives no test rather than a wrong one
    assert np.isnan(scaled_difference(fi(130.0, 60, 0.5), fi(100.0, 48, 1.5))[0])


def test_pairwise_single_group(holes):
    res = fit_cfa(parse_model(MODEL), holes, missing="pairwise")
    nobs = pd.read_csv(REF / "hs_pairwise_nobs.csv").set_index("group")["n"]
    assert res.n == nobs["all"] == 300 and res.n_dropped == 1  # the empty row is not counted
    assert res.n_pairs_min < 300 and res.missing == "pairwise"
    _compare_estimates(res, "hs_pairwise")
    ref = pd.read_csv(REF / "hs_pairwise_fit.csv").set_index("measure")["value"]
    fi = fit_indices(res)
    for ours, theirs in [("chisq", "chisq"), ("df", "df"), ("pvalue", "pvalue"), ("cfi", "cfi"), ("tli", "tli"),
                         ("rmsea", "rmsea"), ("rmsea_ci_low", "rmsea.ci.lower"), ("rmsea_ci_high", "rmsea.ci.upper"),
                         ("rmsea_pvalue", "rmsea.pvalue"), ("baseline_chisq", "baseline.chisq")]:
        assert_allclose(getattr(fi, ours), ref[theirs], rtol=1e-6, err_msg=ours)
    assert_allclose(fi.srmr, ref["srmr"], rtol=1e-5)
    # listwise on the same data keeps only the 94 complete rows
    assert fit_cfa(parse_model(MODEL), holes).n == 94


def test_pairwise_multigroup_scalar(holes):
    res = fit_cfa(parse_model(MODEL), holes, missing="pairwise", group="school",
                  group_equal=LEVELS["scalar"])
    nobs = pd.read_csv(REF / "hs_pairwise_nobs.csv").set_index("group")["n"]
    assert res.n_groups_n == (nobs["Pasteur"], nobs["Grant-White"])
    _compare_estimates(res, "hs_pairwise_school_scalar")
    ref = pd.read_csv(REF / "hs_pairwise_school_scalar_fit.csv").set_index("measure")["value"]
    fi = fit_indices(res)
    for ours, theirs in [("chisq", "chisq"), ("cfi", "cfi"), ("rmsea", "rmsea")]:
        assert_allclose(getattr(fi, ours), ref[theirs], rtol=1e-6, err_msg=ours)


def test_mlr_with_pairwise_is_refused(holes):
    # lavaan 0.6.14 fails on it too (tests/reference/cfa/VERSION_mlr.txt)
    assert "MLR + missing=pairwise: Error" in (REF / "VERSION_mlr.txt").read_text()
    with pytest.raises(FipError, match="--estimator mlr with --nan-policy pairwise"):
        fit_cfa(parse_model(MODEL), holes, missing="pairwise", estimator="mlr")


def test_pairwise_needs_pairs(holes):
    d = holes.copy()
    d.loc[d["x1"].notna(), "x2"] = np.nan  # x1 and x2 never answered together
    with pytest.raises(FipError, match="items x1 and x2 are answered together by fewer than 2 persons"):
        fit_cfa(parse_model(MODEL), d, missing="pairwise")


# --- full-information ML (lavaan missing = "ml") on the same holes; tolerances as ML: estimates,
#     SEs (observed information) and std.all 1e-4 relative (measured 2e-5, the configural model's
#     SEs; lavaan's convergence), χ², CFI, TLI, RMSEA, baseline χ² and log-likelihoods 1e-6
#     relative (measured 2e-10), SRMR 1e-5 (measured 4e-6: it moves with the estimates).
FIML_FITS = [("hs_fiml", {})] + [(f"hs_fiml_school_{lv}", {"group": "school", "group_equal": LEVELS[lv]})
                                 for lv in ("configural", "metric", "scalar")]


@pytest.mark.parametrize(("name", "kwargs"), FIML_FITS)
def test_fiml_against_lavaan(holes, name, kwargs):
    res = fit_cfa(parse_model(MODEL), holes, missing="fiml", **kwargs)
    assert res.converged and res.n == 300 and res.n_dropped == 1 and res.meanstructure
    _compare_estimates(res, name)
    ref = pd.read_csv(REF / f"{name}_fit.csv").set_index("measure")["value"]
    fi = fit_indices(res)
    for ours, theirs in [("npar", "npar"), ("chisq", "chisq"), ("df", "df"), ("pvalue", "pvalue"), ("cfi", "cfi"),
                         ("tli", "tli"), ("rmsea", "rmsea"), ("rmsea_ci_low", "rmsea.ci.lower"),
                         ("rmsea_ci_high", "rmsea.ci.upper"), ("rmsea_pvalue", "rmsea.pvalue"),
                         ("baseline_chisq", "baseline.chisq"), ("baseline_df", "baseline.df")]:
        assert_allclose(getattr(fi, ours), ref[theirs], rtol=1e-6, err_msg=ours)
    assert_allclose(fi.srmr, ref["srmr"], rtol=1e-5)
    assert_allclose([res.robust.logl, res.robust.logl_h1], [ref["logl"], ref["unrestricted.logl"]], rtol=1e-6)
    # χ² is the likelihood ratio against the saturated model
    assert_allclose(fi.chisq, 2 * (res.robust.logl_h1 - res.robust.logl), rtol=1e-10)


def test_fiml_invariance_lrt(holes):
    res = measurement_invariance(parse_model(MODEL), holes, group="school", missing="fiml",
                                 levels=("configural", "metric", "scalar"))
    ours = res.tidy().set_index("level")
    ref = pd.read_csv(REF / "hs_fiml_school_lrt.csv").set_index("level")
    assert_allclose(ours["chisq"], ref["chisq"], rtol=1e-6)
    assert_allclose(ours["delta_chisq"].iloc[1:], ref["delta_chisq"].iloc[1:], rtol=1e-5)
    assert_allclose(ours["p_delta"].iloc[1:], ref["p_delta"].iloc[1:], rtol=1e-4)
    assert res.levels[0][1].n_groups_n == (155, 145)


def test_fiml_on_complete_data_is_ml_with_means(data):
    """Without holes FIML is ML with a mean structure: the same χ² and estimates as listwise ML."""
    fiml = fit_cfa(parse_model(MODEL), data, missing="fiml")
    ml = fit_cfa(parse_model(MODEL), data, meanstructure=True)
    assert fiml.robust.n_patterns == (1,)
    assert_allclose(fit_indices(fiml).chisq, fit_indices(ml).chisq, rtol=1e-8)
    assert_allclose(fiml.x, ml.x, rtol=1e-6, atol=1e-8)


def test_fiml_refusals(holes):
    with pytest.raises(FipError, match="--estimator mlr with --nan-policy fiml"):
        fit_cfa(parse_model(MODEL), holes, missing="fiml", estimator="mlr")
    with pytest.raises(FipError, match="--partial with --nan-policy fiml"):
        measurement_invariance(parse_model(MODEL), holes, group="school", missing="fiml", partial=True)
    d = holes.copy()
    d["x4"] = np.nan
    with pytest.raises(FipError, match="item\\(s\\) x4 answered by nobody"):
        fit_cfa(parse_model(MODEL), d, missing="fiml")


def test_mlr_scaling_tracks_kurtosis():
    """Seeded simulation, checks independent of lavaan (Yuan & Bentler 2000; Browne & Shapiro 1988):
    normal answers give a scaling factor near 1 and robust SEs near the ML ones; independent
    heavy-tailed factors and errors leave the model's χ² valid (asymptotic robustness: c near 1)
    while the independence model's c_b is not (1.27 here); elliptical multivariate t (8 df, relative
    kurtosis 0.5) gives c above 1.3 (1 + κ = 1.5 in theory; 1.73 with this seed, as t(8)'s sample fourth
    moments converge slowly) and larger SEs."""
    rng = np.random.default_rng(20261204)
    n = 4000
    load = np.array([[1.0, 0.8, 0.7, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.9, 0.6]]).T
    spec = parse_model("F =~ a + b + c\nG =~ d + e + f")

    def fit(f, e):
        y = pd.DataFrame(f @ load.T + e * 0.6, columns=list("abcdef"))
        return fit_cfa(spec, y, estimator="mlr"), fit_cfa(spec, y)

    mlr, ml = fit(rng.normal(size=(n, 2)), rng.normal(size=(n, 6)))
    assert abs(mlr.robust.scaling_factor - 1) < 0.1
    assert np.all(np.abs(np.sqrt(np.diag(mlr.vcov) / np.diag(ml.vcov)) - 1) < 0.1)
    t = lambda size: rng.standard_t(5, size=size) / np.sqrt(5 / 3)  # unit variance, kurtosis 9
    mlr, _ = fit(t((n, 2)), t((n, 6)))
    assert abs(mlr.robust.scaling_factor - 1) < 0.1 and mlr.robust.baseline_scaling_factor > 1.15
    w = np.sqrt(6 / rng.chisquare(8, size=(n, 1)))  # one scale per person: multivariate t, unit variance
    mlr, ml = fit(rng.normal(size=(n, 2)) * w, rng.normal(size=(n, 6)) * w)
    assert 1.3 < mlr.robust.scaling_factor < 2.2
    assert np.median(np.sqrt(np.diag(mlr.vcov) / np.diag(ml.vcov))) > 1.1
