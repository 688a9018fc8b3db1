"""Multi-group WLSMV (fip.cfa.ordinal_groups) against lavaan 0.6.14
(tests/reference/cfa_wlsmv/make_reference_wlsmv.R, sections 4 and 5): bfi N1-N5 by gender, listwise, and
simulated data of 3 groups (two correlated factors of 4 items, y3's thresholds shifted in one group),
``cfa(..., ordered = TRUE, group = g, group.equal = ...)`` and ``lavTestLRT``.

Tolerances: estimates 5e-5 absolute and SEs 5e-5 relative. Measured: ≤ 7e-6 (bfi) and ≤ 1.6e-5, SEs
≤ 1.9e-5 relative (simulated, the "thresholds" level of the 300-person group, where its free scaling
factors, loadings and factor variance are nearly collinear). The naive χ² agree to 5e-9 and fip's
objective at lavaan's estimates is above fip's minimum (157.35401645 vs 157.35401642), so the gap is on
lavaan's side (its polychorics, nlminb ~1e-8, or its optimiser's stop), amplified by that collinearity.
χ², scaled χ², CFI, TLI, RMSEA 1e-6 relative; SRMR 1e-5 relative (observed ≤ 1.5e-6); RMSEA interval
1e-5 (lavaan's uniroot); Δχ² 1e-6 relative (observed ≤ 3e-7), its p 1e-4 relative (p = 4e-48 moves ~50 times as fast as Δχ²).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from fip.cfa.ordinal_groups import (ORDINAL_LEVELS, fit_wlsmv_groups, ordinal_invariance, wlsmv_difference_test,
                                    wlsmv_group_fit_indices)
from fip.cfa.spec import parse_model
from fip.errors import FipError

REF = Path(__file__).parent / "reference" / "cfa_wlsmv"
SPEC = parse_model("neuro =~ N1 + N2 + N3 + N4 + N5")
SIM = parse_model("f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8")
AC = parse_model("agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5")  # A1, C4, C5 load negatively
CASES = {"bfi_n_gender": ("bfi_n_gender_data.csv", "gender", SPEC), "sim_groups": ("sim_groups_data.csv", "lang", SIM),
         "bfi_ac_gender": ("bfi_ac_gender_data.csv", "gender", AC)}
SCALED = {"chisq": "chisq.scaled", "chisq_naive": "chisq", "scaling_factor": "chisq.scaling.factor",
          "baseline_chisq": "baseline.chisq.scaled", "baseline_chisq_naive": "baseline.chisq",
          "cfi": "cfi.scaled", "tli": "tli.scaled", "rmsea": "rmsea.scaled", "cfi_naive": "cfi", "tli_naive": "tli",
          "rmsea_naive": "rmsea", "srmr": "srmr"}
CI = {"rmsea_ci_low": "rmsea.ci.lower.scaled", "rmsea_ci_high": "rmsea.ci.upper.scaled"}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "bfi_n_gender_data.csv")


@pytest.fixture(scope="module")
def sequences():
    out = {}
    for name, (file, group, spec) in CASES.items():
        out[name] = ordinal_invariance(spec, pd.read_csv(REF / file), group=group)
    return out


@pytest.fixture(scope="module")
def sequence(sequences):
    return sequences["bfi_n_gender"]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("level", list(ORDINAL_LEVELS))
def test_levels_match_lavaan(sequences, case, level):
    name, res, fi = next(t for t in sequences[case].levels if t[0] == level)
    assert res.converged
    ref = pd.read_csv(REF / f"{case}_{level}_estimates.csv", keep_default_na=False, na_values={"est": ["NA"]})
    labels = (dict(zip(ref["group_label"].astype(str), ref["group"])) if "group_label" in ref
              else {g: i + 1 for i, g in enumerate(res.groups)})
    assert [labels[g] for g in res.groups] == sorted(labels.values())  # lavaan's group order: first appearance
    ours = res.tidy()
    ours["group"] = ours["group"].map(labels)
    m = ours.merge(ref, on=["group", "lhs", "op", "rhs"], how="left", validate="one_to_one")
    assert m["est"].notna().all(), m.loc[m["est"].isna(), ["group", "lhs", "op", "rhs"]]
    assert len(m) == len(ref[ref["se"] > 0])  # every free lavaan parameter, no more
    assert_allclose(m["estimate"], m["est"], rtol=0, atol=5e-5)
    assert_allclose(m["se_x"], m["se_y"], rtol=5e-5)
    fit = pd.read_csv(REF / f"{case}_{level}_fit.csv").set_index("measure")["value"]
    assert fi.df == fit["df"] and fi.npar == fit["npar"] and fi.n == fit["ntotal"]
    d = fi.as_dict()
    for ours_name, lav in SCALED.items():
        assert_allclose(d[ours_name], fit[lav], rtol=1e-5 if lav == "srmr" else 1e-6, err_msg=ours_name)
    for ours_name, lav in CI.items():
        assert_allclose(d[ours_name], fit[lav], rtol=1e-5, err_msg=ours_name)
    assert_allclose(d["pvalue"], fit["pvalue.scaled"], rtol=1e-5, atol=1e-12)


def test_equal_thresholds_free_scaling_and_means(sequence):
    """lavaan's rule: with equal thresholds the scaling factors (~*~) and the factor mean of group 2 are free."""
    ops = {lv: set(res.tidy().query("group == '2'")["op"]) for lv, res, _ in sequence.levels}
    assert "~*~" not in ops["configural"] and "~1" not in ops["configural"]
    assert {"~*~", "~1"} <= ops["thresholds"] and {"~*~", "~1"} <= ops["loadings"]


