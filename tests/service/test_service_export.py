"""The analyst's export (CSV, XLSX, Stata, SPSS: readable back with the same rows as the
service's dataset, formula-safe, own municipality only; researchers all municipalities with
research ids), the model deploy page (checked files, card, activation, own municipality) and
the import log; every page refused to other roles; every export audited."""

from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pandas as pd
import pyreadstat
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from fip.data import load_dataset
from fip.service.data import service_dataset
from fip.service.models import AuditEvent, DeployedModel, Person

MUN_A, MUN_B = "kommune_03", "kommune_02"
ANALYST = f"analyst-{MUN_A}"


def login(service, username=ANALYST) -> Client:
    c = Client()
    c.force_login(service.user(username))
    return c


def download(c, fmt, tmp_path):
    r = c.post(reverse("export"), {"format": fmt})
    assert r.status_code == 200, r.content[:500]
    assert r["Content-Type"] == "application/zip" and "attachment" in r["Content-Disposition"]
    folder = tmp_path / fmt
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert sorted(z.namelist()) == sorted(f"{t}.{fmt}" for t in ("persons", "forms", "outcomes"))
        z.extractall(folder)
    return folder


def expected(municipality=None):
    qs = Person.objects.all() if municipality is None else Person.objects.filter(municipality__code=municipality)
    return service_dataset(qs)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "dta", "sav"])
def test_export_reads_back_with_the_services_rows(service, fmt, tmp_path):
    folder = download(login(service), fmt, tmp_path)
    want = expected(MUN_A)
    # read with the format's own reader first (not fip's), then as a FIP dataset
    persons = {"csv": lambda p: pd.read_csv(p, dtype=str),
               "xlsx": lambda p: pd.DataFrame(list(openpyxl.load_workbook(p, read_only=True).active.values)[1:]),
               "dta": pd.read_stata, "sav": lambda p: pyreadstat.read_sav(str(p))[0]}[fmt](folder / f"persons.{fmt}")
    assert len(persons) == len(want.persons)
    got = load_dataset(folder)
    for t in ("persons", "forms", "outcomes"):
        a = want.table(t).sort_values(list(want.table(t).columns[:4])).reset_index(drop=True)
        b = got.table(t).sort_values(list(want.table(t).columns[:4])).reset_index(drop=True)
        assert len(a) == len(b), t
        pd.testing.assert_frame_equal(a[b.columns.intersection(a.columns)], b[b.columns.intersection(a.columns)],
                                      check_dtype=False, obj=f"{fmt} {t}")
    assert set(got.persons["municipality"]) == {MUN_A}
    event = AuditEvent.objects.filter(action="export", user__username=ANALYST).get()
    assert fmt in event.detail and f"persons {len(want.persons)}" in event.detail


def test_export_is_formula_safe(service, tmp_path):
    person = Person.objects.filter(municipality__code=MUN_A).first()
    Person.objects.filter(pk=person.pk).update(origin="=HYPERLINK(\"http://x\")")
    for fmt in ("csv", "xlsx"):
        got = load_dataset(download(login(service), fmt, tmp_path))
        assert got.persons.loc[got.persons["person_id"] == person.person_id, "origin"].item().startswith("'=")


def test_researcher_exports_all_municipalities_with_research_ids(service, tmp_path):
    got = load_dataset(download(login(service, "researcher"), "csv", tmp_path))
    want = expected()
    assert len(got.persons) == len(want.persons) and len(got.forms) == len(want.forms)
    assert set(got.persons["municipality"]) == set(want.persons["municipality"])
    assert not set(got.persons["person_id"]) & set(want.persons["person_id"])
    assert not set(got.forms["caseworker_id"]) & set(want.forms["caseworker_id"])
    # the research ids are a consistent mapping: the same forms per person
    counts = sorted(got.forms.groupby("person_id").size().tolist())
    assert counts == sorted(want.forms.groupby("person_id").size().tolist())


