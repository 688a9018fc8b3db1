"""The caseworker's own assessment of the job chance on the citizen page (issue 16 item 2):
saved on the latest caseworker form, shown after saving, idempotent, escaped, CSRF-protected,
refused for another municipality's citizen, audited, and carried into the analyst export and
back in the library's column names (caseworker_assessment, assessment_reason)."""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from fip.data import load_dataset, write_dataset
from fip.service.models import AuditEvent, Form, Person

ME, OTHER, ANALYST = "caseworker-kommune_03", "caseworker-kommune_02", "analyst-kommune_03"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def login(service, username=ME, **kw) -> Client:
    c = Client(**kw)
    c.force_login(service.user(username))
    return c


def own_person(service, username=ME) -> Person:
    """A citizen of the user with a caseworker form (the cohort's persons all have one)."""
    cw = service.user(username).fip_profile.caseworker
    return Person.objects.filter(caseworker=cw, forms__respondent="caseworker").distinct().order_by("id").first()


def latest_caseworker_form(person: Person) -> Form:
    """Found independently of the view: the caseworker rows of the person's forms, latest date, last row."""
    rows = pd.DataFrame(list(Form.objects.filter(person=person).values("id", "respondent", "answered_on")))
    rows = rows[rows["respondent"] == "caseworker"].sort_values(["answered_on", "id"])
    return Form.objects.get(pk=int(rows["id"].iloc[-1]))


def post(c: Client, person: Person, form: Form, level="high", reason="Har fået en praktikplads.", **extra):
    return c.post(reverse("assessment", args=[person.pk]),
                  {"form": str(form.pk), "caseworker_assessment": level, "assessment_reason": reason, **extra})


def judged() -> list[tuple]:
    return list(Form.objects.exclude(caseworker_assessment="", assessment_reason="")
                .values_list("pk", "caseworker_assessment", "assessment_reason"))


def test_page_offers_the_assessment_of_the_latest_caseworker_form(service):
    person = own_person(service)
    target = latest_caseworker_form(person)
    page = login(service).get(reverse("citizen", args=[person.pk])).content.decode()
    assert 'id="assessment"' in page and f'action="{reverse("assessment", args=[person.pk])}"' in page
    assert f'name="form" value="{target.pk}"' in page
    for code, word in (("low", "lav"), ("medium", "middel"), ("high", "høj")):
        assert f'value="{code}"' in page and word in page          # the library's codes, the bands' words
    assert 'maxlength="500"' in page and "csrfmiddlewaretoken" in page.split('id="assessment"')[1]


def test_save_shows_it_and_a_resent_request_changes_nothing(service):
    person = own_person(service)
    target = latest_caseworker_form(person)
    c = login(service)
    r = post(c, person, target, "high", "  Har fået en praktikplads.  ")
    assert r.status_code == 302 and r["Location"] == reverse("citizen", args=[person.pk]) + "#assessment"
    assert judged() == [(target.pk, "high", "Har fået en praktikplads.")]     # stripped, on that form only
    page = c.get(r["Location"], follow=True).content.decode()
    assert "Din vurdering af chancen for job: <strong>høj</strong>" in page
    assert f"sagsbehandlerbesvarelsen fra {target.answered_on:%Y-%m-%d}" in page
    assert "Begrundelse: Har fået en praktikplads." in page and "Din vurdering er gemt." in page
    checked = re.findall(r'<input[^>]*name="caseworker_assessment"[^>]*>', page)
    assert [t for t in checked if "checked" in t] == [t for t in checked if 'value="high"' in t] != []
    events = AuditEvent.objects.filter(action="assess chance", person=person)
    assert events.count() == 1 and events.get().detail == f"{target.answered_on:%Y-%m-%d}: high"
    assert "praktikplads" not in events.get().detail                      # the reason stays out of the log
    # a double click or a resent request: the same state, no second audit event
    assert post(c, person, target, "high", "Har fået en praktikplads.").status_code == 302
    assert judged() == [(target.pk, "high", "Har fået en praktikplads.")] and events.count() == 1
    # a changed assessment replaces the old one on the same form; an empty reason is allowed
    assert post(c, person, target, "medium", "").status_code == 302
    assert judged() == [(target.pk, "medium", "")] and events.count() == 2
    assert "<strong>middel</strong>" in c.get(reverse("citizen", args=[person.pk])).content.decode()


def test_in_english(service):
    person = own_person(service)
    c = login(service)
    c.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert post(c, person, latest_caseworker_form(person), "low", "").status_code == 302
    page = c.get(reverse("citizen", args=[person.pk])).content.decode()
    assert "Your assessment of the chance of a job: <strong>low</strong>" in page and "Your own assessment" in page


def test_xss_payload_in_the_reason_is_escaped(service):
    person = own_person(service)
    c = login(service)
    assert post(c, person, latest_caseworker_form(person), "low", XSS).status_code == 302
    assert judged()[0][2] == XSS                                           # stored as typed
    page = c.get(reverse("citizen", args=[person.pk])).content.decode()
    assert XSS not in page and "<script>alert" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    # shown back in the form's text box escaped as well (twice on the page: summary and box)
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)") == 2


