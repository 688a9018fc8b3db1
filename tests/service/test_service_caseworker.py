"""Caseworker flow: find or create a citizen by CPR number (pseudonymised at once, never
stored or shown), enter both forms (idempotent), see the star and the chance the library
computes for the same answers, print the card."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fip.data import dataset_from_frames, pair_forms
from fip.predict import score
from fip.service.data import instrument, service_dataset
from fip.service.models import AuditEvent, Form, Person
from fip.star_svg import star_svg
from fip.store.pseudonymise import pseudonym

CPR = "010190-1234"
ME = "caseworker-kommune_03"


def login(service, username=ME) -> Client:
    c = Client()
    c.force_login(service.user(username))
    return c


def create_citizen(c: Client, cpr: str = CPR, origin: str = "Syrien") -> Person:
    r = c.post(reverse("find_citizen"), {"cpr": cpr})
    assert r.status_code == 302 and r["Location"] == reverse("new_citizen")
    r = c.post(reverse("new_citizen"), {"gender": "female", "birth_year": "1988", "origin": origin,
                                        "education": "primary", "work_experience": "no",
                                        "arrival_date": "2016-03-01"})
    assert r.status_code == 302, r.content.decode()[:2000]
    return Person.objects.get(pk=int(r["Location"].split("/")[2]))


def answers(respondent: str, shift: int = 0) -> dict:
    return {it: str(1 + (k + shift) % 7) for k, it in enumerate(instrument().item_ids(respondent))}


def post_form(c: Client, person: Person, respondent: str, token=None, **extra):
    data = {**answers(respondent), "submission_token": str(token or uuid.uuid4()),
            "answered_on": timezone.localdate().isoformat(), "language": "da", **extra}
    return c.post(reverse("enter_form", args=[person.pk, respondent]), data)


def all_table_text() -> str:
    """Every row of every table of the service database, as text, sessions decoded."""
    from django.contrib.sessions.models import Session

    parts = [repr(s.get_decoded()) for s in Session.objects.all()]
    with connection.cursor() as cur:
        for table in connection.introspection.table_names():
            cur.execute(f'SELECT * FROM "{table}"')
            parts.extend(repr(row) for row in cur.fetchall())
    return "\n".join(parts)


def test_cpr_is_pseudonymised_and_never_stored_or_shown(service, key, caplog):
    c = login(service)
    person = create_citizen(c)
    assert person.person_id == pseudonym(CPR, key) == pseudonym("0101901234", key)
    assert person.municipality.code == "kommune_03"
    assert person.caseworker == service.user(ME).fip_profile.caseworker
    text = all_table_text()          # sessions, audit log, persons ...
    assert "0101901234" not in text and CPR not in text and "010190 1234" not in text
    page = c.get(reverse("citizen", args=[person.pk])).content.decode()
    assert "0101901234" not in page and "010190" not in page and person.person_id not in page
    assert not any("010190" in rec.getMessage() or person.person_id in rec.getMessage() for rec in caplog.records)
    # the same number again (hyphen or not) finds the citizen
    for typed in (CPR, "0101901234"):
        r = c.post(reverse("find_citizen"), {"cpr": typed})
        assert r.status_code == 302 and r["Location"] == reverse("citizen", args=[person.pk])
    assert AuditEvent.objects.filter(person=person, action="create citizen").count() == 1


def test_citizen_of_another_municipality_is_not_found_or_duplicated(service):
    theirs = create_citizen(login(service, "caseworker-kommune_02"))
    c = login(service)
    r = c.post(reverse("find_citizen"), {"cpr": CPR}, follow=True)
    assert r.redirect_chain[-1][0] == reverse("citizens")
    assert "tilhører en borger, som du ikke kan åbne" in r.content.decode()
    assert reverse("citizen", args=[theirs.pk]) not in r.content.decode()
    assert Person.objects.filter(person_id=theirs.person_id).count() == 1


@pytest.mark.parametrize("typed", ["12345", "0101901234' OR '1'='1", "<script>alert(1)</script>", "01019012345"])
def test_malformed_cpr_gives_one_message_and_nothing_stored(service, typed):
    before = Person.objects.count()
    r = login(service).post(reverse("find_citizen"), {"cpr": typed})
    assert r.status_code == 400
    body = r.content.decode()
    assert "ddmmåå-xxxx" in body and "<script>alert(1)</script>" not in body
    assert typed not in body.replace("&#x27;", "'")      # the typed text is never rendered back
    assert Person.objects.count() == before


def test_without_pseudonym_key_no_citizen_is_created(service, monkeypatch):
    monkeypatch.delenv("FIP_PSEUDONYM_KEY")
    r = login(service).post(reverse("find_citizen"), {"cpr": CPR})
    assert r.status_code == 503 and b"FIP_PSEUDONYM_KEY" in r.content
    assert not Person.objects.filter(origin="Syrien").exists()


def test_form_page_shows_items_and_anchors_from_the_instrument(service):
    c = login(service)
    person = create_citizen(c)
    da = c.get(reverse("enter_form", args=[person.pk, "citizen"])).content.decode()
    inst = instrument()
    for it in inst.item_ids("citizen"):
        assert inst.item(it).text["da"] in da.replace("&#x27;", "'")
        assert da.count(f'name="{it}"') == 7
    assert inst.scale.anchors["da"][1] in da and inst.scale.anchors["da"][7] in da
    en = c.get(reverse("enter_form", args=[person.pk, "citizen"]) + "?lang=en").content.decode()
    assert inst.item("c01").text["en"] in en and inst.scale.anchors["en"][7] in en
    ar = c.get(reverse("enter_form", args=[person.pk, "citizen"]) + "?lang=ar").content.decode()
    assert "ingen gennemset oversættelse til arabisk" in ar      # said to staff
    assert inst.item("c01").text["da"] in ar


def test_double_submission_stores_one_form(service):
    c = login(service)
    person = create_citizen(c)
    token = uuid.uuid4()
    first = post_form(c, person, "citizen", token)
    again = post_form(c, person, "citizen", token)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == reverse("enter_form", args=[person.pk, "caseworker"])
    assert Form.objects.filter(person=person).count() == 1
    # another token for the same citizen, respondent and day: refused with a message, still one form
    r = post_form(c, person, "citizen")
    assert r.status_code == 400 and Form.objects.filter(person=person).count() == 1
    # a token of this citizen's citizen form cannot be replayed onto another form
    assert post_form(c, person, "caseworker", token).status_code == 403


@pytest.mark.parametrize("change", [{"c03": ""}, {"c03": "8"}, {"c03": "0"}, {"answered_on": "2999-01-01"},
                                    {"submission_token": "not-a-token"}])
def test_bad_answers_store_nothing(service, change):
    c = login(service)
    person = create_citizen(c)
    r = post_form(c, person, "citizen", **change)
    assert r.status_code == 400
    assert Form.objects.filter(person=person).count() == 0


def test_after_both_forms_star_and_chance_are_the_librarys(service, cohort):
    c = login(service)
    person = create_citizen(c)
    assert post_form(c, person, "citizen").status_code == 302
    assert post_form(c, person, "caseworker", visitation="").status_code == 302
    page = c.get(reverse("citizen", args=[person.pk])).content.decode()

    # the same answers as a dataset made independently of the service's tables
    inst = instrument()
    today = timezone.localdate().isoformat()
    persons = pd.DataFrame([{"person_id": "x", "municipality": "m", "gender": "female", "birth_year": 1988,
                             "origin": "Syrien", "education": "primary", "work_experience": "no",
                             "arrival_date": "2016-03-01"}])
    rows = [{"person_id": "x", "caseworker_id": "cw", "respondent": r, "answered_on": today, "language": "da",
             **{k: int(v) for k, v in answers(r).items()}} for r in ("citizen", "caseworker")]
    forms = pd.DataFrame(rows, columns=["person_id", "caseworker_id", "respondent", "answered_on", "language",
                                        *inst.item_ids()])
    outcomes = pd.DataFrame(columns=["person_id", "month", "employment_rate", "ordinary_employment", "education"])
    ds = dataset_from_frames(persons, forms, outcomes, inst)
    intake = cohort[1][0]
    expected = score(ds, intake, lang="da").iloc[0]
    k = max(1, round(expected["probability"] * (10 if expected["probability"] >= 0.095 else 100)))
    assert f"Omkring {k} ud af" in page
    assert "Job inden for 6 måneder efter 1. måling." in page       # the intake model's window
    assert "opfølgningsmålingen" not in page                          # not the study's window
    assert intake.sha256[:12] in page
    assert reverse("star_svg", args=[person.pk]) in page
    svg = c.get(reverse("star_svg", args=[person.pk]))
    assert svg["Content-Type"] == "image/svg+xml"
    m = pair_forms(ds).measurements
    # the service draws the library's star data without matplotlib (fip.star_svg; the same values
    # as fip.star.plot_star: tests/test_star_svg.py)
    assert svg.content == star_svg(m, inst, "x", lang="da", title="FIP-stjerne").encode()
    card = c.get(reverse("card", args=[person.pk]))
    assert card.status_code == 200 and f"Omkring {k} ud af".encode() in card.content
    assert "script-src" not in card["Content-Security-Policy"] and "default-src 'none'" in card["Content-Security-Policy"]


def test_service_tables_are_the_fip_dataset_layout(service, cohort, tmp_path):
    """One data model: the service's tables read back equal the same data read from files,
    and written out they give byte-identical files."""
    from fip.data import load_dataset, write_dataset

    from_files = load_dataset(write_dataset(cohort[0], tmp_path / "files", "csv"))
    back = service_dataset(Person.objects.all())
    for name in ("persons", "forms", "outcomes"):
        pd.testing.assert_frame_equal(back.table(name), from_files.table(name), check_dtype=True)
    a = write_dataset(back, tmp_path / "service", "csv")
    b = write_dataset(from_files, tmp_path / "again", "csv")
    for name in ("persons", "forms", "outcomes"):
        assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes()
