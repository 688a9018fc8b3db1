"""fip.cfa.ordinal (WLSMV) against lavaan 0.6.14 (tests/reference/cfa_wlsmv/make_reference_wlsmv.R).

lavaan call: ``cfa(model, data, ordered = TRUE, estimator = "WLSMV")`` on psych's bfi (examples/data/bfi,
listwise) and on simulated ordinal data (tests/reference/cfa_wlsmv/sim_data.csv, written by the script).

Tolerances, and why:
- thresholds 1e-10 absolute: a closed form (Φ⁻¹ of cumulative shares) on both sides;
- polychoric correlations 1e-6 absolute: lavaan stops nlminb near 1e-8 (observed gap ≤ 3e-8),
  fip solves the likelihood equation to 1e-14;
- Γ (lavaan's NACOV) 1e-6 relative to its largest element (observed ≤ 1e-8): it moves with ρ̂;
- estimates and std.all 1e-5 relative with 1e-6 absolute (observed ≤ 1.2e-6 absolute on loadings near 2):
  lavaan's optimiser stops at a relative tolerance near 1e-7, fip at a gradient below 1e-10;
- robust SEs and std.all SEs 1e-5 relative (observed ≤ 2e-7);
- χ² (naive and scaled-shifted), scaling factor, baseline χ², CFI, TLI, RMSEA, SRMR 1e-6 relative
  (observed ≤ 1.1e-7; SRMR of the just-identified model 1e-7 absolute, lavaan's convergence gap);
  the RMSEA interval 1e-5 relative (lavaan's uniroot stops at eps^0.25; observed ≤ 1.4e-6); p-values 1e-6 relative or 1e-7 absolute (they move with χ²).
The issue asks 1e-4 (robust and ordinal statistics); these are tighter because both sides converge tightly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from fip.cfa.ordinal import fit_wlsmv, wlsmv_fit_indices
from fip.cfa.ordinal_moments import ordinal_moments
from fip.cfa.spec import parse_model
from fip.errors import FipError

REF = Path(__file__).parent / "reference" / "cfa_wlsmv"
BFI = Path(__file__).parents[1] / "examples" / "data" / "bfi" / "forms.csv"
AC = "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
SIM = "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8"
CASES = {
    "bfi_n": ("bfi", "neuro =~ N1 + N2 + N3 + N4 + N5", False),
    "bfi_ac": ("bfi", AC, False),
    "bfi_ac_stdlv": ("bfi", AC, True),
    "sim_2f": ("sim", SIM, False),
    "sim_2f_rescov": ("sim", SIM + "\ny1 ~~ y2", False),
    # n = 150: binary items with an empty cell in their 2 x 2 table, a 3-category item, an answer never given
    "edge_1f": ("edge", "f =~ z1 + z2 + z3 + z4 + z5 + z6", False),
    "edge_3items": ("edge", "f =~ z3 + z4 + z5", False),  # just identified: df = 0
}
GAMMA_CASES = ["bfi_n", "bfi_ac", "sim_2f", "edge_1f"]
# lavaan fitMeasures name -> fip WlsmvFit field (no suffix: scaled; _naive: unscaled)
FIT_NAMES = {
    "chisq": "chisq_naive", "chisq.scaled": "chisq", "chisq.scaling.factor": "scaling_factor",
    "baseline.chisq": "baseline_chisq_naive", "baseline.chisq.scaled": "baseline_chisq",
    "cfi": "cfi_naive", "tli": "tli_naive", "rmsea": "rmsea_naive", "rmsea.ci.lower": "rmsea_ci_low_naive",
    "rmsea.ci.upper": "rmsea_ci_high_naive", "cfi.scaled": "cfi", "tli.scaled": "tli", "rmsea.scaled": "rmsea",
    "rmsea.ci.lower.scaled": "rmsea_ci_low", "rmsea.ci.upper.scaled": "rmsea_ci_high", "srmr": "srmr",
}
P_NAMES = {"pvalue": "pvalue_naive", "pvalue.scaled": "pvalue", "rmsea.pvalue": "rmsea_pvalue_naive",
           "rmsea.pvalue.scaled": "rmsea_pvalue"}


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return {"bfi": pd.read_csv(BFI), "sim": pd.read_csv(REF / "sim_data.csv"),
            "edge": pd.read_csv(REF / "edge_data.csv")}


@pytest.fixture(scope="module")
def fits(frames):
    out = {}
    for name, (data, model, std_lv) in CASES.items():
        res = fit_wlsmv(parse_model(model), frames[data], std_lv=std_lv)
        out[name] = (res, wlsmv_fit_indices(res))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_sample_statistics_match_lavaan(fits, name):
    res, _ = fits[name]
    mom = res.moments
    th = pd.read_csv(REF / f"{name}_thresholds.csv")
    assert [f"{i}|{t}" for i, t in zip(mom.tidy()["item"], mom.tidy()["threshold"])] == list(th["name"])
    assert_allclose(np.concatenate(mom.thresholds), th["value"], rtol=0, atol=1e-10)
    r = pd.read_csv(REF / f"{name}_polychoric.csv", index_col=0).loc[list(mom.items), list(mom.items)]
    assert_allclose(mom.correlation, r.to_numpy(), rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", GAMMA_CASES)
def test_gamma_matches_lavaan_nacov(fits, name):
    res, _ = fits[name]
    ref = pd.read_csv(REF / f"{name}_gamma.csv", index_col=0)
    assert list(ref.index) == res.moments.statistic_names()
    g = ref.to_numpy()
    assert_allclose(res.moments.gamma, g, rtol=0, atol=1e-6 * np.abs(g).max())


def _merged(res, name: str) -> pd.DataFrame:
    ref = pd.read_csv(REF / f"{name}_estimates.csv")
    ref = ref[ref["op"].isin(["=~", "|", "~~"])]
    ours = res.tidy()
    m = ref.merge(ours, on=["lhs", "op", "rhs"], how="left", validate="one_to_one")
    assert m["estimate"].notna().all(), m.loc[m["estimate"].isna(), ["lhs", "op", "rhs"]]
    assert len(ours) == len(ref)
    return m


@pytest.mark.parametrize("name", list(CASES))
def test_estimates_ses_and_std_match_lavaan(fits, name):
    res, _ = fits[name]
    assert res.converged
    m = _merged(res, name)
    assert_allclose(m["estimate"], m["est"], rtol=1e-5, atol=1e-6)
    assert_allclose(m["std_all"], m["std.all"], rtol=1e-5, atol=1e-6)
    free = m[m["free"]]
    assert_allclose(free["se_y"], free["se_x"], rtol=1e-5)
    assert (m.loc[~m["free"], "se_x"] == 0).all()  # lavaan: fixed (marker, delta-parameterised residual variances)
    std = pd.read_csv(REF / f"{name}_std.csv")
    std = std[std["op"].isin(["=~", "~~"]) & (std["se"] > 0)].merge(res.tidy(), on=["lhs", "op", "rhs"])
    assert len(std) > 0
    assert_allclose(std["est.std"], std["std_all"], rtol=1e-5, atol=1e-6)
    assert_allclose(std["std_se"], std["se_x"], rtol=1e-5)


@pytest.mark.parametrize("name", list(CASES))
def test_fit_statistics_match_lavaan(fits, name):
    res, fi = fits[name]
    ref = pd.read_csv(REF / f"{name}_fit.csv").set_index("measure")["value"]
    assert fi.df == ref["df"] == ref["df.scaled"]
    assert fi.npar == ref["npar"] and fi.n == ref["ntotal"]
    assert fi.baseline_df == ref["baseline.df"]
    d = fi.as_dict()
    for lav, ours in FIT_NAMES.items():
        rtol = 1e-5 if ".ci." in lav else 1e-6  # lavaan's uniroot stops at eps^0.25 on the noncentrality
        atol = 1e-7 if lav == "srmr" else 1e-9  # a just-identified model: lavaan's SRMR is its convergence gap
        assert_allclose(d[ours], ref[lav], rtol=rtol, atol=atol, err_msg=lav)
    for lav, ours in P_NAMES.items():
        assert_allclose(d[ours], ref[lav], rtol=1e-6, atol=1e-7, err_msg=lav)


def test_scaled_shifted_identity(fits):
    """T_ss = T/c + b with c = √(tr(UΓ)²/df) and b = df − tr(UΓ)/c: the adjusted statistic has mean df
    and variance 2·df under the model (Asparouhov & Muthén 2010) — checked as an identity on the traces."""
    res, fi = fits["sim_2f"]
    a = 1 / res.scaling_factor
    assert_allclose(a * a * res.trace_ug2, res.df, rtol=1e-12)
    assert_allclose(a * res.trace_ug + res.shift, res.df, rtol=1e-12)
    assert_allclose(fi.chisq, a * fi.chisq_naive + res.shift, rtol=1e-12)


def test_polychorics_agree_with_psych_where_they_coincide(frames):
    """Items with the same categories and no missing answers: psych's two-step ML (fip.polychoric) is the
    same estimator as lavaan's, so the two implementations must agree (second algorithm: bisection)."""
    from fip.polychoric import polychoric

    items = [f"N{i}" for i in range(1, 6)]
    d = frames["bfi"][items].dropna()
    ours = ordinal_moments(d, items).correlation
    psych = polychoric(d).correlation.to_numpy()
    assert_allclose(ours, psych, rtol=0, atol=1e-9)


