"""Any instrument, any layout, reverse keys (issue 14, items 1 and 2).

Reference values: tests/reference/anyinst/make_reference.R (R 4.2.2, psych 2.2.9) on the
public psych::bfi data as exported by examples/data/export.R.
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from typer.testing import CliRunner

from fip.cli import app
from fip.data import load_dataset, pair_forms, validate_dataset
from fip.errors import ConfigError, InvalidDataError, ReverseKeyWarning
from fip.indices import derive_index_definitions, load_index_definitions, score_indices
from fip.instrument import instrument_from_dict, load_instrument
from fip.reliability import cronbach_alpha, item_rest_statistics, reliability_table

ROOT = Path(__file__).resolve().parents[1]
BFI = ROOT / "examples" / "data" / "bfi"
HS = ROOT / "examples" / "data" / "holzinger"
REF = json.loads((Path(__file__).parent / "reference" / "anyinst" / "reference.json").read_text())["scales"]
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def bfi():
    return load_dataset(BFI, load_instrument(BFI / "instrument.yaml"))


@pytest.fixture(scope="module")
def bfi_defs(bfi):
    return load_index_definitions(BFI / "indices.yaml", instrument=bfi.instrument)


# ----------------------------------------------------------------------------- instrument

def test_smallest_instrument_file():
    inst = instrument_from_dict({"instrument": {"id": "x"}, "scale": {"min": 1, "max": 6}, "items": ["A1", "b2"]})
    assert inst.item_ids() == ("A1", "b2") and inst.respondent_ids == ("respondent",)
    assert not inst.pairs_forms and inst.answer_languages == () and inst.scale.values == (1, 2, 3, 4, 5, 6)
    assert inst.label("A1", "da") == "A1"  # no wording: the id is the label
    cont = instrument_from_dict({"instrument": {"id": "y"}, "scale": "continuous",
                                 "items": [{"id": "x1", "text": "cubes", "domain": "visual"}], "domains": ["visual"]})
    assert cont.scale.continuous and cont.label("x1", "en") == "cubes" and cont.label_languages == ("en",)


def test_fip_instrument_still_pairs_and_needs_its_keys():
    fip = load_instrument()
    assert fip.pairs_forms and fip.answer_languages[0] == "da"
    with pytest.raises(ConfigError, match="scale"):
        instrument_from_dict({"instrument": {"id": "x"}, "scale": "ordinal", "items": ["a"]}, source="i.yaml")
    with pytest.raises(ConfigError, match="i.yaml: items.a.domain: unknown domain 'z'"):
        instrument_from_dict({"instrument": {"id": "x"}, "scale": {"min": 1, "max": 5}, "domains": ["y"],
                              "items": [{"id": "a", "domain": "z"}]}, source="i.yaml")


# ----------------------------------------------------------------------------- layout

def test_public_datasets_load_in_the_smallest_layout(bfi):
    assert len(bfi.persons) == 2800 and len(bfi.forms) == 2800
    assert list(bfi.persons.columns) == ["person_id", "gender", "education", "age"]  # kept, nothing invented
    assert set(bfi.persons["gender"].dropna()) == {1, 2}
    assert str(bfi.forms["A1"].dtype) == "Int64" and len(bfi.outcomes) == 0
    m = pair_forms(bfi).measurements
    assert len(m) == 2800 and set(m["round"]) == {1} and list(m.columns[:2]) == ["person_id", "round"]
    hs = load_dataset(HS, load_instrument(HS / "instrument.yaml"))
    assert hs.forms["x1"].dtype == "float64" and len(hs.forms) == 301
    raw = pd.read_csv(HS / "forms.csv")
    assert_allclose(hs.forms["x1"].to_numpy(), raw["x1"].to_numpy(), rtol=0, atol=0)  # decimals as written
    assert list(hs.persons.columns) == ["person_id", "sex", "ageyr", "agemo", "school", "grade"]


def _write(folder: Path, forms: str, persons: str | None = None) -> Path:
    folder.mkdir()
    (folder / "forms.csv").write_text(forms, encoding="utf-8")
    if persons is not None:
        (folder / "persons.csv").write_text(persons, encoding="utf-8")
    return folder


def test_problems_of_the_smallest_layout_name_file_row_and_column(tmp_path):
    inst = instrument_from_dict({"instrument": {"id": "x"}, "scale": {"min": 1, "max": 6}, "items": ["A1", "A2"]})
    d = _write(tmp_path / "a", "person_id,a1,A2\n1,3,4\n")
    problems = [str(p) for p in validate_dataset(d, inst)]
    assert problems == ["forms.csv, row 1, column 'A1': expected a column for item 'A1' of instrument 'x' "
                        "(found 'a1': ids match the data as written)"]
    d = _write(tmp_path / "b", "person_id,A1,A2\n1,3.5,4\n2,7,x\n1,2,2\n", "person_id,age\n1,30\n")
    problems = [str(p) for p in validate_dataset(d, inst)]
    assert "forms.csv, row 2, column 'A1': got '3.5'; expected a whole number from 1 to 6 (or an empty cell)" in problems
    assert "forms.csv, row 3, column 'A1': got '7'; expected a whole number from 1 to 6 (or an empty cell)" in problems
    assert "forms.csv, row 3, column 'A2': got 'x'; expected a whole number from 1 to 6 (or an empty cell)" in problems
    assert any(p.startswith("forms.csv, row 4, column 'person_id'") and "row 2" in p for p in problems)
    assert "forms.csv, row 3, column 'person_id': expected a person listed in persons.csv" in problems
    with pytest.raises(InvalidDataError):
        load_dataset(d, inst)
    cont = instrument_from_dict({"instrument": {"id": "x"}, "scale": "continuous", "items": ["A1", "A2"]})
    ok = _write(tmp_path / "c", "person_id;A1;A2\n1;3,25;-1e2\n2;;0.5\n")
    ds = load_dataset(ok, cont)
    assert ds.forms["A1"].tolist()[0] == 3.25 and ds.forms["A2"].tolist() == [-100.0, 0.5]


def test_cli_validate_describe_factor_indices_on_both_public_datasets(tmp_path):
    for folder in (BFI, HS):
        inst = folder / "instrument.yaml"
        res = invoke("validate", folder, "--instrument", inst)
        assert res.exit_code == 0 and "valid dataset for instrument" in res.stdout and "Funnel" not in res.stdout
        res = invoke("describe", folder, "--instrument", inst, "--format", "csv")
        assert res.exit_code == 0
        res = invoke("factor", folder, "--instrument", inst, "--n-factors", "3", "--format", "csv")
        assert res.exit_code == 0 and list(pd.read_csv(io.StringIO(res.stdout)).columns) == ["item", "factor", "loading", "n"]
    res = invoke("describe", BFI, "--instrument", BFI / "instrument.yaml", "--format", "csv", "--items", "A1,A2",
                 "--nan-policy", "listwise")
    table = pd.read_csv(io.StringIO(res.stdout))
    assert set(table["item"]) == {"A1", "A2"} and set(table["gender"]) == {"1", "2", "all"}
    raw = pd.read_csv(BFI / "forms.csv").dropna(subset=["A1", "A2"])
    all_a1 = table[(table["item"] == "A1") & (table["gender"] == "all")].iloc[0]
    assert all_a1["n"] == len(raw) and abs(all_a1["mean"] - raw["A1"].mean()) < 1e-12
    res = invoke("describe", BFI, "--instrument", BFI / "instrument.yaml", "--progression")
    assert res.exit_code == 2 and "needs two rounds" in res.stderr
    res = invoke("factor", BFI, "--instrument", BFI / "instrument.yaml", "--items", "A1,Z9")
    assert res.exit_code == 2 and "unknown item(s) Z9" in res.stderr


# ----------------------------------------------------------------------------- keys

@pytest.mark.parametrize("name", list(REF))
def test_alpha_and_omega_with_keys_match_psych(bfi, bfi_defs, name):
    ref = REF[name]
    d = next(x for x in bfi_defs if x.id == name)
    assert list(d.reverse) == ([ref["reverse"]] if isinstance(ref["reverse"], str) else list(ref["reverse"]))
    block = bfi.forms[list(d.items)]
    # closed forms on the same numbers: agreement to rounding (1e-10)
    listwise = cronbach_alpha(block, reverse=d.reverse)
    assert listwise.n_obs == ref["n_listwise"]
    assert_allclose(listwise.alpha, ref["raw_alpha_listwise"], rtol=0, atol=1e-10)
    pairwise = cronbach_alpha(block, reverse=d.reverse, nan_policy="pairwise")
    assert pairwise.n_obs == ref["n_pairwise"]
    assert_allclose(pairwise.alpha, ref["raw_alpha_pairwise"], rtol=0, atol=1e-10)
    assert_allclose(cronbach_alpha(block).alpha, ref["raw_alpha_unkeyed_listwise"], rtol=0, atol=1e-10)
    stats = item_rest_statistics(block, d.reverse)
    assert_allclose(stats["item_rest_r"].to_numpy(), ref["r_drop_listwise"], rtol=0, atol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReverseKeyWarning)  # keyed: no item pulls the other way
        table = reliability_table(bfi.forms, [d])
    # omega: one-factor minres fitted iteratively by fip and by psych: 1e-6
    assert_allclose(table["omega"].iloc[0], ref["omega_total_keyed"], rtol=0, atol=1e-6)
    scores = score_indices(bfi.forms.dropna(subset=list(d.items)).assign(round=1), [d], scale=bfi.instrument.scale)
    assert_allclose(scores[name].mean(), ref["mean_score_listwise"], rtol=0, atol=1e-10)


def test_unreversed_items_give_a_warning_naming_them(bfi, bfi_defs):
    d = next(x for x in bfi_defs if x.id == "conscientiousness")
    from dataclasses import replace

    with pytest.warns(ReverseKeyWarning, match=r"'conscientiousness': item\(s\) .*C4 \(-0\.\d\d\), C5 \(-0\.\d\d\) correlate negatively"):
        table = reliability_table(bfi.forms, [replace(d, reverse=())])
    assert_allclose(table["alpha"].iloc[0], REF["conscientiousness"]["raw_alpha_unkeyed_listwise"], atol=1e-10)
    # fip's omega does not flip: without keys it differs from psych's flipped omega
    assert abs(table["omega"].iloc[0] - REF["conscientiousness"]["omega_total_psych_flip"]) > 0.05


def test_derived_definitions_propose_psychs_keys(bfi):
    from fip.factors import factor_analysis

    fit = factor_analysis(bfi.forms[list(bfi.instrument.item_ids())].astype("float64"), n_factors=5,
                          rotation="varimax")
    derived = derive_index_definitions(fit.loadings)
    groups = {frozenset(d.items): set(d.reverse) for d in derived}
    keyed = {frozenset(s["items"]): set([s["reverse"]] if isinstance(s["reverse"], str) else s["reverse"])
             for s in REF.values()}
    assert groups == keyed  # the five scales, with psych's reverse keys


def test_reverse_must_list_items_of_the_index(tmp_path):
    p = tmp_path / "defs.yaml"
    p.write_text("indices:\n  - {id: a, items: [A1, A2], reverse: [A3]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"defs.yaml: indices\[0\] \(a\): 'reverse' must list items"):
        load_index_definitions(p)


def test_cli_indices_with_keys_keeps_its_csv_columns(tmp_path):
    fip_cols = pd.read_csv(io.StringIO(invoke("indices", "--format", "csv").stdout)).columns
    res = invoke("indices", BFI, "--instrument", BFI / "instrument.yaml", "--definitions", BFI / "indices.yaml",
                 "--format", "csv")
    assert res.exit_code == 0, res.stderr
    table = pd.read_csv(io.StringIO(res.stdout)).set_index("index")
    assert list(table.reset_index().columns) == list(fip_cols)
    for name, ref in REF.items():
        assert_allclose(table.loc[name, "alpha"], ref["raw_alpha_listwise"], rtol=0, atol=1e-10)
        assert table.loc[name, "n_obs"] == ref["n_listwise"]
    res = invoke("indices", BFI, "--instrument", BFI / "instrument.yaml", "--definitions", BFI / "indices.yaml",
                 "--format", "csv", "--nan-policy", "pairwise")
    table = pd.read_csv(io.StringIO(res.stdout)).set_index("index")
    for name, ref in REF.items():
        assert_allclose(table.loc[name, "alpha"], ref["raw_alpha_pairwise"], rtol=0, atol=1e-10)
    hs = invoke("indices", HS, "--instrument", HS / "instrument.yaml", "--format", "csv")
    assert list(pd.read_csv(io.StringIO(hs.stdout))["index"]) == ["visual", "textual", "speed"]


# ----------------------------------------------------------------------------- adequacy, correlation

ADEQ = json.loads((Path(__file__).parent / "reference" / "anyinst" / "adequacy.json").read_text())


def test_cli_adequacy_matches_psych_kmo_and_bartlett():
    res = invoke("adequacy", BFI, "--instrument", BFI / "instrument.yaml", "--n-iter", "5", "--format", "csv")
    assert res.exit_code == 0, res.stderr
    t = pd.read_csv(io.StringIO(res.stdout))
    ref = ADEQ["bfi"]
    assert set(t["n"]) == {ref["n_listwise"]}
    kmo = t[t["statistic"] == "kmo"].set_index("item")["value"]
    # closed forms from the same correlation matrix: 1e-10
    assert_allclose(kmo["overall"], ref["kmo_overall"], rtol=0, atol=1e-10)
    assert_allclose(kmo[list(ref["kmo_items"])].to_numpy(), list(ref["kmo_items"].values()), rtol=0, atol=1e-10)
    stat = t.set_index("statistic")["value"]
    assert_allclose(stat["bartlett_chi2"], ref["bartlett_chi2"], rtol=1e-10)
    assert stat["bartlett_df"] == ref["bartlett_df"]
    again = invoke("adequacy", BFI, "--instrument", BFI / "instrument.yaml", "--n-iter", "5", "--format", "csv")
    assert again.stdout == res.stdout  # seeded parallel analysis


def test_cli_correlation_listwise_and_pairwise():
    res = invoke("correlation", HS, "--instrument", HS / "instrument.yaml", "--items", "x1,x2,x3", "--format", "csv")
    t = pd.read_csv(io.StringIO(res.stdout)).set_index("item")   # the square matrix (the output contract)
    assert list(t.columns) == ["x1", "x2", "x3"] == list(t.index)
    assert_allclose(t.to_numpy(), ADEQ["holzinger"]["r"], rtol=0, atol=1e-12)
    table = invoke("correlation", HS, "--instrument", HS / "instrument.yaml", "--items", "x1,x2,x3")
    assert f"listwise, n = {ADEQ['holzinger']['n']}" in " ".join(table.stdout.split())
    res = invoke("correlation", BFI, "--instrument", BFI / "instrument.yaml", "--items", "A1,A2",
                 "--nan-policy", "pairwise")
    assert f"n = {ADEQ['bfi']['n_A1_A2_pairwise']} (smallest pair)" in " ".join(res.stdout.split())  # the title wraps
    res = invoke("correlation", BFI, "--instrument", BFI / "instrument.yaml", "--items", "A1,A2",
                 "--nan-policy", "pairwise", "--format", "csv")
    t = pd.read_csv(io.StringIO(res.stdout)).set_index("item")
    assert_allclose(t.loc["A1", "A2"], ADEQ["bfi"]["r_A1_A2_pairwise"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("command", [["replicate", "--out", "OUT"], ["regress"], ["train", "--out", "OUT/m.json"]])
def test_commands_needing_rounds_say_so(tmp_path, command):
    args = [str(tmp_path / "x") if a == "OUT" else a.replace("OUT", str(tmp_path)) for a in command]
    if command[0] == "replicate":
        args = ["replicate", str(HS), "--instrument", str(HS / "instrument.yaml"), *args[1:]]
    else:
        args = [args[0], str(HS), "--instrument", str(HS / "instrument.yaml"), *args[1:]]
    res = invoke(*args)
    assert res.exit_code == 2
    assert "needs forms paired into measurements" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "x").exists()


# ----------------------------------------------------------------------------- Stata's alpha

STATA = json.loads((Path(__file__).parent / "reference" / "anyinst" / "stata.json").read_text())["scales"]


def _as_list(v):
    return [v] if isinstance(v, str) else list(v)


@pytest.mark.parametrize("name", list(STATA))
def test_stata_conventions_match_the_independent_r_implementation(bfi, bfi_defs, name):
    ref = STATA[name]
    d = next(x for x in bfi_defs if x.id == name)
    block = bfi.forms[list(d.items)]
    auto = cronbach_alpha(block, convention="stata")
    # the first factor's sign is arbitrary: Stata's choice is the set or its complement (same alpha)
    chosen = set(auto.reversed.split())
    assert chosen in (set(_as_list(ref["auto_reversed"])), set(d.items) - set(_as_list(ref["auto_reversed"])))
    # same closed form in both implementations, on the same numbers: 1e-10
    assert_allclose(auto.alpha, ref["alpha_auto"], rtol=0, atol=1e-10)
    keyed = cronbach_alpha(block, convention="stata", reverse=d.reverse)
    assert keyed.reversed == " ".join(d.reverse) and keyed.n_obs == ref["n"]
    assert_allclose(keyed.alpha, ref["alpha_keys"], rtol=0, atol=1e-10)
    asis = cronbach_alpha(block, convention="stata_asis")
    if ref["alpha_asis"] is None:  # negative: Stata shows a missing value
        assert np.isnan(asis.alpha)
    else:
        assert_allclose(asis.alpha, ref["alpha_asis"], rtol=0, atol=1e-10)


def test_conventions_agree_on_complete_data(bfi, bfi_defs):
    d = next(x for x in bfi_defs if x.id == "openness")
    block = bfi.forms[list(d.items)].dropna()
    values = [cronbach_alpha(block, convention=c, reverse=d.reverse).alpha for c in ("casewise", "psych", "stata")]
    assert_allclose(values, values[0], rtol=0, atol=1e-12)


def test_cli_indices_alpha_option():
    res = invoke("indices", BFI, "--instrument", BFI / "instrument.yaml", "--definitions", BFI / "indices.yaml",
                 "--format", "csv", "--alpha", "stata")
    t = pd.read_csv(io.StringIO(res.stdout)).set_index("index")
    for name, ref in STATA.items():
        assert_allclose(t.loc[name, "alpha"], ref["alpha_keys"], rtol=0, atol=1e-10)
    bad = invoke("indices", BFI, "--instrument", BFI / "instrument.yaml", "--alpha", "spss")
    assert bad.exit_code == 2 and "--alpha" in bad.stderr


def test_cli_describe_by_any_persons_column():
    res = invoke("describe", HS, "--instrument", HS / "instrument.yaml", "--by", "school", "--format", "csv")
    t = pd.read_csv(io.StringIO(res.stdout))
    forms, persons = pd.read_csv(HS / "forms.csv"), pd.read_csv(HS / "persons.csv")
    raw = forms.merge(persons, on="person_id")
    for school, part in raw.groupby("school"):
        row = t[(t["item"] == "x4") & (t["school"] == school)].iloc[0]
        assert row["n"] == len(part) and abs(row["mean"] - part["x4"].mean()) < 1e-12
    bad = invoke("describe", HS, "--instrument", HS / "instrument.yaml", "--by", "nope")
    assert bad.exit_code == 2 and "--by: no persons column 'nope'" in bad.stderr


def test_cli_indices_items_table_scores_reversed_items_on_the_scale():
    res = invoke("indices", BFI, "--instrument", BFI / "instrument.yaml", "--definitions", BFI / "indices.yaml",
                 "--items", "--format", "csv")
    t = pd.read_csv(io.StringIO(res.stdout)).set_index(["index", "item"])
    raw = pd.read_csv(BFI / "forms.csv")[[f"A{k}" for k in range(1, 6)]].dropna()
    a1 = t.loc[("agreeableness", "A1")]
    assert bool(a1["reversed"]) and a1["n"] == len(raw) == REF["agreeableness"]["n_listwise"]
    assert abs(a1["mean"] - (7 - raw["A1"]).mean()) < 1e-12  # 1 + 6 - x on the 1-6 scale
    assert_allclose(t.loc["agreeableness", "item_rest_r"].to_numpy(), REF["agreeableness"]["r_drop_listwise"], atol=1e-10)


def test_dates_give_rounds_and_several_respondents_join(tmp_path):
    inst_file = tmp_path / "inst.yaml"
    inst_file.write_text("instrument: {id: two}\nscale: {min: 1, max: 5}\nrespondents: [self, teacher]\n"
                         "items:\n  - {id: S1, respondent: self}\n  - {id: T1, respondent: teacher}\n", encoding="utf-8")
    rng = np.random.default_rng(5)
    rows = []
    for p in range(12):
        for rnd, day in ((1, "2020-01-15"), (2, "15-06-2020")):
            rows.append(f"p{p},self,{day},{rng.integers(1, 6)},")
            rows.append(f"p{p},teacher,{day},,{rng.integers(1, 6)}")
    folder = _write(tmp_path / "d", "person_id,respondent,answered_on,S1,T1\n" + "\n".join(rows) + "\n")
    inst = load_instrument(inst_file)
    ds = load_dataset(folder, inst)
    m = pair_forms(ds).measurements
    assert len(m) == 24 and set(m["round"]) == {1, 2} and m[["S1", "T1"]].notna().all().all()
    res = invoke("describe", folder, "--instrument", inst_file, "--progression", "--format", "csv")
    assert res.exit_code == 0, res.stderr
    t = pd.read_csv(io.StringIO(res.stdout))
    raw = pd.read_csv(folder / "forms.csv")
    s1 = raw[raw["respondent"] == "self"].assign(r=lambda f: np.where(f["answered_on"] == "2020-01-15", 1, 2))
    wide = s1.pivot(index="person_id", columns="r", values="S1")
    row = t[(t["item"] == "S1") & (t["gender"] == "all")].iloc[0]
    assert row["n"] == 12 and abs(row["change"] - (wide[2] - wide[1]).mean()) < 1e-12
    bad = _write(tmp_path / "e", "person_id,respondent,answered_on,S1,T1\np1,self,2020-01-15,3,4\np1,self,2020-13-01,3,\n")
    problems = [str(p) for p in validate_dataset(bad, inst)]
    assert problems == [
        "forms.csv, row 3, column 'answered_on': got '2020-13-01'; expected a date like 2018-12-31 or 31-12-2018 "
        "(the forms have dates: every form needs one)",
        "forms.csv, row 2, column 'T1': got '4'; expected an empty cell on a form that is not a teacher form",
    ]


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(1, 6)), min_size=3, max_size=3), min_size=1, max_size=15),
       st.sampled_from([",", ";", "\t"]))
def test_smallest_layout_reads_back_what_was_written(tmp_path_factory, rows, sep):
    inst = instrument_from_dict({"instrument": {"id": "x"}, "scale": {"min": 1, "max": 6}, "items": ["A1", "b2", "C3"]})
    folder = tmp_path_factory.mktemp("h")
    lines = [sep.join(["person_id", "A1", "b2", "C3"])]
    lines += [sep.join([f"0{k}", *("" if v is None else str(v) for v in row)]) for k, row in enumerate(rows)]
    (folder / "forms.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ds = load_dataset(folder, inst)
    got = ds.forms[["A1", "b2", "C3"]].astype("float64").to_numpy()
    want = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    assert np.array_equal(got, want, equal_nan=True)
    assert ds.forms["person_id"].tolist() == [f"0{k}" for k in range(len(rows))]  # leading zeros kept


def test_describe_figure_on_a_continuous_scale_without_groups(tmp_path):
    res = invoke("describe", HS, "--instrument", HS / "instrument.yaml", "--figure", tmp_path / "hs.png")
    assert res.exit_code == 0, res.stderr
    assert (tmp_path / "hs.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_simulator_refuses_the_smallest_layout(tmp_path):
    for args in (["simulate", "--out", tmp_path / "s"], ["describe"]):
        res = invoke(*args, "--instrument", HS / "instrument.yaml")
        assert res.exit_code == 2 and "give a dataset folder" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "s").exists()


def test_cli_factor_polychoric_and_scores_on_another_instrument(tmp_path):
    """``fip factor --correlation polychoric`` on bfi: psych ``fa(cor="poly", fm="minres")``
    unrotated loadings (poly_fa.json) to 1e-4 (both iterate minres to convergence), factor signs
    aligned; ``--scores`` writes a private per-person file."""
    ref = json.loads((Path(__file__).parent / "reference" / "anyinst" / "poly_fa.json").read_text())
    scores = tmp_path / "scores.csv"
    res = invoke("factor", BFI, "--instrument", BFI / "instrument.yaml", "--correlation", "polychoric",
                 "--method", "minres", "--rotation", "none", "--n-factors", "5", "--format", "csv",
                 "--scores", "regression", "--scores-out", scores)
    assert res.exit_code == 0, res.stderr
    t = pd.read_csv(io.StringIO(res.stdout)).pivot(index="item", columns="factor", values="loading")
    ours = t.loc[ref["items"]].to_numpy()
    theirs = np.asarray(ref["loadings"])
    ours = ours * np.sign((ours * theirs).sum(axis=0))  # a factor's sign is arbitrary
    assert_allclose(ours, theirs, rtol=0, atol=1e-4)
    assert (scores.stat().st_mode & 0o777) == 0o600
    s = pd.read_csv(scores)
    assert list(s.columns) == ["person_id", "round", *(f"Factor{k}" for k in range(1, 6))]
    assert len(s) == len(pd.read_csv(BFI / "forms.csv"))