@pytest.mark.parametrize("change, shown", [
    ({"caseworker_assessment": "very high"}, "gyldig valgmulighed"),
    ({"caseworker_assessment": ""}, "Vælg lav, middel eller høj."),
    ({"assessment_reason": "talt med 010190-1234 i dag"}, "ligner et CPR-nummer"),
    ({"assessment_reason": "=HYPERLINK(\"x\")"}, "uden et =, +, - eller @ forrest"),
    ({"assessment_reason": "a\x07b"}, "kontroltegn"),
    ({"assessment_reason": "x" * 501}, "højst have 500 tegn"),
    ({"form": "not a number"}, "heltal"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_stored(service, change, shown):
    person = own_person(service)
    data = {"form": str(latest_caseworker_form(person).pk), "caseworker_assessment": "high",
            "assessment_reason": "", **change}
    r = login(service).post(reverse("assessment", args=[person.pk]), data)
    assert r.status_code == 400
    body = r.content.decode()
    assert shown in body and "010190" not in body
    assert judged() == [] and not AuditEvent.objects.filter(action="assess chance").exists()


def test_missing_or_forged_csrf_token_is_refused(service):
    person = own_person(service)
    c = login(service, enforce_csrf_checks=True)
    assert post(c, person, latest_caseworker_form(person)).status_code == 403
    c.cookies[django_settings.CSRF_COOKIE_NAME] = "A" * 32
    assert post(c, person, latest_caseworker_form(person), csrfmiddlewaretoken="B" * 32).status_code == 403
    assert judged() == []
    # with the page's own token it is accepted (the check above refused the token, not the form)
    page = c.get(reverse("citizen", args=[person.pk])).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert post(c, person, latest_caseworker_form(person), csrfmiddlewaretoken=token).status_code == 302
    assert len(judged()) == 1


def test_another_municipalitys_citizen_or_form_is_refused(service):
    mine, theirs = own_person(service), own_person(service, OTHER)
    assert mine.municipality_id != theirs.municipality_id
    other = login(service, OTHER)
    # their caseworker cannot assess my citizen: 404 as the citizen page gives
    assert other.get(reverse("citizen", args=[mine.pk])).status_code == 404
    assert post(other, mine, latest_caseworker_form(mine)).status_code == 404
    assert other.get(reverse("assessment", args=[theirs.pk])).status_code == 405     # POST only
    # my page cannot carry a form of their citizen (or another of mine) in the hidden field
    c = login(service)
    assert post(c, mine, latest_caseworker_form(theirs)).status_code == 404
    citizen_form = Form.objects.filter(person=mine, respondent="citizen").first()
    assert post(c, mine, citizen_form).status_code == 404
    # other roles: refused
    for user in ("manager-kommune_03", ANALYST, "researcher"):
        assert post(login(service, user), mine, latest_caseworker_form(mine)).status_code == 403
    assert post(Client(), mine, latest_caseworker_form(mine)).status_code == 302     # to the login page
    assert judged() == []


def export_forms(service, tmp_path) -> pd.DataFrame:
    r = login(service, ANALYST).post(reverse("export"), {"format": "csv"})
    assert r.status_code == 200
    folder = tmp_path / "export"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        z.extractall(folder)
    raw = pd.read_csv(folder / "forms.csv", dtype=str, keep_default_na=False)
    raw.attrs["folder"] = folder
    return raw


def test_export_carries_the_assessment_in_the_librarys_columns(service, tmp_path):
    before = export_forms(service, tmp_path / "before")
    assert "caseworker_assessment" not in before.columns      # as a file without assessments reads
    person = own_person(service)
    target = latest_caseworker_form(person)
    c = login(service)
    assert post(c, person, target, "high", XSS).status_code == 302
    raw = export_forms(service, tmp_path / "after")
    cols = list(raw.columns)
    assert cols[cols.index("visitation") + 1:cols.index("visitation") + 3] == ["caseworker_assessment",
                                                                                "assessment_reason"]
    row = raw[(raw["person_id"] == person.person_id) & (raw["respondent"] == "caseworker")
              & (raw["answered_on"] == f"{target.answered_on:%Y-%m-%d}")]
    assert len(row) == 1 and row.iloc[0]["caseworker_assessment"] == "high" and row.iloc[0]["assessment_reason"] == XSS
    rest = raw.drop(index=row.index)
    assert (rest["caseworker_assessment"] == "").all() and (rest["assessment_reason"] == "").all()
    assert len(raw) == len(before)
    # the library reads it back as the optional columns of the layout
    got = load_dataset(raw.attrs["folder"]).forms
    assert got["caseworker_assessment"].notna().sum() == 1
    assert got.loc[got["caseworker_assessment"].notna(), "assessment_reason"].tolist() == [XSS]


def test_a_dataset_with_assessments_goes_in_and_out_unchanged(db, tmp_path):
    """Import (load_into_service) keeps the columns; the service's dataset equals the files'."""
    from fip.service.data import load_into_service, service_dataset
    from fip.simulate import simulate_cohort

    ds = simulate_cohort(80, seed=11, assessments=True)
    from_files = load_dataset(write_dataset(ds, tmp_path / "files", "csv"))
    assert from_files.forms["assessment_reason"].notna().any()
    load_into_service(from_files)
    back = service_dataset(Person.objects.all())
    pd.testing.assert_frame_equal(back.forms, from_files.forms, check_dtype=True)
    a = write_dataset(back, tmp_path / "service", "csv")
    assert (a / "forms.csv").read_bytes() == (tmp_path / "files" / "forms.csv").read_bytes()
