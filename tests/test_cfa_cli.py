"""`fip cfa`, `fip invariance` and the model-file parser (hypothesis)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from typer.testing import CliRunner

from fip.cfa.spec import ModelSpec, parse_model, read_model
from fip.cli import app
from fip.errors import ConfigError

ROOT = Path(__file__).parents[1]
HS = ROOT / "examples" / "data" / "holzinger"
REF = ROOT / "tests" / "reference" / "cfa"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


BASE = ("--instrument", HS / "instrument.yaml", "--definitions", HS / "indices.yaml")


def test_cli_cfa_json_contract():
    res = invoke("cfa", HS, *BASE, "--format", "json")
    assert res.exit_code == 0, res.stdout
    obj = json.loads(res.stdout)
    ref = pd.read_csv(REF / "hs_marker_fit.csv").set_index("measure")["value"]
    assert {"chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr"} <= set(obj["fit"])
    assert_allclose(obj["fit"]["chisq"], ref["chisq"], rtol=1e-6)
    assert_allclose(obj["fit"]["cfi"], ref["cfi"], rtol=1e-6)
    assert obj["n"] == 301
    est = pd.read_csv(REF / "hs_marker_estimates.csv")
    x2 = next(r for r in obj["loadings"] if r["item"] == "x2")
    row = est[(est.lhs == "visual") & (est.op == "=~") & (est.rhs == "x2")].iloc[0]
    assert set(x2) == {"factor", "item", "estimate", "se", "std"}
    assert_allclose([x2["estimate"], x2["se"], x2["std"]], [row["est"], row["se"], row["std.all"]], rtol=1e-5)


def test_cli_cfa_table_states_n_and_method(tmp_path):
    model = tmp_path / "m.lav"
    model.write_text("# HS with a residual covariance\nvisual =~ x1 + x2 + x3\ntextual =~ x4+x5+x6\nspeed =~ x7 + x8 + x9\nx7 ~~ x8\n")
    res = invoke("cfa", HS, "--instrument", HS / "instrument.yaml", "--model", model, "--modindices", "2")
    text = " ".join(res.stdout.split())
    assert res.exit_code == 0
    assert "n = 301" in text and "ML (normal likelihood" in text and "chi2(23) = 53.272" in text
    assert "The 2 largest modification indices" in text


def test_cli_cfa_bad_model_file(tmp_path):
    model = tmp_path / "bad.lav"
    model.write_text("visual =~ x1 + x2 + x3\nspeed ~ x7\n")
    res = invoke("cfa", HS, "--instrument", HS / "instrument.yaml", "--model", model)
    assert res.exit_code == 2
    assert "bad.lav, line 2: expected 'FACTOR =~ item + item'" in " ".join(res.output.split())
    assert "Traceback" not in res.output
    model.write_text("visual =~ x1 + x2 + nope\n")
    res = invoke("cfa", HS, "--instrument", HS / "instrument.yaml", "--model", model)
    assert res.exit_code == 2 and "nope" in res.output


def test_cli_invariance_csv_contract():
    res = invoke("invariance", HS, *BASE, "--by", "school", "--format", "csv")
    assert res.exit_code == 0, res.stdout
    t = pd.read_csv(io.StringIO(res.stdout))
    assert list(t.columns[:13]) == ["level", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "delta_chisq",
                                    "delta_df", "p_delta", "delta_cfi", "delta_rmsea"]
    ref = pd.read_csv(REF / "hs_school_invariance.csv")
    assert_allclose(t["chisq"], ref["chisq"], rtol=1e-6)
    assert_allclose(t["delta_cfi"].iloc[1:], ref["delta_cfi"].iloc[1:], rtol=1e-5)


def test_cli_invariance_title_and_small_group(tmp_path):
    res = invoke("invariance", HS, *BASE, "--by", "school", "--partial")
    text = " ".join(res.stdout.split())
    assert "Pasteur n = 156" in text and "Grant-White n = 145" in text and "Cheung & Rensvold" in text
    assert "x3 ~1; x7 ~1" in text
    # a group below the disclosure threshold is named, with the rule, never with its n
    d = tmp_path / "hs"
    d.mkdir()
    for f in HS.iterdir():
        (d / f.name).write_bytes(f.read_bytes())
    persons = pd.read_csv(d / "persons.csv")
    persons.loc[:2, "school"] = "Tiny"
    persons.to_csv(d / "persons.csv", index=False)
    res = invoke("invariance", d, "--instrument", d / "instrument.yaml", "--definitions", d / "indices.yaml",
                 "--by", "school")
    text = " ".join(res.stdout.split())
    assert res.exit_code == 0
    assert ("Tiny left out (fewer than 10 persons with complete answers; a group needs more persons than items, "
            "and at least the disclosure threshold)") in text
    assert "Tiny n =" not in text
    res = invoke("invariance", HS, *BASE, "--by", "nosuch")
    assert res.exit_code == 2 and "--by nosuch" in res.output


_name = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_name, min_size=1, max_size=4, unique=True), min_size=1, max_size=3), st.data())
def test_parser_roundtrip(item_groups, draw):
    # distinct names for items and factors
    seen: set[str] = set()
    factors = []
    for k, group in enumerate(item_groups):
        items = tuple(f"i_{x}" for x in group if f"i_{x}" not in seen)
        seen.update(items)
        if items:
            factors.append((f"F{k}", items))
    if not factors:
        return
    all_items = [i for _, its in factors for i in its]
    pairs = []
    if len(all_items) >= 2:
        a, b = draw.draw(st.sampled_from([(x, y) for x in all_items for y in all_items if x < y]))
        pairs.append((a, b))
    spec = ModelSpec(tuple(factors), tuple(pairs))
    text = spec.to_syntax().replace(" + ", draw.draw(st.sampled_from([" + ", "+", "  +   "])))
    text = "# model\n" + text.replace("\n", "  # c\n\n") + "\n"
    assert parse_model(text) == spec


@given(st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_parser_never_crashes(text):
    try:
        parse_model(text, source="m.lav")
    except ConfigError as exc:
        assert str(exc).startswith("m.lav")


def test_read_model_unreadable(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        read_model(tmp_path / "missing.lav")


def test_cli_cfa_fip_cohort_factor_family():
    # FIP's definitions overlap (overall + factor indices): --respondent picks citizen_factors
    res = invoke("cfa", "--respondent", "citizen")
    assert res.exit_code == 0, res.output
    assert "CFA of 11 items on 3 factors" in " ".join(res.stdout.split())
    res = invoke("cfa")
    assert res.exit_code == 2 and "more than one index" in res.output


def test_small_group_left_out_is_not_recoverable_by_subtraction(tmp_path):
    """Three persons answering in Farsi are left out (fewer than the 6 a 5-item group needs); the
    title then withholds the kept groups' sizes and n, which with ``fip cfa``'s n would give 3."""
    from fip.simulate.planted import PlantedDesign, simulate_planted

    cohort = simulate_planted(PlantedDesign(n_persons=300), seed=3)
    persons = cohort.persons.copy()
    persons.loc[:2, "answer_language"] = "fa"
    folder = tmp_path / "d"
    type(cohort)(cohort.forms, persons, cohort.design, cohort.effects, cohort.seed).write(folder)
    args = [folder, "--instrument", folder / "instrument.yaml", "--definitions", folder / "indices.yaml"]
    res = runner.invoke(app, ["invariance", *map(str, args), "--by", "answer_language", "--items",
                              "i01,i02,i03,i04,i05"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "fa left out" in text and "group sizes not shown" in text
    assert "n = 297" not in text and not re.search(r"\b(da|ar) n = \d+", text)
    whole = runner.invoke(app, ["invariance", *map(str, args), "--by", "gender", "--items", "i01,i02,i03,i04,i05"],
                          catch_exceptions=False)
    assert "n = 300" in " ".join(whole.output.split())  # nobody left out: the sizes are shown


# --- --estimator mlr and --nan-policy (issue 14 items 1, 4); references: make_reference_mlr.R


def _holes(tmp_path) -> Path:
    """The Holzinger-Swineford folder with make_reference_mlr.R's holes (x_j of person i missing when
    (i + 2j) mod 13 = 0; person 5 without answers): 94 complete rows of 301."""
    import numpy as np

    d = tmp_path / "holes"
    d.mkdir()
    for f in HS.iterdir():
        (d / f.name).write_bytes(f.read_bytes())
    forms = pd.read_csv(d / "forms.csv")
    for j in range(1, 10):
        forms.loc[(forms["person_id"] + 2 * j) % 13 == 0, f"x{j}"] = np.nan
    forms.loc[forms["person_id"] == 5, [f"x{j}" for j in range(1, 10)]] = np.nan
    forms.to_csv(d / "forms.csv", index=False)
    return d


def test_cli_cfa_mlr_json_contract():
    res = invoke("cfa", HS, *BASE, "--estimator", "mlr", "--format", "json")
    assert res.exit_code == 0, res.output
    obj = json.loads(res.stdout)
    ref = pd.read_csv(REF / "hs_mlr_fit.csv").set_index("measure")["value"]
    fit = obj["fit"]
    # the contract: scaled statistics under the plain names, the unscaled ones suffixed _naive
    for ours, theirs in [("chisq", "chisq.scaled"), ("pvalue", "pvalue.scaled"), ("cfi", "cfi.scaled"),
                         ("tli", "tli.scaled"), ("rmsea", "rmsea.scaled"), ("rmsea_ci_low", "rmsea.ci.lower.scaled"),
                         ("rmsea_ci_high", "rmsea.ci.upper.scaled"), ("srmr", "srmr"), ("chisq_naive", "chisq"),
                         ("cfi_naive", "cfi"), ("rmsea_naive", "rmsea"), ("cfi_robust", "cfi.robust"),
                         ("rmsea_robust", "rmsea.robust"), ("scaling_factor", "chisq.scaling.factor")]:
        assert_allclose(fit[ours], ref[theirs], rtol=1e-4, err_msg=ours)
    assert fit["df"] == 24 and obj["estimator"] == "mlr" and obj["n"] == 301
    est = pd.read_csv(REF / "hs_mlr_estimates.csv")
    x9 = next(r for r in obj["loadings"] if r["item"] == "x9")
    row = est[(est.lhs == "speed") & (est.op == "=~") & (est.rhs == "x9")].iloc[0]
    assert_allclose([x9["estimate"], x9["se"], x9["std"]], [row["est"], row["se"], row["std.all"]], rtol=1e-4)
    assert "Huber-White" in obj["method"] and "Yuan-Bentler" in obj["method"]


def test_cli_cfa_mlr_title_names_estimator_se_and_test():
    res = invoke("cfa", HS, *BASE, "--estimator", "mlr")
    text = " ".join(res.stdout.split())
    assert res.exit_code == 0
    assert 'MLR (ML estimates, robust Huber-White SEs from the observed information, Yuan-Bentler scaled chi2' in text
    assert "n = 301" in text and "scaled chi2(24) = 87.132" in text and "scaling factor 0.9790" in text
    assert "robust CFI = 0.930" in text and "unscaled chi2 = 85.306" in text


def test_cli_invariance_mlr_csv_scaled_difference():
    res = invoke("invariance", HS, *BASE, "--by", "school", "--estimator", "mlr", "--format", "csv")
    assert res.exit_code == 0, res.output
    t = pd.read_csv(io.StringIO(res.stdout))
    assert list(t.columns[:13]) == ["level", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "delta_chisq",
                                    "delta_df", "p_delta", "delta_cfi", "delta_rmsea"]
    ref = pd.read_csv(REF / "hs_mlr_school_invariance.csv")
    assert_allclose(t["chisq"], ref["chisq.scaled"], rtol=1e-5)
    assert_allclose(t["delta_chisq"].iloc[1:], ref["delta_chisq"].iloc[1:], rtol=1e-4)
    assert_allclose(t["p_delta"].iloc[1:], ref["p_delta"].iloc[1:], rtol=1e-4)
    title = " ".join(invoke("invariance", HS, *BASE, "--by", "school", "--estimator", "mlr").stdout.split())
    assert "Satorra-Bentler 2001 scaled difference" in title and "MLR" in title


def test_cli_pairwise_states_rows_used(tmp_path):
    d = _holes(tmp_path)
    args = ("--instrument", d / "instrument.yaml", "--definitions", d / "indices.yaml")
    res = invoke("cfa", d, *args, "--nan-policy", "pairwise", "--format", "json")
    assert res.exit_code == 0, res.output
    obj = json.loads(res.stdout)
    ref = pd.read_csv(REF / "hs_pairwise_fit.csv").set_index("measure")["value"]
    assert_allclose(obj["fit"]["chisq"], ref["chisq"], rtol=1e-6)
    assert obj["n"] == 300 and obj["n_pairs_min"] == 252 and obj["nan_policy"] == "pairwise"
    text = " ".join(invoke("cfa", d, *args, "--nan-policy", "pairwise").stdout.split())
    assert 'pairwise (covariances from the persons answering both items, as lavaan missing="pairwise")' in text
    assert "n = 300 persons with an answer (fewest answering a pair of items: 252)" in text
    listwise = " ".join(invoke("cfa", d, *args).stdout.split())
    assert "listwise, round 1, n = 94;" in listwise
    res = invoke("invariance", d, *args, "--by", "school", "--nan-policy", "pairwise")
    text = " ".join(res.stdout.split())
    assert res.exit_code == 0 and "Pasteur n = 155, Grant-White n = 145" in text and "n = 300 persons" in text


@pytest.mark.parametrize("command", [("cfa",), ("invariance", "--by", "school")])
def test_cli_mlr_pairwise_refused(tmp_path, command):
    d = _holes(tmp_path)
    res = invoke(*command, d, "--instrument", d / "instrument.yaml", "--definitions", d / "indices.yaml",
                 "--estimator", "mlr", "--nan-policy", "pairwise")
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.output.strip().count("\n") == 0
    assert "--estimator mlr with --nan-policy pairwise" in res.output and "lavaan refuses" in res.output
    res = invoke(*command, d, "--instrument", d / "instrument.yaml", "--definitions", d / "indices.yaml",
                 "--estimator", "wls")
    assert res.exit_code == 2 and "--estimator must be one of 'ml', 'mlr'" in res.output


def test_cli_cfa_saturated_json_has_nulls(tmp_path):
    model = tmp_path / "m3.lav"
    model.write_text("visual =~ x1 + x2 + x3\n")
    for est in ("ml", "mlr"):
        res = invoke("cfa", HS, "--instrument", HS / "instrument.yaml", "--model", model, "--estimator", est,
                     "--format", "json")
        assert res.exit_code == 0, res.output
        fit = json.loads(res.stdout)["fit"]
        assert fit["df"] == 0 and fit["pvalue"] is None


def test_cli_pairwise_covariance_from_few_persons_is_refused(tmp_path):
    """n = 301 clears --min-cell 50, but x1 answered by persons 1-40 (ids have gaps: fewer than 40 persons)
    leaves covariances resting on fewer than 50."""
    import numpy as np

    d = tmp_path / "few"
    d.mkdir()
    for f in HS.iterdir():
        (d / f.name).write_bytes(f.read_bytes())
    forms = pd.read_csv(d / "forms.csv")
    forms.loc[forms["person_id"] > 40, "x1"] = np.nan
    forms.to_csv(d / "forms.csv", index=False)
    args = (d, "--instrument", d / "instrument.yaml", "--definitions", d / "indices.yaml", "--nan-policy", "pairwise")
    res = invoke("cfa", *args, "--min-cell", "50")
    assert res.exit_code == 2
    assert "a pairwise covariance of the confirmatory factor analysis rests on fewer than 50 persons" in res.output
    res = invoke("cfa", *args, "--format", "json")
    assert res.exit_code == 0 and json.loads(res.stdout)["n_pairs_min"] == int(forms["x1"].notna().sum()) < 40


def test_cli_fiml(tmp_path):
    d = _holes(tmp_path)
    args = (d, "--instrument", d / "instrument.yaml", "--definitions", d / "indices.yaml", "--nan-policy", "fiml")
    res = invoke("cfa", *args, "--format", "json")
    assert res.exit_code == 0, res.output
    obj = json.loads(res.stdout)
    ref = pd.read_csv(REF / "hs_fiml_fit.csv").set_index("measure")["value"]
    assert_allclose([obj["fit"]["chisq"], obj["fit"]["cfi"]], [ref["chisq"], ref["cfi"]], rtol=1e-6)
    assert obj["n"] == 300 and 'missing=\\"ml\\"' not in obj["method"] and 'missing="ml"' in obj["method"]
    text = " ".join(invoke("cfa", *args).stdout.split())
    assert "observed-information SEs" in text and "n = 300 persons with an answer (10 answer patterns)" in text
    for extra in (("cfa", "--modindices", "2"), ("cfa", "--estimator", "mlr"), ("invariance", "--by", "school", "--partial")):
        res = invoke(extra[0], *args, *extra[1:])
        assert res.exit_code == 2 and "not built" in res.output and "Traceback" not in res.output