@pytest.mark.parametrize("case", list(CASES))
def test_difference_tests_match_lavtestlrt(sequences, case):
    ref = pd.read_csv(REF / f"{case}_lrt.csv")
    t = sequences[case].tidy()
    assert list(t["level"]) == ["configural", "thresholds", "loadings"]
    assert list(t.columns[:13]) == ["level", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "delta_chisq",
                                    "delta_df", "p_delta", "delta_cfi", "delta_rmsea"]
    assert_allclose(t["delta_chisq"].iloc[1:], ref["Chisq diff"], rtol=1e-6)
    assert (t["delta_df"].iloc[1:].to_numpy() == ref["Df diff"].to_numpy()).all()
    assert_allclose(t["p_delta"].iloc[1:], ref["Pr(>Chisq)"], rtol=1e-4)  # p = 4e-48 moves 50× faster than Δχ²
    for k, lv in enumerate(["thresholds", "loadings"], start=1):
        prev = pd.read_csv(REF / f"{case}_{t['level'].iloc[k - 1]}_fit.csv").set_index("measure")["value"]
        cur = pd.read_csv(REF / f"{case}_{lv}_fit.csv").set_index("measure")["value"]
        assert_allclose(t["delta_cfi"].iloc[k], cur["cfi.scaled"] - prev["cfi.scaled"], atol=1e-7)
        assert_allclose(t["delta_rmsea"].iloc[k], cur["rmsea.scaled"] - prev["rmsea.scaled"], atol=1e-7)
    # Cheung & Rensvold: ΔCFI (scaled) decides
    assert list(t["holds"]) == [True] + [bool(x > -0.010) for x in t["delta_cfi"].iloc[1:]]


def test_difference_test_needs_nesting(sequence):
    res = {lv: r for lv, r, _ in sequence.levels}
    with pytest.raises(FipError, match="not nested"):
        wlsmv_difference_test(res["loadings"], res["configural"])


def test_small_group_named_and_left_out(data):
    d = data.copy()
    d.loc[d.index[:4], "gender"] = 3  # a third group of 4 persons
    seq = ordinal_invariance(SPEC, d, group="gender", min_group_n=10)
    assert seq.groups == ("1", "2") or set(seq.groups) == {"1", "2"}
    assert [g for g, _ in seq.excluded] == ["3"] and "fewer than 10" in seq.excluded[0][1]


def test_equal_thresholds_need_the_same_answers(data):
    d = data.copy()
    one = d.index[d["gender"] == 1]
    d.loc[one, "N1"] = d.loc[one, "N1"].where(d.loc[one, "N1"] != 6, 5)  # nobody in group 1 answers 6
    with pytest.raises(FipError, match="'N1'.*same observed answers"):
        fit_wlsmv_groups(SPEC, d, group="gender", group_equal=("thresholds",))


def test_single_group_equals_two_identical_halves_configural(data):
    """Second check, no R: a configural fit of two groups is the sum of the two separate fits."""
    from fip.cfa.ordinal import fit_wlsmv

    res = fit_wlsmv_groups(SPEC, data, group="gender")
    parts = [fit_wlsmv(SPEC, data[data["gender"] == g]) for g in (1, 2)]
    assert_allclose(res.chisq_naive, sum(p.chisq_naive for p in parts), rtol=1e-7)
    fi = wlsmv_group_fit_indices(res)
    assert fi.df == sum(p.df for p in parts)