@pytest.mark.parametrize("username", [f"caseworker-{MUN_A}", f"manager-{MUN_A}", "admin"])
def test_other_roles_cannot_export(service, username):
    c = login(service, username)
    assert c.get(reverse("export")).status_code == 403
    r = c.post(reverse("export"), {"format": "csv"})
    assert r.status_code == 403 and r["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action="export").exists()


def test_export_needs_csrf(service):
    c = Client(enforce_csrf_checks=True)
    c.force_login(service.user(ANALYST))
    assert c.post(reverse("export"), {"format": "csv"}).status_code == 403


def test_bad_format_is_400(service):
    assert login(service).post(reverse("export"), {"format": "exe"}).status_code == 400


@pytest.mark.parametrize("me,other", [(MUN_A, MUN_B), (MUN_B, MUN_A)])
def test_export_holds_no_person_of_another_municipality(service, me, other, tmp_path):
    got = load_dataset(download(login(service, f"analyst-{me}"), "csv", tmp_path))
    theirs = {p.person_id for p in service.persons_by_municipality[other]}
    assert not set(got.persons["person_id"]) & theirs and not set(got.forms["person_id"]) & theirs


# ---- models ----

def model_file(cohort, kind="intake", text=None):
    model = next(m for m in cohort[1] if m.kind == kind)
    return SimpleUploadedFile(f"{kind}.json", (text or model.to_json()).encode()), model


def test_deploy_a_model_for_the_own_municipality(service, cohort):
    c = login(service)
    upload, model = model_file(cohort)
    r = c.post(reverse("models"), {"model_file": upload})
    assert r.status_code == 302
    row = DeployedModel.objects.get(municipality__code=MUN_A, active=True)
    assert row.sha256 == model.sha256 and row.kind == "intake"
    page = c.get(reverse("models")).content.decode()
    assert model.sha256 in page and "Job inden for 6 måneder efter 1. måling." in page   # the window, in Danish
    content = model.content
    assert content["training"]["first_month"] in page and f"{content['training']['n_persons']}" in page
    auc = next(m for m in content["validation"]["metrics"] if m["learner"] == "logistic")["auc"]
    assert f"{round(auc, 2)}".replace(".", ",") in page or f"{round(auc, 2)}" in page
    assert AuditEvent.objects.filter(action="deploy model", detail__contains=model.sha256).exists()
    # the other municipality sees neither the model nor its activation
    other = login(service, f"analyst-{MUN_B}")
    assert f'value="{row.pk}"' not in other.get(reverse("models")).content.decode()
    assert other.post(reverse("models"), {"activate": row.pk}).status_code == 404
    # the global model stays for the other municipality; the own one is used here
    from fip.service.chance import active_row
    assert active_row("intake", MUN_A).pk == row.pk
    assert active_row("intake", MUN_B).municipality is None


def test_a_changed_model_file_is_refused_with_its_problem(service, cohort):
    upload, model = model_file(cohort)
    content = json.loads(model.to_json())
    content["probability_model"]["intercept"] = 3.0
    bad = SimpleUploadedFile("intake.json", json.dumps(content).encode())
    before = DeployedModel.objects.count()
    r = login(service).post(reverse("models"), {"model_file": bad})
    assert r.status_code == 400 and "checksum mismatch" in r.content.decode()
    r = login(service).post(reverse("models"), {"model_file": SimpleUploadedFile("x.json", b"\xff\xfe")})
    assert r.status_code == 400 and "x.json" in r.content.decode()
    assert DeployedModel.objects.count() == before


def test_activate_an_earlier_model(service, cohort):
    c = login(service)
    intake, _ = model_file(cohort, "intake")
    c.post(reverse("models"), {"model_file": intake})
    first = DeployedModel.objects.get(municipality__code=MUN_A)
    intake2, _ = model_file(cohort, "intake")
    c.post(reverse("models"), {"model_file": intake2})
    assert DeployedModel.objects.filter(municipality__code=MUN_A, active=True).count() == 1
    assert not DeployedModel.objects.get(pk=first.pk).active
    assert c.post(reverse("models"), {"activate": first.pk}).status_code == 302
    assert DeployedModel.objects.get(pk=first.pk).active
    assert DeployedModel.objects.filter(municipality__code=MUN_A, active=True).count() == 1
    # a global model cannot be activated from the analyst's page
    glob = DeployedModel.objects.filter(municipality__isnull=True).first()
    assert c.post(reverse("models"), {"activate": glob.pk}).status_code == 404


# ---- import log ----

def test_import_log_shows_own_municipality_only(service):
    AuditEvent.objects.create(user=service.user(ANALYST), action="import", detail="persons: 30, forms: 90")
    AuditEvent.objects.create(user=service.user(f"analyst-{MUN_B}"), action="import refused", detail="7 problems")
    page = login(service).get(reverse("imports")).content.decode()
    assert "persons: 30, forms: 90" in page and "7 problems" not in page


@pytest.mark.parametrize("username", [f"caseworker-{MUN_A}", f"manager-{MUN_A}", "researcher", "admin"])
def test_other_roles_open_no_analyst_page(service, username, cohort):
    c = login(service, username)
    for name in ("models", "imports"):
        assert c.get(reverse(name)).status_code == 403, (username, name)
    upload, _ = model_file(cohort)
    assert c.post(reverse("models"), {"model_file": upload}).status_code == 403
    assert not DeployedModel.objects.filter(municipality__isnull=False).exists()


def test_anonymous_is_sent_to_login(service):
    for name in ("export", "models", "imports"):
        r = Client().get(reverse(name))
        assert r.status_code == 302 and r["Location"].startswith(reverse("login"))
