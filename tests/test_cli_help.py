"""The command line reads well (issue 17, item 13): help without hard line breaks, reST
markup or type metavars, required options marked, ``--version``, ``replicate DIR``,
``--format``/``--out`` on validate and import-log, and tables that fit an 80-column terminal
without cutting a cell."""

from __future__ import annotations

import inspect
import io
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import fip
from fip.cli import app

runner = CliRunner()


def invoke(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, env=env)


def help_text(*args, width: int = 100, monkeypatch) -> str:
    """``fip <args> --help`` as printed on a terminal ``width`` columns wide."""
    import typer.rich_utils

    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", width)
    result = invoke(*args, "--help")
    assert result.exit_code == 0, args
    return result.output


def _commands() -> dict:
    import typer.main

    return typer.main.get_command(app).commands


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("help") / "data"
    result = invoke("simulate", "--persons", "400", "--seed", "3", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_help_shows_no_markup_no_type_metavars_and_no_braces(monkeypatch):
    names = ["", *_commands()]
    assert len(names) >= 15
    for name in names:
        text = help_text(*([name] if name else []), monkeypatch=monkeypatch)
        assert "``" not in text, name  # reST markup
        assert not re.search(r"<(bool|str|path|int|float|int range|float range|list\[str\])>", text), name
        assert not re.search(r"\{\w+\}", text), name  # {data}: a required argument's usage


def test_help_reflows_docstring_paragraphs(monkeypatch):
    """A paragraph of a command's docstring is one paragraph of the help: no hard line breaks."""
    checked = 0
    for name, command in _commands().items():
        doc = inspect.getdoc(command.callback) or ""
        for paragraph in doc.split("\n\n")[1:]:  # the first line is the summary
            flat = " ".join(paragraph.replace("``", "").split())
            if "\n" not in paragraph or len(flat) > 180:
                continue
            lines = [" ".join(line.split()) for line in help_text(name, width=220, monkeypatch=monkeypatch).splitlines()]
            assert flat in lines, (name, flat)
            checked += 1
    assert checked >= 4  # describe, factor, regress, train: paragraphs that broke lines before


def test_required_options_are_marked(monkeypatch):
    for command, option in (("replicate", "--out"), ("simulate", "--out"), ("star", "--person")):
        text = help_text(command, monkeypatch=monkeypatch)
        line = next(line for line in text.splitlines() if f" {option} " in line)
        assert line.lstrip("│ ").startswith("*"), (command, line)
    status = help_text("status-note", width=250, monkeypatch=monkeypatch)
    assert status.count("Required (but with --list)") == 2


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.output.strip() == f"fip {fip.__version__}"


def test_replicate_takes_the_folder_as_its_argument(small_dataset, tmp_path, monkeypatch):
    import fip.report

    seen = []

    def fake_replicate(study, out, *, source, **kwargs):
        seen.append((source, len(study.dataset.persons)))
        raise fip.errors.FipError("stopped before computing")

    monkeypatch.setattr(fip.report, "replicate", fake_replicate)
    usage = help_text("replicate", monkeypatch=monkeypatch)
    assert "replicate [OPTIONS] [DIR]" in usage and "--data" not in usage
    assert invoke("replicate", small_dataset, "--out", tmp_path / "a").exit_code == 2
    old = invoke("replicate", "--data", small_dataset, "--out", tmp_path / "b")
    assert old.exit_code == 2 and "--data DIR is deprecated" in old.stderr
    assert seen == [(f"folder {small_dataset.name}", 400)] * 2
    both = invoke("replicate", small_dataset, "--data", small_dataset, "--out", tmp_path / "c")
    assert both.exit_code == 2 and "give the dataset folder once" in both.stderr and len(seen) == 2


def test_validate_writes_the_funnel_in_any_format(small_dataset, tmp_path):
    table = invoke("validate", small_dataset)
    assert table.exit_code == 0 and "valid FIP dataset" in table.stdout and table.stderr == ""
    piped = invoke("validate", small_dataset, "--format", "csv")
    assert piped.exit_code == 0 and "valid FIP dataset" in piped.stderr
    funnel = pd.read_csv(io.StringIO(piped.stdout))
    assert list(funnel.columns[:3]) == ["step", "round", "respondent"] and len(funnel) > 5
    out = tmp_path / "funnel.json"
    written = invoke("validate", small_dataset, "--format", "json", "--out", out)
    assert written.exit_code == 0 and "valid FIP dataset" in written.stdout
    assert pd.DataFrame(json.loads(out.read_text(encoding="utf-8"))).shape == funnel.shape
    bad = invoke("validate", small_dataset, "--format", "xml")
    assert bad.exit_code == 2 and "--format" in bad.stderr and "Traceback" not in bad.output


def test_import_log_writes_to_a_file(small_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("FIP_PSEUDONYM_KEY", "0123456789abcdef0123456789abcdef")
    store = tmp_path / "s.duckdb"
    assert invoke("import", small_dataset, "--store", store).exit_code == 0
    out = tmp_path / "log.csv"
    result = invoke("import-log", "--store", store, "--format", "csv", "--out", out)
    assert result.exit_code == 0, result.output
    log = pd.read_csv(out)
    assert len(log) >= 3 and result.stdout == ""  # one row per file imported


def _tokens(text: str) -> Counter:
    return Counter(re.findall(r"[^\s│┃|]+", text))


def test_tables_fit_80_columns_and_no_cell_is_cut(small_dataset):
    """At COLUMNS=80 every line fits, nothing is shortened with an ellipsis, and every cell of
    the same table (written as Markdown) is in the console output, level and change rows alike."""
    env = {**os.environ, "COLUMNS": "80", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    fip_cmd = [sys.executable, "-m", "fip.cli"]
    args = ["regress", str(small_dataset), "--family", "overall_indices"]
    shown = subprocess.run([*fip_cmd, *args], capture_output=True, text=True, env=env, check=True).stdout
    md = subprocess.run([*fip_cmd, *args, "--format", "md"], capture_output=True, text=True, env=env,
                        check=True).stdout
    lines = shown.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in shown
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| model")]
    assert len(rows) >= 16
    need = Counter()
    for row in rows:
        need.update(_tokens(row))
    have = _tokens(shown)
    missing = {t: n for t, n in need.items() if have[t] < n}
    assert missing == {}
    assert have["citizen_overall_level"] >= 4 and have["citizen_overall_change"] >= 4