def test_thresholds_name_the_answers_they_cut(frames):
    mom = ordinal_moments(frames["sim"], ["y1", "y4"])
    t = mom.tidy()
    assert list(t.columns) == ["item", "threshold", "between", "value"]
    y4 = frames["sim"]["y4"]
    assert list(t.loc[t["item"] == "y4", "between"]) == [f"{a}|{b}" for a, b in zip(sorted(y4.unique())[:-1], sorted(y4.unique())[1:])]


def test_unused_category_is_not_a_category():
    """An answer value nobody gave has no threshold (lavaan takes the observed levels)."""
    rng = np.random.default_rng(5)
    z = rng.multivariate_normal([0, 0, 0], [[1, .5, .5], [.5, 1, .5], [.5, .5, 1]], size=300)
    d = pd.DataFrame(np.digitize(z, [-0.5, 0.5]) + 1, columns=list("abc"))
    d.loc[d["a"] == 3, "a"] = 5  # answers 1, 2, 5: two thresholds, cutting 2|5
    mom = ordinal_moments(d, list("abc"))
    assert mom.levels[0] == (1.0, 2.0, 5.0)
    assert list(mom.tidy().query("item == 'a'")["between"]) == ["1|2", "2|5"]


def test_bad_items_are_refused_with_one_line():
    d = pd.DataFrame({"a": [1, 2, 3, 2.5], "b": [1, 2, 3, 2], "c": [2, 2, 1, 3]})
    with pytest.raises(FipError, match="'a'.*whole-number"):
        ordinal_moments(d, ["a", "b", "c"])
    d = pd.DataFrame({"a": [2, 2, 2, 2], "b": [1, 2, 3, 2], "c": [2, 2, 1, 3]})
    with pytest.raises(FipError, match="'a'.*at least 2 observed"):
        ordinal_moments(d, ["a", "b", "c"])
    with pytest.raises(FipError, match="not in the data: z"):
        ordinal_moments(d, ["a", "z"])


def test_listwise_counts(frames):
    res, _ = fit_wlsmv(parse_model("neuro =~ N1 + N2 + N3 + N4 + N5"), frames["bfi"]), None
    complete = frames["bfi"][[f"N{i}" for i in range(1, 6)]].notna().all(axis=1)
    assert res.n == int(complete.sum()) and res.n_dropped == int((~complete).sum())
