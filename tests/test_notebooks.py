"""The notebooks in ``notebooks/`` run top to bottom and show no personal data.

Each notebook is executed with nbclient in a fresh temporary folder (the kernel's working
directory), so everything it writes lands under ``tmp_path/out/`` and nothing in the repository.
After execution every text output is searched for CPR-like numbers and for the pseudonymous
person ids of the synthetic cohorts the notebooks use.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from fip.errors import mask_personal
from fip.simulate import simulate_cohort

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
REQUIRED = {"researcher_walkthrough", "analyst_walkthrough"}

#: Seconds one cell may take (the slowest cell takes about 2 s on a 2-core machine).
CELL_TIMEOUT = 240
#: Person ids of the synthetic cohorts: "p" and four or more digits.
PERSON_ID = re.compile(r"(?<![A-Za-z0-9_])p\d{4,}(?![0-9])")
#: Embedded images carry base64 text in which any short pattern can occur by chance.
DATA_URI = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\s]+")


def _text_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """Every text a reader sees in the outputs: streams, plain/HTML/markdown reprs, errors."""
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                texts.append(out["text"])
            for mime in ("text/plain", "text/html", "text/markdown"):
                if mime in out.get("data", {}):
                    value = out["data"][mime]
                    texts.append("".join(value) if isinstance(value, list) else value)
            if out.get("output_type") == "error":
                texts.append(out.get("ename", "") + " " + out.get("evalue", ""))
                texts.extend(out.get("traceback", []))
    return [DATA_URI.sub("", t) for t in texts]


def test_required_notebooks_are_stored_without_outputs():
    assert REQUIRED <= {p.stem for p in NOTEBOOKS}, f"found {[p.name for p in NOTEBOOKS]}"
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.nbformat == 4
        assert nb.metadata["kernelspec"]["name"] == "python3"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.execution_count is None and cell.outputs == [], (path.name, cell.source[:60])


def test_what_the_notebooks_write_is_ignored_by_git():
    """Run from notebooks/ (``jupyter lab notebooks/``) they write notebooks/out/: git ignores it."""
    import shutil
    import subprocess

    root = NOTEBOOK_DIR.parent
    if shutil.which("git") is None or not (root / ".git").exists():
        pytest.skip("not a git checkout")
    for written in ("notebooks/out/analyst/note.html", "notebooks/out/researcher/data/forms.csv", "out/report.html"):
        done = subprocess.run(["git", "-C", str(root), "check-ignore", "-q", "--no-index", written], check=False)
        assert done.returncode == 0, f"{written} is not ignored by git"
    assert subprocess.run(["git", "-C", str(root), "check-ignore", "-q", "--no-index", "notebooks/analyst_walkthrough.ipynb"],
                          check=False).returncode == 1


@pytest.fixture(scope="module")
def person_ids() -> set[str]:
    """The ids of the synthetic cohorts the notebooks use (seeds 0 and 1)."""
    ids = set()
    for seed in (0, 1):
        ids |= set(simulate_cohort(seed=seed).persons["person_id"].astype(str))
    # the regex below must describe them, else the scan for ids would look for the wrong thing
    assert all(PERSON_ID.fullmatch(i) for i in ids)
    return ids


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_shows_no_personal_data(path, tmp_path, monkeypatch, person_ids):
    monkeypatch.setenv("MPLBACKEND", "Agg")  # inherited by the kernel process
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell (asserts included)

    texts = _text_outputs(nb)
    assert texts, "the notebook produced no text output"
    for text in texts:
        assert mask_personal(text) == text, f"CPR-like number in an output: {mask_personal(text)[:200]!r}"
        found = set(PERSON_ID.findall(text))
        assert not found, f"person ids in an output: {sorted(found)[:5]}"
        leaked = person_ids & set(re.findall(r"[A-Za-z0-9_]+", text))
        assert not leaked, f"person ids in an output: {sorted(leaked)[:5]}"

    # every file the notebook writes lands under out/
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]

    if path.stem == "analyst_walkthrough":
        note = tmp_path / "out" / "analyst" / "note.html"
        assert note.is_file()
        html = note.read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>")
        visible = DATA_URI.sub("", html)
        assert not PERSON_ID.search(visible) and mask_personal(visible) == visible
        assert (tmp_path / "out" / "analyst" / "job_chance_intake.json").is_file()
    if path.stem == "researcher_walkthrough":
        assert (tmp_path / "out" / "researcher" / "data" / "forms.csv").is_file()
