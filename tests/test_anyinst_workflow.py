"""Issue 14's first "Done when": both public datasets, each in the smallest layout (a forms
file with ``person_id`` and the items, a persons file with the background columns the data
have, no invented columns), run every validation command a researcher would run.

The datasets are psych::bfi (25 Likert items scored 1-6, reverse keys) and lavaan's
Holzinger-Swineford (9 continuous test scores), as exported by examples/data/export.R. Each
command must succeed and state the number of rows it used; that number is checked against the
raw CSV files read here with pandas (listwise: rows with every analysed item answered). The
values themselves are checked against R in the modules' own tests (test_anyinst, test_cfa,
test_irt, ...); here the point is that the whole workflow runs on data nobody had to invent.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from fip.cli import app

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "examples" / "data"
runner = CliRunner()

# dataset folder, a person column to group by, the items of one scale for the IRT model
CASES = {
    "bfi": ("gender", ["N1", "N2", "N3", "N4", "N5"]),
    "holzinger": ("school", None),          # continuous: the GRM does not apply
}


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def folded(text: str) -> str:
    return " ".join(text.split())


def stated_n(text: str) -> int:
    """The first 'n = N' a title states."""
    found = re.search(r"\bn = (\d[\d,]*)", folded(text))
    assert found, f"no 'n = ' in output: {text[:300]!r}"
    return int(found.group(1).replace(",", ""))


@pytest.mark.parametrize("name", list(CASES))
def test_smallest_layout_has_no_invented_columns(name):
    folder = DATA / name
    assert sorted(p.name for p in folder.iterdir()) == ["forms.csv", "indices.yaml", "instrument.yaml", "persons.csv"]
    instrument = yaml.safe_load((folder / "instrument.yaml").read_text())
    assert {"instrument", "scale", "items"} <= set(instrument) <= {"instrument", "scale", "items", "domains"}
    forms = pd.read_csv(folder / "forms.csv", nrows=1)
    items = [i if isinstance(i, str) else i["id"] for i in instrument["items"]]
    assert list(forms.columns) == ["person_id", *items]          # no date, caseworker, round or language
    persons = pd.read_csv(folder / "persons.csv", nrows=1)
    assert not {"municipality", "caseworker_id", "birth_year", "arrival_date"} & set(persons.columns)


@pytest.mark.parametrize("name", list(CASES))
def test_every_validation_command_runs_and_states_its_n(name, tmp_path):
    folder = DATA / name
    by, irt_items = CASES[name]
    inst = ("--instrument", folder / "instrument.yaml")
    defs = ("--definitions", folder / "indices.yaml")
    forms = pd.read_csv(folder / "forms.csv")
    persons = pd.read_csv(folder / "persons.csv")
    items = [c for c in forms.columns if c != "person_id"]
    complete = int(forms[items].notna().all(axis=1).sum())

    res = invoke("validate", folder, *inst)
    assert res.exit_code == 0 and "valid dataset" in res.stdout and f"{len(forms):,} persons" in folded(res.stdout)

    res = invoke("describe", folder, *inst)
    assert res.exit_code == 0 and f"{len(forms):,} measurements" in folded(res.stdout)

    res = invoke("factor", folder, *inst, "--n-factors", "3")
    assert res.exit_code == 0 and stated_n(res.stdout) == complete

    res = invoke("correlation", folder, *inst)
    assert res.exit_code == 0 and stated_n(res.stdout) == complete
    res = invoke("correlation", folder, *inst, "--format", "csv")
    matrix = pd.read_csv(io.StringIO(res.stdout), index_col=0)
    assert list(matrix.index) == items and abs(matrix.loc[items[0], items[1]] -
                                               forms[items].dropna().corr().loc[items[0], items[1]]) < 1e-9

    res = invoke("indices", folder, *inst, *defs, "--format", "csv")
    assert res.exit_code == 0
    table = pd.read_csv(io.StringIO(res.stdout))
    definitions = yaml.safe_load((folder / "indices.yaml").read_text())["indices"]
    assert list(table["index"]) == [d["id"] for d in definitions]
    for d, n_obs in zip(definitions, table["n_obs"]):
        assert n_obs == int(forms[d["items"]].notna().all(axis=1).sum())
    if name == "bfi":       # reverse keys listed in the definitions are applied: no negative alpha
        assert any(d.get("reverse") for d in definitions) and (table["alpha"] > 0.5).all()

    res = invoke("cfa", folder, *inst, *defs)
    assert res.exit_code == 0 and "CFI" in res.stdout
    cfa_items = sorted({i for d in definitions for i in d["items"]})
    assert stated_n(res.stdout) == int(forms[cfa_items].notna().all(axis=1).sum())

    res = invoke("invariance", folder, *inst, *defs, "--by", by, "--format", "csv")
    assert res.exit_code == 0
    steps = pd.read_csv(io.StringIO(res.stdout))
    assert {"configural", "metric", "scalar"} <= set(steps.iloc[:, 0])
    res = invoke("invariance", folder, *inst, *defs, "--by", by)
    assert f"Measurement invariance by {by}" in folded(res.stdout)
    sizes = persons.set_index("person_id").loc[forms.dropna(subset=cfa_items)["person_id"], by].value_counts()
    for group, n in sizes.items():
        assert f"{group} n = {n}" in folded(res.stdout).replace(",", "")

    if irt_items:
        res = invoke("irt", folder, *inst, "--items", ",".join(irt_items), "--dif-by", by,
                     "--format", "csv", "--out", tmp_path / "irt.csv")
        assert res.exit_code == 0
        params = pd.read_csv(tmp_path / "irt.csv")
        assert set(params["item"]) == set(irt_items)
        assert set(pd.read_csv(tmp_path / "irt.dif.csv")["item"]) == set(irt_items)
    else:
        res = runner.invoke(app, ["irt", str(folder), "--instrument", str(folder / "instrument.yaml")])
        assert res.exit_code == 2 and "continuous scale" in res.stderr and "Traceback" not in res.output

    out = tmp_path / "validity.html"
    res = invoke("validity", folder, *inst, *defs, "--by", by, "--out", out)
    assert res.exit_code == 0 and out.exists()
    page = out.read_text()
    for heading in ("Structural validity", "Internal consistency", "invariance"):
        assert heading.lower() in page.lower()
    page_text = folded(page).replace(",", "")
    assert f"n = {complete}" in page_text or f"n = {int(forms[cfa_items].notna().all(axis=1).sum())}" in page_text
