"""The command line and personal data, formulas and console markup (issue 13, items 1-6, 10-11).

Every check reads what a user would see: the files written, stdout and stderr. CPR numbers
are searched for with a pattern written here (six digits, an optional separator of spaces,
a dash or a slash, four digits), not with fip's detector.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fip.cli import app
from fip.data import Dataset, load_dataset, write_dataset
from fip.simulate import simulate_cohort
from fip.store import KEY_ENV, import_dataset

runner = CliRunner()
KEY = "a-pseudonym-key-for-tests-0123"
CPR_TEXT = re.compile(r"(?<!\d)\d{6}[ \u00a0\u2013/-]{0,5}\d{4}(?!\d)")


def invoke(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, env=env)


def _no_cpr(*texts: str) -> bool:
    return not any(CPR_TEXT.search(t) for t in texts)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A clean cohort, the same cohort with CPR ids (spaced, hyphen, en dash) and a '+cmd' id,
    and a model trained on the clean one."""
    root = tmp_path_factory.mktemp("sec")
    ds = simulate_cohort(400, seed=3)
    clean = write_dataset(ds, root / "clean")
    forms = ["{a} {b}", "{a}-{b}", "{a}\u2013{b}", "{a}{b}"]
    ids = ds.persons["person_id"].tolist()
    cpr = {p: forms[k % 4].format(a=f"{1 + k % 28:02d}{1 + k % 12:02d}84", b=f"{1000 + k:04d}")
           for k, p in enumerate(ids)}
    cpr[ids[1]] = "+cmd|' /C calc'!A0"
    tables = {t: ds.table(t).assign(person_id=ds.table(t)["person_id"].map(cpr).astype("str"))
              for t in ("persons", "forms", "outcomes")}
    dirty = write_dataset(Dataset(**tables, instrument=ds.instrument), root / "dirty")
    model = root / "m.json"
    result = invoke("train", clean, "--C", "0.05", "--out", model, "--created-at", "2026-01-01T00:00:00Z")
    assert result.exit_code == 0, result.output
    return {"clean": clean, "dirty": dirty, "model": model, "root": root}


# --------------------------------------------------------------------------- item 2: person-level rows


def test_score_refuses_cpr_ids_without_a_key(folders, tmp_path):
    out = tmp_path / "scores.csv"
    result = invoke("score", folders["dirty"], "--model", folders["model"], "--out", out, env={KEY_ENV: ""})
    assert result.exit_code == 2
    assert "persons.csv, column 'person_id'" in result.stderr and KEY_ENV in result.stderr
    assert _no_cpr(result.output, result.stderr) and "Traceback" not in result.output
    assert not out.exists()


def test_score_pseudonymises_with_the_key_and_neutralises_formulas(folders, tmp_path):
    out = tmp_path / "scores.csv"
    result = invoke("score", folders["dirty"], "--model", folders["model"], "--out", out, env={KEY_ENV: KEY})
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert _no_cpr(text, result.output)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = [r["person_id"] for r in rows]
    assert "'+cmd|' /C calc'!A0" in ids  # the apostrophe: shown as text, never run
    assert not [c for r in rows for c in r.values() if c[:1] in ("=", "+", "@", "\t", "\r")]
    others = [i for i in ids if not i.startswith("'")]
    assert others and all(re.fullmatch(r"[a-p]{32}", i) for i in others)
    # the same persons and numbers as the clean cohort: only the ids differ
    clean = tmp_path / "clean.csv"
    assert invoke("score", folders["clean"], "--model", folders["model"], "--out", clean).exit_code == 0
    assert sorted(pd.read_csv(clean)["probability"].round(12)) == sorted(pd.read_csv(out)["probability"].round(12))
    # on the console too (no --out)
    shown = invoke("score", folders["dirty"], "--model", folders["model"], env={KEY_ENV: KEY})
    assert shown.exit_code == 0 and _no_cpr(shown.output)


