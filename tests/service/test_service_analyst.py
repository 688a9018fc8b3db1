"""The analyst's upload: problems by file, row and column in the page, nothing half-imported;
only the analyst's own municipality; size and type limits; other roles refused."""

from __future__ import annotations

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from fip.data import write_dataset
from fip.service.models import Form, Person
from fip.simulate import simulate_cohort

ANALYST = "analyst-kommune_03"


def login(service, username=ANALYST) -> Client:
    c = Client()
    c.force_login(service.user(username))
    return c


@pytest.fixture
def upload_folder(tmp_path):
    """30 new persons (ids q…), all of kommune_03, as CSV files."""
    ds = simulate_cohort(30, seed=11)
    rename = {p: "q" + p for p in ds.persons["person_id"]}
    persons = ds.persons.assign(person_id=ds.persons["person_id"].map(rename), municipality="kommune_03")
    forms = ds.forms.assign(person_id=ds.forms["person_id"].map(rename))
    outcomes = ds.outcomes.assign(person_id=ds.outcomes["person_id"].map(rename))
    from dataclasses import replace

    return write_dataset(replace(ds, persons=persons, forms=forms, outcomes=outcomes), tmp_path / "up", "csv")


def files(folder, **override):
    out = {}
    for t in ("persons", "forms", "outcomes"):
        name, data = override.get(t) or (f"{t}.csv", (folder / f"{t}.csv").read_bytes())
        out[t] = SimpleUploadedFile(name, data)
    return out


def test_clean_upload_is_imported_in_full(service, upload_folder):
    before = Person.objects.count(), Form.objects.count()
    r = login(service).post(reverse("upload"), files(upload_folder))
    assert r.status_code == 200, r.content.decode()[:3000]
    n_forms = len(pd.read_csv(upload_folder / "forms.csv"))
    assert Person.objects.count() == before[0] + 30 and Form.objects.count() == before[1] + n_forms
    assert set(Person.objects.filter(person_id__startswith="q").values_list("municipality__code", flat=True)) == {
        "kommune_03"}
    # the same upload again: refused as a whole, nothing doubled
    again = login(service).post(reverse("upload"), files(upload_folder))
    assert again.status_code == 400 and Form.objects.count() == before[1] + n_forms


def test_broken_files_list_every_problem_and_import_nothing(service, upload_folder):
    forms = pd.read_csv(upload_folder / "forms.csv", dtype=str)
    forms.loc[2, "c03"] = "9"
    forms.loc[5, "answered_on"] = "31-02-2018"
    before = Person.objects.count(), Form.objects.count()
    r = login(service).post(reverse("upload"), files(upload_folder, forms=("forms.csv", forms.to_csv(index=False).encode())))
    assert r.status_code == 400
    html = r.content.decode()
    rows = html.split('id="problems"')[1].split("</table>")[0]
    assert "<td>forms.csv</td><td>4</td><td>c03</td><td>9</td>" in rows          # spreadsheet row: header = 1
    assert "<td>forms.csv</td><td>7</td><td>answered_on</td><td>31-02-2018</td>" in rows
    assert (Person.objects.count(), Form.objects.count()) == before


def test_other_municipality_malformed_oversized_and_cpr(service, upload_folder, settings, monkeypatch):
    c = login(service)
    before = Person.objects.count()
    persons = pd.read_csv(upload_folder / "persons.csv", dtype=str)
    other = persons.assign(municipality="kommune_02").to_csv(index=False).encode()
    r = c.post(reverse("upload"), files(upload_folder, persons=("persons.csv", other)))
    assert r.status_code == 400 and "kommune_03" in r.content.decode()
    r = c.post(reverse("upload"), files(upload_folder, outcomes=("outcomes.csv", b"\x00\xff\xfe junk \x00" * 50)))
    assert r.status_code == 400 and "outcomes.csv" in r.content.decode()
    r = c.post(reverse("upload"), files(upload_folder, forms=("forms.exe", b"x")))
    assert r.status_code == 400 and "forms.exe" in r.content.decode()
    monkeypatch.setattr("fip.service.analyst.UPLOAD_MAX_BYTES", 100)
    r = c.post(reverse("upload"), files(upload_folder))
    assert r.status_code == 400 and "persons.csv" in r.content.decode()
    assert Person.objects.count() == before


def test_cpr_ids_are_pseudonymised_on_upload(service, upload_folder, key):
    from fip.store.pseudonymise import pseudonym

    cprs = {f"q{k:04d}": f"0101{k % 90 + 10:02d}-{k:04d}" for k in range(1, 31)}
    tables = {t: pd.read_csv(upload_folder / f"{t}.csv", dtype=str, keep_default_na=False) for t in ("persons", "forms", "outcomes")}
    ids = {old: cprs[f"q{n + 1:04d}"] for n, old in enumerate(tables["persons"]["person_id"])}
    up = {t: (f"{t}.csv", f.assign(person_id=f["person_id"].map(ids)).to_csv(index=False).encode()) for t, f in tables.items()}
    r = login(service).post(reverse("upload"), files(upload_folder, **up))
    assert r.status_code == 200
    first = next(iter(ids.values()))
    assert Person.objects.filter(person_id=pseudonym(first, key)).exists()
    assert not Person.objects.filter(person_id__regex=r"^[0-9]{6}-?[0-9]{4}$").exists()


@pytest.mark.parametrize("username", ["caseworker-kommune_03", "manager-kommune_03", "researcher"])
def test_other_roles_cannot_upload(service, username, upload_folder):
    r = login(service, username).post(reverse("upload"), files(upload_folder))
    assert r.status_code == 403
    assert not Person.objects.filter(person_id__startswith="q").exists()
