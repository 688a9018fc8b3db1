"""`fip cfa --estimator wlsmv` on psych's bfi (smallest layout) against lavaan 0.6.14
(tests/reference/cfa_wlsmv/make_reference_wlsmv.R); tolerances as tests/test_cfa_wlsmv.py."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from numpy.testing import assert_allclose
from typer.testing import CliRunner

from fip.cli import app

ROOT = Path(__file__).parents[1]
BFI = ROOT / "examples" / "data" / "bfi"
HS = ROOT / "examples" / "data" / "holzinger"
REF = ROOT / "tests" / "reference" / "cfa_wlsmv"
runner = CliRunner()
CONTRACT = {"chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr"}


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _model(tmp_path: Path) -> Path:
    m = tmp_path / "ac.lav"
    m.write_text("agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5\n")
    return m


def test_json_contract_scaled_and_naive(tmp_path):
    res = invoke("cfa", BFI, "--instrument", BFI / "instrument.yaml", "--model", _model(tmp_path),
                 "--estimator", "wlsmv", "--format", "json")
    assert res.exit_code == 0, res.stdout
    obj = json.loads(res.stdout)
    ref = pd.read_csv(REF / "bfi_ac_fit.csv").set_index("measure")["value"]
    fit = obj["fit"]
    assert CONTRACT | {k + "_naive" for k in CONTRACT - {"df", "srmr"}} <= set(fit)
    pairs = {"chisq": "chisq.scaled", "chisq_naive": "chisq", "cfi": "cfi.scaled", "cfi_naive": "cfi",
             "tli": "tli.scaled", "tli_naive": "tli", "rmsea": "rmsea.scaled", "rmsea_naive": "rmsea",
             "rmsea_ci_low": "rmsea.ci.lower.scaled", "rmsea_ci_high": "rmsea.ci.upper.scaled", "srmr": "srmr"}
    for ours, lav in pairs.items():
        assert_allclose(fit[ours], ref[lav], rtol=1e-6, err_msg=ours)
    assert fit["df"] == 34 and obj["n"] == ref["ntotal"] == 2632 and obj["estimator"] == "wlsmv"
    est = pd.read_csv(REF / "bfi_ac_estimates.csv")
    a2 = next(r for r in obj["loadings"] if r["item"] == "A2")
    row = est[(est.lhs == "agree") & (est.op == "=~") & (est.rhs == "A2")].iloc[0]
    assert set(a2) == {"factor", "item", "estimate", "se", "std"}
    assert_allclose([a2["estimate"], a2["se"], a2["std"]], [row["est"], row["se"], row["std.all"]], rtol=1e-5)
    th = pd.DataFrame(obj["thresholds"])
    assert len(th) == 50 and list(th.columns) == ["item", "threshold", "between", "value", "se"]
    lav_th = est[est.op == "|"]
    assert_allclose(th["value"], lav_th["est"], atol=1e-10)
    assert_allclose(th["se"], lav_th["se"], rtol=1e-5)


def test_table_states_estimator_n_and_thresholds(tmp_path):
    res = invoke("cfa", BFI, "--instrument", BFI / "instrument.yaml", "--model", _model(tmp_path),
                 "--estimator", "wlsmv")
    assert res.exit_code == 0, res.stdout
    text = " ".join(res.stdout.split())
    assert "WLSMV" in text and "n = 2632" in text and "scaled chi2(34) = 593.496" in text
    assert "naive chi2 = 449.278" in text
    assert "Thresholds of the ordinal items (5 per item" in text and "5|6" in text


def test_out_writes_parameters_and_thresholds(tmp_path):
    out = tmp_path / "cfa.csv"
    res = invoke("cfa", BFI, "--instrument", BFI / "instrument.yaml", "--model", _model(tmp_path),
                 "--estimator", "wlsmv", "--format", "csv", "--out", out)
    assert res.exit_code == 0, res.stdout
    params = pd.read_csv(out, comment="#")
    th = pd.read_csv(tmp_path / "cfa.thresholds.csv", comment="#")
    assert set(params["op"]) == {"=~", "~~"} and len(th) == 50


def test_continuous_scale_refused_in_one_line():
    res = invoke("cfa", HS, "--instrument", HS / "instrument.yaml", "--definitions", HS / "indices.yaml",
                 "--estimator", "wlsmv")
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "continuous scale" in lines[0] and "Traceback" not in res.output


def test_modindices_refused_with_wlsmv(tmp_path):
    res = invoke("cfa", BFI, "--instrument", BFI / "instrument.yaml", "--model", _model(tmp_path),
                 "--estimator", "wlsmv", "--modindices", "3")
    assert res.exit_code == 2 and "--modindices" in res.output


def test_unknown_estimator_named():
    res = invoke("cfa", BFI, "--instrument", BFI / "instrument.yaml", "--estimator", "wls")
    assert res.exit_code == 2 and "wlsmv" in res.output


def _n_model(tmp_path: Path) -> Path:
    m = tmp_path / "n.lav"
    m.write_text("neuro =~ N1 + N2 + N3 + N4 + N5\n")
    return m


def test_invariance_wlsmv_csv_contract(tmp_path):
    out = tmp_path / "inv.csv"
    res = invoke("invariance", BFI, "--instrument", BFI / "instrument.yaml", "--model", _n_model(tmp_path),
                 "--by", "gender", "--estimator", "wlsmv", "--format", "csv", "--out", out)
    assert res.exit_code == 0, res.stdout
    t = pd.read_csv(out, comment="#")
    assert list(t.columns[:13]) == ["level", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "delta_chisq",
                                    "delta_df", "p_delta", "delta_cfi", "delta_rmsea"]
    assert list(t["level"]) == ["configural", "thresholds", "loadings"]
    lrt = pd.read_csv(REF / "bfi_n_gender_lrt.csv")
    assert_allclose(t["delta_chisq"].iloc[1:], lrt["Chisq diff"], rtol=1e-6)
    for lv, row in zip(t["level"], t.itertuples()):
        fit = pd.read_csv(REF / f"bfi_n_gender_{lv}_fit.csv").set_index("measure")["value"]
        assert_allclose([row.chisq, row.cfi, row.rmsea], [fit["chisq.scaled"], fit["cfi.scaled"], fit["rmsea.scaled"]],
                        rtol=1e-6)


def test_invariance_wlsmv_title_and_refusals(tmp_path):
    res = invoke("invariance", BFI, "--instrument", BFI / "instrument.yaml", "--model", _n_model(tmp_path),
                 "--by", "gender", "--estimator", "wlsmv")
    text = " ".join(res.stdout.split())
    assert res.exit_code == 0 and "1 n = 889, 2 n = 1805" in text and "WLSMV" in text and "n = 2694" in text
    res = invoke("invariance", BFI, "--instrument", BFI / "instrument.yaml", "--model", _n_model(tmp_path),
                 "--by", "gender", "--estimator", "wlsmv", "--partial")
    assert res.exit_code == 2 and "--partial" in res.output
    res = invoke("invariance", HS, "--instrument", HS / "instrument.yaml", "--definitions", HS / "indices.yaml",
                 "--by", "school", "--estimator", "wlsmv")
    assert res.exit_code == 2 and "continuous scale" in res.output


def test_thresholds_that_would_reveal_a_rare_answer_are_blank(tmp_path):
    """A threshold is Φ⁻¹ of a cumulative share: with n it gives the persons above it. An answer
    given by 3 persons must not follow from the printed thresholds (fip.disclosure.shown_cuts)."""
    import numpy as np

    rng = np.random.default_rng(4)
    theta = rng.standard_normal(400)
    items = {f"I{j}": np.digitize(0.8 * theta + 0.6 * rng.standard_normal(400), [-0.8, 0.0, 0.8]) + 1
             for j in range(1, 5)}
    items["I1"] = np.minimum(items["I1"], 3)
    items["I1"][np.argsort(theta)[-3:]] = 4                   # answer 4 of I1: exactly 3 persons
    folder = tmp_path / "d"
    folder.mkdir()
    pd.DataFrame({"person_id": range(1, 401), **items}).to_csv(folder / "forms.csv", index=False)
    (folder / "instrument.yaml").write_text("instrument: {id: rare}\nscale: {min: 1, max: 4}\nitems: [I1, I2, I3, I4]\n")
    model = tmp_path / "m.lav"
    model.write_text("f =~ I1 + I2 + I3 + I4\n")
    res = invoke("cfa", folder, "--instrument", folder / "instrument.yaml", "--model", model, "--estimator", "wlsmv",
                 "--format", "csv", "--out", tmp_path / "cfa.csv")
    assert res.exit_code == 0, res.stdout
    th = pd.read_csv(tmp_path / "cfa.thresholds.csv", comment="#")
    blank = th[th["value"].isna()]
    assert list(zip(blank["item"], blank["threshold"])) == [("I1", "t3")] and blank["se"].isna().all()
    assert th["value"].notna().sum() == 3 * 4 - 1
    js = json.loads(invoke("cfa", folder, "--instrument", folder / "instrument.yaml", "--model", model,
                           "--estimator", "wlsmv", "--format", "json").stdout)
    tau = [p for p in js["parameters"] if p["op"] == "|" and p["lhs"] == "I1" and p["rhs"] == "t3"]
    assert tau and tau[0]["estimate"] is None
    assert [t["value"] for t in js["thresholds"] if t["item"] == "I1" and t["threshold"] == "t3"] == [None]
    table = invoke("cfa", folder, "--instrument", folder / "instrument.yaml", "--model", model, "--estimator", "wlsmv")
    assert "1 threshold(s) blank" in " ".join(table.stdout.split())