def test_indices_scores_are_screened(folders, tmp_path):
    out = tmp_path / "idx.csv"
    refused = invoke("indices", folders["dirty"], "--scores", out, env={KEY_ENV: ""})
    assert refused.exit_code == 2 and not out.exists() and _no_cpr(refused.output, refused.stderr)
    result = invoke("indices", folders["dirty"], "--scores", out, env={KEY_ENV: KEY})
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert _no_cpr(text) and "\n'+cmd" in text


def test_card_of_a_cpr_dataset_shows_the_pseudonym_only(folders, tmp_path):
    scores = tmp_path / "s.csv"
    assert invoke("score", folders["dirty"], "--model", folders["model"], "--out", scores,
                  env={KEY_ENV: KEY}).exit_code == 0
    person = next(i for i in pd.read_csv(scores)["person_id"] if not i.startswith("'"))
    card = tmp_path / "card.html"
    result = invoke("star", folders["dirty"], "--person", person, "--model", folders["model"], "--out", card,
                    env={KEY_ENV: KEY})
    assert result.exit_code == 0, result.output
    assert person in card.read_text(encoding="utf-8") and _no_cpr(card.read_text(encoding="utf-8"))
    for spelled in ("010184 1000", "010184\u20131000", "0101841000"):
        bad = invoke("star", folders["clean"], "--person", spelled, "--out", tmp_path / "x.html")
        assert bad.exit_code == 2 and _no_cpr(bad.output, bad.stderr) and not (tmp_path / "x.html").exists()


def test_export_screens_ids_that_reached_the_store(folders, tmp_path):
    import duckdb

    store = tmp_path / "s.duckdb"
    import_dataset(folders["clean"], store)
    con = duckdb.connect(str(store))  # as an older fip (no spaced-CPR rule) would have stored it
    try:
        first = con.execute("SELECT person_id FROM persons ORDER BY _row LIMIT 1").fetchone()[0]
        for table in ("persons", "forms", "outcomes"):
            con.execute(f"UPDATE {table} SET person_id = '010180 1000' WHERE person_id = ?", [first])
    finally:
        con.close()
    refused = invoke("export", "--store", store, "--out", tmp_path / "out", env={KEY_ENV: ""})
    assert refused.exit_code == 2 and _no_cpr(refused.output, refused.stderr)
    assert not (tmp_path / "out").exists()
    result = invoke("export", "--store", store, "--out", tmp_path / "out", env={KEY_ENV: KEY})
    assert result.exit_code == 0, result.output
    assert all(_no_cpr(p.read_text(encoding="utf-8")) for p in (tmp_path / "out").iterdir())
    assert len(load_dataset(tmp_path / "out").persons) == 400


# --------------------------------------------------------------------------- item 3: validate, paths, options


def test_validate_warns_with_counts_only(folders):
    result = invoke("validate", folders["dirty"])
    assert result.exit_code == 0
    warning = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "persons.person_id: 399" in warning[0] and "forms.person_id" in warning[0]
    assert _no_cpr(result.output, result.stderr)
    clean = invoke("validate", folders["clean"])
    assert "warning" not in clean.stderr


def test_folder_named_with_a_cpr_is_masked(folders, tmp_path):
    named = tmp_path / "010180 1000"
    named.mkdir()
    for p in folders["clean"].iterdir():
        (named / p.name).write_bytes(p.read_bytes())
    ok = invoke("validate", named)
    assert ok.exit_code == 0 and "<cpr-like id>" in ok.output and _no_cpr(ok.output, ok.stderr)
    (named / "forms.csv").write_text("junk\n", encoding="utf-8")
    bad = invoke("validate", named)
    assert bad.exit_code == 2 and _no_cpr(bad.output, bad.stderr)
    missing = invoke("score", tmp_path / "0101801000", "--model", folders["model"])
    assert missing.exit_code == 2 and _no_cpr(missing.output, missing.stderr)


