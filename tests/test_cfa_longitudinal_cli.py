"""`fip invariance --over rounds`: longitudinal invariance from the command line.

The default cohort is simulate_cohort(seed=0), whose citizen items in rounds 1 and 2 are
tests/reference/cfa/fip_citizen_wide.csv: the CSV must reproduce lavaan's sequence
(fip_long_invariance.csv; χ², p and fit indices within 1e-6 relative, as tests/test_cfa_longitudinal.py).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from typer.testing import CliRunner

from fip.cli import app

ROOT = Path(__file__).parents[1]
HS = ROOT / "examples" / "data" / "holzinger"
REF = ROOT / "tests" / "reference" / "cfa"
runner = CliRunner()
CONTRACT = ["level", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "delta_chisq", "delta_df", "p_delta",
            "delta_cfi", "delta_rmsea"]


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _fold(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def cohort_csv():
    res = invoke("invariance", "--over", "rounds", "--respondent", "citizen", "--format", "csv")
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.mark.slow
def test_csv_contract_and_lavaan_values(cohort_csv):
    tab = pd.read_csv(io.StringIO(cohort_csv), comment="#")
    assert list(tab.columns[: len(CONTRACT)]) == CONTRACT
    ref = pd.read_csv(REF / "fip_long_invariance.csv")
    assert tab["level"].tolist() == ref["level"].tolist()
    for col in ("chisq", "df", "cfi", "tli", "rmsea", "delta_chisq", "delta_df", "p_delta"):
        assert_allclose(tab[col].to_numpy(float), ref[col].to_numpy(float), rtol=1e-6, equal_nan=True, err_msg=col)


@pytest.mark.slow
def test_table_title_states_n_method_and_rule(tmp_path):
    out = tmp_path / "long.md"
    res = invoke("invariance", "--over", "rounds", "--respondent", "citizen", "--format", "md", "--out", out)
    assert res.exit_code == 0, res.output
    text = _fold(out.read_text())
    assert "482 persons measured in both rounds, n = 482 with complete answers to the 11 items (citizen items)" in text
    assert "the same item's residuals correlated over rounds" in text and "as lavaan cfa()" in text
    assert "Cheung & Rensvold 2002" in text and "round-2 latent means free" in text
    means = _fold((tmp_path / "long.latent_means.md").read_text())
    assert "Latent means of round 2" in means and "citizen_danish" in means


def _tiny(tmp_path: Path, n_both: int, n_single: int = 30, seed: int = 0) -> list[str]:
    """Smallest layout with dates: forms (person_id, answered_on, a, b, c), a 3-item instrument."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_single + n_both):
        f = rng.normal()
        for r in (1, 2) if k < n_both else (1,):
            x = np.clip(np.round(4 + f + 0.2 * (r - 1) + rng.normal(size=3) * 0.8), 1, 7).astype(int)
            rows.append({"person_id": f"x{k:03d}", "answered_on": f"2020-0{2 * r}-15", "a": x[0], "b": x[1], "c": x[2]})
    d = tmp_path / "tiny"
    d.mkdir()
    pd.DataFrame(rows).to_csv(d / "forms.csv", index=False)
    (d / "instrument.yaml").write_text("instrument: {id: tiny}\nscale: {min: 1, max: 7}\nitems: [a, b, c]\n")
    (d / "model.lav").write_text("F =~ a + b + c\n")
    return [str(d), "--instrument", str(d / "instrument.yaml"), "--model", str(d / "model.lav")]


def test_smallest_layout_with_dates(tmp_path):
    args = _tiny(tmp_path, n_both=200)
    res = invoke("invariance", *args, "--over", "rounds", "--format", "csv")
    assert res.exit_code == 0, res.output
    tab = pd.read_csv(io.StringIO(res.stdout), comment="#")
    assert tab["df"].tolist() == [5, 7, 9, 12]  # 6 columns: 27 moments; 22, 20, 18, 15 parameters


def test_few_persons_in_both_rounds_are_not_shown(tmp_path):
    args = _tiny(tmp_path, n_both=4)
    res = invoke("invariance", *args, "--over", "rounds")
    assert res.exit_code == 2
    assert "rests on fewer than 5 persons" in res.output and len(res.output.strip().splitlines()) == 1


def test_one_measurement_says_so():
    res = invoke("invariance", HS, "--instrument", HS / "instrument.yaml", "--definitions", HS / "indices.yaml",
                 "--over", "rounds")
    assert res.exit_code == 2
    assert res.output.strip().count("\n") == 0
    assert "every person has one measurement" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("extra, message", [
    (("--by", "school"), "not both"),
    (("--round", "2"), "--round: not used with --over rounds"),
    (("--over", "time"), "--over must be one of 'rounds'"),
])
def test_bad_options(extra, message):
    args = ["invariance", HS, "--instrument", HS / "instrument.yaml", "--definitions", HS / "indices.yaml"]
    if "--over" not in extra:
        args += ["--over", "rounds"]
    res = invoke(*args, *extra)
    assert res.exit_code == 2 and message in _fold(res.output)
