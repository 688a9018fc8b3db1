"""Output paths of the commands: checked before computing (exit 2, one line, nothing written),
person-level files created 0o600, devices and symlinks kept, foreign folders never replaced."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fip.cli import app
from fip.data import write_dataset
from fip.simulate import simulate_cohort


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return write_dataset(simulate_cohort(300, seed=3), tmp_path_factory.mktemp("outputs") / "data")


def _refused(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and all(w in lines[0] for w in words), result.stderr


def test_bad_output_paths_fail_before_anything_is_computed(folder, tmp_path):
    start = time.monotonic()
    _refused(invoke("train", folder, "--out", tmp_path / "m.json", "--calibration-figure", tmp_path / "x.txt"),
             "--calibration-figure suffix")
    _refused(invoke("train", folder, "--out", tmp_path), "--out", "is a folder")
    (tmp_path / "file").write_text("x")
    _refused(invoke("status-note", folder, "--municipality", "m", "--quarter", "2018Q2",
                    "--out", tmp_path / "file" / "note.html"), "--out", "a part of the path is a file")
    (tmp_path / "fig.png").mkdir()
    _refused(invoke("describe", folder, "--out", tmp_path / "m.csv", "--figure", tmp_path / "fig.png"),
             "--figure", "is a folder")
    assert time.monotonic() - start < 20  # no model was trained, no note computed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png", "file"]


def test_foreign_folders_are_never_replaced(folder, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("mine")
    _refused(invoke("replicate", "--out", home), "--out", "not the output of fip replicate", "refusing")
    _refused(invoke("simulate", "--persons", "20", "--out", home), "not a FIP dataset", "refusing")
    _refused(invoke("export", "--store", tmp_path / "no.duckdb", "--out", home), "not a FIP dataset")
    assert sorted(p.name for p in home.iterdir()) == [".bashrc"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_person_level_files_are_private_and_devices_kept(folder, tmp_path):
    person = (folder / "persons.csv").read_text().splitlines()[1].split(",")[0]
    assert invoke("star", folder, "--person", person, "--out", tmp_path / "card.html").exit_code == 0
    assert invoke("indices", folder, "--format", "csv", "--out", tmp_path / "r.csv",
                  "--scores", tmp_path / "scores.csv").exit_code == 0
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / "card.html") == 0o600 and mode(tmp_path / "scores.csv") == 0o600
    umask = os.umask(0)
    os.umask(umask)
    assert mode(tmp_path / "r.csv") == 0o666 & ~umask  # an aggregate table
    null = os.stat("/dev/null")
    assert invoke("describe", folder, "--format", "csv", "--out", "/dev/null").exit_code == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and os.stat("/dev/null").st_rdev == null.st_rdev
    link = tmp_path / "latest.csv"
    link.symlink_to(tmp_path / "r.csv")
    assert invoke("describe", folder, "--format", "csv", "--out", link).exit_code == 0
    assert link.is_symlink() and (tmp_path / "r.csv").read_text().startswith("respondent,item")