def test_report_title_masks_a_cpr_folder(folders, tmp_path, monkeypatch):
    import fip.report

    seen = {}

    def fake_replicate(study, out, *, source, **kwargs):
        seen["source"] = source
        raise fip.errors.FipError(f"stopped after the title ({source})")

    monkeypatch.setattr(fip.report, "replicate", fake_replicate)
    named = tmp_path / "010180-1000"
    named.mkdir()
    for p in folders["clean"].iterdir():
        (named / p.name).write_bytes(p.read_bytes())
    result = invoke("replicate", named, "--out", tmp_path / "rep")
    assert result.exit_code == 2
    assert seen["source"] == "folder <cpr-like id>" and _no_cpr(result.output, result.stderr)


@pytest.mark.parametrize("value", ["010180 1000", "010180-1000", "0101801000"])
def test_cpr_as_an_option_value_is_masked(folders, value, tmp_path):
    result = invoke("status-note", folders["clean"], "--municipality", value, "--quarter", "2018Q2",
                    "--out", tmp_path / "n.html")
    assert result.exit_code == 2 and "unknown municipality" in result.stderr
    assert _no_cpr(result.output, result.stderr) and "<cpr-like id>" in result.stderr


# --------------------------------------------------------------------------- item 5: console markup


def test_import_log_prints_names_with_brackets_literally(folders, tmp_path):
    folder = tmp_path / "FIP [kvartal 3] [bold]"  # a folder name cannot hold "/"; the user name can
    folder.mkdir()
    for p in folders["clean"].iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    store = tmp_path / "s.duckdb"
    result = invoke("import", folder, "--store", store, "--user", "[bold]ana[/]")
    assert result.exit_code == 0, result.output
    assert "FIP [kvartal 3] [bold]" in result.output and "[bold]ana[/]" in result.output
    log = invoke("import-log", "--store", store)  # a rich table (a long cell may wrap)
    assert log.exit_code == 0, log.output
    assert "FIP [kvartal 3]" in log.output and "[bold]ana[/]" in log.output
    rows = invoke("import-log", "--store", store, "--format", "csv")
    assert rows.exit_code == 0 and "FIP [kvartal 3] [bold]" in rows.output


def test_console_script_prints_markup_like_data_without_traceback(folders, tmp_path):
    folder = tmp_path / "[bold]x [kvartal 3]"
    folder.mkdir()
    for p in folders["clean"].iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    proc = subprocess.run([sys.executable, "-m", "fip.cli", "validate", str(folder)], capture_output=True, text=True)
    assert proc.returncode == 0 and "[bold]x [kvartal 3]: valid FIP dataset" in proc.stdout and "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- items 6, 10, 11: model files


def _resealed(model: Path, edit, out: Path) -> Path:
    raw = json.loads(model.read_text(encoding="utf-8"))
    raw.pop("sha256")
    edit(raw)
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    raw["sha256"] = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    out.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    return out


@pytest.mark.parametrize(("case", "edit", "path"), [
    ("coefficient", lambda r: r["probability_model"]["coefficients"].update(c01_level=1e308),
     "$.probability_model.coefficients.c01_level"),
    ("scale", lambda r: r["preprocessing"]["scale"].update(c01_level=1e-300), "$.preprocessing.scale.c01_level"),
    ("band label", lambda r: r["bands"].update(labels=["low", "=HYPERLINK(\"http://x\")", "high"]),
     "$.bands.labels[1]"),
    ("200,000 features", lambda r: r["features"].extend(f"x{k}_level" for k in range(200_000)), "$.features"),
    ("kind", lambda r: r.update(kind="progression"), "$.kind"),
])
def test_score_with_a_resealed_broken_model_gives_one_line(folders, tmp_path, case, edit, path):
    model = _resealed(folders["model"], edit, tmp_path / "broken.json")
    out = tmp_path / "s.csv"
    proc = subprocess.run([sys.executable, "-m", "fip.cli", "score", str(folders["clean"]), "--model", str(model),
                           "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: broken.json: {path}:") and len(lines[0]) < 300
    assert "Traceback" not in proc.stderr and proc.stdout == "" and not out.exists()
