"""One data model (issue 16 item 6): the analyst's CSV export of the service, analysed by the
CLI, gives byte-identical tables to the same data imported from files.

The service holds the test cohort (``simulate_cohort(200, seed=3)``, loaded with
``load_into_service``). The same persons of one municipality are written to a folder with
``fip.data.write_dataset`` (the file route, independent of the service); both folders go
through ``fip describe``, ``fip describe --progression`` and ``fip indices`` with
``--format csv --out``, and the files are compared byte for byte.
"""

from __future__ import annotations

import dataclasses

import pytest
from typer.testing import CliRunner

from fip.cli import app
from fip.data import write_dataset
from test_service_export import MUN_A, download, login

runner = CliRunner()

COMMANDS = {
    "describe": ["describe"],
    "progression": ["describe", "--progression"],
    "indices": ["indices"],
}


def _files_route(cohort, folder):
    """The cohort's persons of MUN_A, with their forms and outcomes, written as CSV files."""
    dataset, _ = cohort
    persons = dataset.persons[dataset.persons["municipality"] == MUN_A]
    keep = set(persons["person_id"])
    subset = dataclasses.replace(dataset, persons=persons.reset_index(drop=True),
                                 forms=dataset.forms[dataset.forms["person_id"].isin(keep)].reset_index(drop=True),
                                 outcomes=dataset.outcomes[dataset.outcomes["person_id"].isin(keep)]
                                 .reset_index(drop=True))
    write_dataset(subset, folder, "csv")
    return folder, len(persons)


def _run(args, folder, out):
    r = runner.invoke(app, [*args, str(folder), "--format", "csv", "--out", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return out.read_bytes()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_service_export_and_files_give_identical_cli_tables(service, cohort, command, tmp_path):
    exported = download(login(service), "csv", tmp_path)
    files, n = _files_route(cohort, tmp_path / "files")
    assert n >= 10          # enough persons of MUN_A for figures past the disclosure rule
    a = _run(COMMANDS[command], exported, tmp_path / "from_service.csv")
    b = _run(COMMANDS[command], files, tmp_path / "from_files.csv")
    assert a.count(b"\n") > 5, a[:300]      # a real table, not an empty one
    assert a == b
