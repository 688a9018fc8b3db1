"""End-to-end tests of the ``fip`` command line (the issue's "Done when" checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fip.cli import app

runner = CliRunner()
SMALL = ["--persons", "400"]


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "data"
    result = invoke("simulate", *SMALL, "--seed", "3", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_gives_identical_files(tmp_path, fmt):
    for name in ("a", "b"):
        result = invoke("simulate", "--seed", "7", "--out", tmp_path / name, "--format", fmt)
        assert result.exit_code == 0, result.output
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert sorted(a) == [f"{t}.{fmt}" for t in ("forms", "outcomes", "persons")]
    assert a == b
    other = tmp_path / "c"
    invoke("simulate", "--seed", "8", "--out", other, "--format", fmt)
    assert _files(other) != a
    assert invoke("validate", tmp_path / "a").exit_code == 0


def test_validate_clean_dataset_exits_0(small_dataset):
    result = invoke("validate", small_dataset)
    assert result.exit_code == 0
    assert "valid" in result.output


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    return dst


def test_score_of_9_is_reported_with_file_row_and_column(small_dataset, tmp_path):
    bad = _copy(small_dataset, tmp_path / "bad")
    forms = pd.read_csv(bad / "forms.csv", dtype=str, keep_default_na=False)
    row = int(forms.index[forms["respondent"] == "citizen"][3])
    forms.loc[row, "c05"] = "9"
    forms.to_csv(bad / "forms.csv", index=False)
    result = invoke("validate", bad)
    assert result.exit_code == 2
    assert f"forms.csv, row {row + 2}, column 'c05': got '9'" in result.stderr
    assert "Traceback" not in result.output


def test_missing_column_is_reported(small_dataset, tmp_path):
    bad = _copy(small_dataset, tmp_path / "bad")
    persons = pd.read_csv(bad / "persons.csv", dtype=str, keep_default_na=False)
    persons.drop(columns="gender").to_csv(bad / "persons.csv", index=False)
    result = invoke("validate", bad)
    assert result.exit_code == 2
    assert "persons.csv" in result.stderr and "'gender'" in result.stderr


def test_danish_semicolon_csv_with_bad_date(small_dataset, tmp_path):
    """A Danish Excel export (; separator, cp1252, dd-mm-yyyy, K/M) with one bad date."""
    bad = _copy(small_dataset, tmp_path / "dk")
    persons = pd.read_csv(bad / "persons.csv", dtype=str, keep_default_na=False)
    persons["gender"] = persons["gender"].map({"female": "K", "male": "M"})
    persons["municipality"] = "Høje-Taastrup"
    persons["arrival_date"] = pd.to_datetime(persons["arrival_date"]).dt.strftime("%d-%m-%Y")
    persons.loc[5, "arrival_date"] = "31-02-2016"
    (bad / "persons.csv").write_bytes(persons.to_csv(index=False, sep=";").encode("cp1252"))
    result = invoke("validate", bad)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert lines == ["error: persons.csv, row 7, column 'arrival_date': got '31-02-2016'; " + lines[0].split("; ", 1)[1]]
    persons.loc[5, "arrival_date"] = "28-02-2016"
    (bad / "persons.csv").write_bytes(persons.to_csv(index=False, sep=";").encode("cp1252"))
    assert invoke("validate", bad).exit_code == 0


def test_describe_prints_all_items(small_dataset):
    result = invoke("describe", small_dataset)
    assert result.exit_code == 0, result.output
    for k in range(1, 12):
        assert f"c{k:02d}" in result.output and f"w{k:02d}" in result.output


def test_describe_writes_csv_json_md_and_figure(small_dataset, tmp_path):
    assert invoke("describe", small_dataset, "--format", "csv", "--out", tmp_path / "m.csv").exit_code == 0
    table = pd.read_csv(tmp_path / "m.csv")
    assert {"item", "gender", "round", "n", "mean", "ci_low", "ci_high", "published"} <= set(table.columns)
    assert set(table["item"]) == {f"{p}{k:02d}" for p in "cw" for k in range(1, 12)}
    assert invoke("describe", small_dataset, "--progression", "--format", "json", "--out", tmp_path / "p.json").exit_code == 0
    records = json.loads((tmp_path / "p.json").read_text())
    assert len(records) == 22 * 3 and "change" in records[0]
    result = invoke("describe", small_dataset, "--format", "md", "--figure", tmp_path / "f.png", "--lang", "en")
    assert result.exit_code == 0 and result.output.count("| c0") >= 9
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    for suffix in (".png", ".svg"):  # the same data give the same figure bytes
        paths = [tmp_path / f"again{k}{suffix}" for k in range(2)]
        for path in paths:
            assert invoke("describe", small_dataset, "--figure", path).exit_code == 0
        assert paths[0].read_bytes() == paths[1].read_bytes(), suffix


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["describe", "--format", "xml"], "--format must be one of"),
        (["validate", "/nonexistent/folder"], "nonexistent"),
        (["simulate", "--out", "x", "--format", "xlsx"], "--format must be one of"),
    ],
)
def test_bad_options_exit_2_with_one_line(args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_console_script_never_shows_a_traceback(small_dataset, tmp_path):
    bad = _copy(small_dataset, tmp_path / "junk")
    (bad / "forms.csv").write_bytes(b"\x00\x01\x02binary junk\xff\xfe")
    proc = subprocess.run([sys.executable, "-m", "fip.cli", "validate", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "forms.csv" in proc.stderr


def test_factor_command_prints_published_beside_ours(small_dataset, tmp_path):
    result = invoke("factor", small_dataset, "--respondent", "caseworker")
    assert result.exit_code == 0, result.output
    assert "published Factor1" in result.output and "Tucker congruence" in result.output
    result = invoke("factor", small_dataset, "--rotation", "none")
    assert "over 4" in result.output and "0.86" in result.output
    assert invoke("factor", small_dataset, "--format", "csv", "--out", tmp_path / "l.csv").exit_code == 0
    tidy = pd.read_csv(tmp_path / "l.csv")
    assert {"item", "factor", "loading", "published", "difference"} <= set(tidy.columns)
    assert len(tidy) == 11 * 3
    bad = invoke("factor", small_dataset, "--method", "pca2")
    assert bad.exit_code == 2 and "--method must be one of" in bad.stderr


def test_indices_command_reports_reliability_and_writes_scores(small_dataset, tmp_path):
    result = invoke("indices", small_dataset, "--format", "csv", "--out", tmp_path / "r.csv",
                    "--scores", tmp_path / "s.csv")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "r.csv")
    assert len(table) == 15 and {"alpha", "ci_low", "ci_high", "omega", "mean r1", "mean r2"} <= set(table.columns)
    scores = pd.read_csv(tmp_path / "s.csv")
    assert {"person_id", "round", "citizen_overall", "combined_citizen_cooperation"} <= set(scores.columns)
    assert invoke("indices", small_dataset, "--items", "--format", "csv", "--out", tmp_path / "i.csv").exit_code == 0
    per_item = pd.read_csv(tmp_path / "i.csv")
    assert set(per_item["index"]) >= {"citizen_overall", "citizen_cooperation"} and "citizen_danish" not in set(per_item["index"])
    assert per_item["alpha_if_deleted"].between(0, 1).all()


def test_validate_prints_the_funnel_beside_table_4_2(small_dataset):
    result = invoke("validate", small_dataset)
    assert "Funnel" in result.output and "no caseworker form in the same month" in result.output


@pytest.mark.slow
def test_a_three_rater_instrument_runs_end_to_end(tmp_path):
    """Another instrument (12 items, 1-5, three raters): simulate, validate, pair, describe."""
    inst = Path(__file__).parent / "data" / "instrument_three_raters.yaml"
    out = tmp_path / "kx"
    assert invoke("simulate", "--persons", "300", "--instrument", inst, "--out", out).exit_code == 0
    forms = pd.read_csv(out / "forms.csv", dtype=str)
    assert set(forms["respondent"]) == {"citizen", "placement", "caseworker"}
    assert {"b1", "p4", "s4"} <= set(forms.columns) and "c01" not in forms.columns
    result = invoke("validate", out, "--instrument", inst)
    assert result.exit_code == 0, result.output
    assert "placement" in result.output  # the funnel counts the third rater's forms
    assert invoke("validate", out).exit_code == 2  # not a FIP dataset under the FIP instrument
    result = invoke("describe", out, "--instrument", inst, "--format", "csv", "--out", tmp_path / "m.csv")
    assert result.exit_code == 0, result.output
    means = pd.read_csv(tmp_path / "m.csv")
    assert set(means["respondent"]) == {"citizen", "placement", "caseworker"}
    assert means["mean"].between(1, 5).all() and "published" not in means.columns


def test_regress_command_prints_published_beside_ours(small_dataset, tmp_path):
    result = invoke("regress", "--family", "overall_indices")  # default: the study-size cohort
    assert result.exit_code == 0, result.output
    assert "citizen_overall_level" in result.output and "0.157*** (0.021)" in result.output
    assert invoke("regress", small_dataset, "--family", "all_items", "--outcome", "emp_rate",
                  "--vce", "cluster", "--format", "csv", "--out", tmp_path / "r.csv").exit_code == 0
    tidy = pd.read_csv(tmp_path / "r.csv")
    assert set(tidy["outcome"]) == {"emp_rate"} and {"coef", "se", "p", "published_coef"} <= set(tidy.columns)
    bad = invoke("regress", small_dataset, "--outcome", "wage")
    assert bad.exit_code == 2 and "--outcome must be one of" in bad.stderr


def test_regress_until_keeps_forms_of_2017_and_2018_only(small_dataset, tmp_path):
    full = invoke("regress", small_dataset, "--format", "csv", "--out", tmp_path / "a.csv")
    cut = invoke("regress", small_dataset, "--until", "2018-12-31", "--format", "csv", "--out", tmp_path / "b.csv")
    assert full.exit_code == cut.exit_code == 0
    n_full, n_cut = pd.read_csv(tmp_path / "a.csv")["n"].max(), pd.read_csv(tmp_path / "b.csv")["n"].max()
    assert 0 < n_cut < n_full
    bad = invoke("regress", small_dataset, "--until", "2018-31-12")
    assert bad.exit_code == 2 and "--until must be a date" in bad.stderr


def test_train_score_star_chain(small_dataset, tmp_path):
    model = tmp_path / "m.json"
    figure = tmp_path / "calibration.svg"
    args = ("train", small_dataset, "--model", "progression", "--C", "0.05", "--out", model,
            "--created-at", "2026-01-01T00:00:00", "--calibration-figure", figure)
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "calibration_slope" in result.output and "origin_group" in result.output
    first, first_figure = model.read_bytes(), figure.read_bytes()
    assert first_figure.lstrip().startswith(b"<?xml") and b"<dc:date>" not in first_figure
    assert invoke(*args).exit_code == 0 and model.read_bytes() == first  # same seed, same bytes
    assert figure.read_bytes() == first_figure                            # the figure too (SVG: no date, fixed ids)
    bad = invoke(*args[:-1], tmp_path / "calibration.pdf")
    assert bad.exit_code == 2 and "--calibration-figure suffix" in bad.stderr and "'.pdf'" in bad.stderr
    result = invoke("score", small_dataset, "--model", model, "--out", tmp_path / "s.csv")
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(tmp_path / "s.csv")
    assert scores["probability"].between(0, 1).all() and set(scores["band"]) <= {"low", "middle", "high"}
    person = scores["person_id"].iloc[0]
    assert invoke("star", small_dataset, "--person", person, "--out", tmp_path / "s.svg").exit_code == 0
    assert (tmp_path / "s.svg").read_text().lstrip().startswith("<?xml")
    assert invoke("star", small_dataset, "--person", person, "--out", tmp_path / "s2.svg").exit_code == 0
    assert (tmp_path / "s2.svg").read_bytes() == (tmp_path / "s.svg").read_bytes()
    assert invoke("star", small_dataset, "--person", person, "--out", tmp_path / "s.png").exit_code == 0
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
    card = tmp_path / "c.html"
    assert invoke("star", small_dataset, "--person", person, "--out", card, "--model", model).exit_code == 0
    assert "<html" in card.read_text() and person in card.read_text()
    tampered = tmp_path / "t.json"
    tampered.write_text(model.read_text().replace('"C": 0.05', '"C": 0.5'))
    bad = invoke("score", small_dataset, "--model", tampered)
    assert bad.exit_code == 2 and "t.json" in bad.stderr and "Traceback" not in bad.output


@pytest.mark.slow
def test_every_analysis_command_gives_the_same_numbers_from_the_store(small_dataset, tmp_path):
    store = tmp_path / "fip.duckdb"
    assert invoke("import", small_dataset, "--store", store).exit_code == 0
    again = invoke("import", small_dataset, "--store", store)
    assert again.exit_code == 0 and "nothing new" in again.output
    commands = [["describe"], ["describe", "--progression"], ["factor", "--respondent", "both"],
                ["indices"], ["regress", "--family", "factor_index_alone"]]
    for k, command in enumerate(commands):
        a, b = tmp_path / f"folder{k}.csv", tmp_path / f"store{k}.csv"
        assert invoke(*command, small_dataset, "--format", "csv", "--out", a).exit_code == 0
        assert invoke(*command, "--store", store, "--format", "csv", "--out", b).exit_code == 0
        assert a.read_bytes() == b.read_bytes(), command
    both = invoke("describe", small_dataset, "--store", store)
    assert both.exit_code == 2 and "not both" in both.stderr
    assert invoke("export", "--store", store, "--out", tmp_path / "back").exit_code == 0
    assert invoke("validate", tmp_path / "back").exit_code == 0


@pytest.mark.slow
def test_replicate_writes_the_report(small_dataset, tmp_path):
    import shutil

    out = tmp_path / "rep"
    pdf = shutil.which("chromium") is not None  # --pdf prints the report with headless Chromium
    result = invoke("replicate", small_dataset, "--out", out, *(["--pdf"] if pdf else []))
    assert result.exit_code == 0, result.output
    assert f"report: {out / 'report.html'}" in result.output
    if pdf:
        assert "and report.pdf" in result.output and (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
        again = invoke("replicate", small_dataset, "--out", out)  # an earlier output with its PDF is replaced
        assert again.exit_code == 0, again.output
        assert not (out / "report.pdf").exists()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Table 4.9" in html and "Table 4.7" in html
    assert len(list((out / "tables").glob("*.csv"))) > 20 and list((out / "figures").glob("*.png"))
    bad = invoke("replicate", small_dataset, "--out", tmp_path / "bad", "--until", "2018-31-12")
    assert bad.exit_code == 2 and "--until must be a date" in bad.stderr and not (tmp_path / "bad").exists()


def test_status_note_command(tmp_path):
    out = tmp_path / "note.html"
    result = invoke("status-note", "--municipality", "kommune_12", "--quarter", "2018Q1", "--out", out)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "Niveau i kvartalet" in html and "kommune_12" in html
    assert "p0" not in html.split("data:image")[0]  # no person ids (synthetic ids are p0001...)
    bad = invoke("status-note", "--municipality", "kommune_12", "--quarter", "2018-1", "--out", out)
    assert bad.exit_code == 2 and "2018-1" in bad.stderr


def test_status_note_lists_choices_and_refuses_a_quarter_without_data(small_dataset, tmp_path):
    listed = invoke("status-note", small_dataset, "--list")
    assert listed.exit_code == 0, listed.output
    quarters = listed.stdout.splitlines()[1].rsplit(": ", 1)[1].split(", ")
    assert quarters == sorted(quarters) and all(len(q) == 6 and q[4] == "Q" for q in quarters)
    municipality = listed.stdout.splitlines()[0].split(": ", 1)[1].split(", ")[0]
    out = tmp_path / "note.html"
    year, q = int(quarters[-1][:4]), int(quarters[-1][5])
    after = f"{year + (q == 4)}Q{q % 4 + 1}"
    bad = invoke("status-note", small_dataset, "--municipality", municipality, "--quarter", after, "--out", out)
    assert bad.exit_code == 2 and not out.exists()
    assert bad.stderr.count("\n") == 1 and f"{quarters[0]}-{quarters[-1]}" in bad.stderr
