"""The caseworker's own assessment over the API (issue 16 item 5, with item 2's assessment):
GET and PUT /api/v1/citizens/{id}/assessment store and read what the citizen page stores and
shows (the same form, the same screening), another municipality's citizen gives the 404 of a
missing one, a payload stored through the API is escaped on the page, audited without the
reason, in the OpenAPI document."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from fip.service.models import AuditEvent, Form, Person
from fip.service.tokens import create_token
from test_service_assessment import XSS, judged, latest_caseworker_form, login, own_person

ME, OTHER = "caseworker-kommune_03", "caseworker-kommune_02"


def bearer(username=ME, **kw) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_token(username, **kw)[1]}"}


def url(person) -> str:
    pk = person if isinstance(person, int) else person.pk
    return f"/api/v1/citizens/{pk}/assessment"


def put(c, person, body, auth):
    return c.put(url(person), json.dumps(body), content_type="application/json", **auth)


def test_put_then_get_and_the_page_shows_it(service):
    person = own_person(service)
    target = latest_caseworker_form(person)
    auth, c = bearer(), Client()
    empty = c.get(url(person), **auth)
    assert empty.status_code == 200
    assert empty.json() == {"id": person.pk, "form": target.pk, "answered_on": f"{target.answered_on:%Y-%m-%d}",
                            "level": None, "reason": ""}
    r = put(c, person, {"level": "high", "reason": "  Har fået en praktikplads.  "}, auth)
    assert r.status_code == 200, r.content
    assert r.json() == {"id": person.pk, "form": target.pk, "answered_on": f"{target.answered_on:%Y-%m-%d}",
                        "level": "high", "reason": "Har fået en praktikplads."}
    assert judged() == [(target.pk, "high", "Har fået en praktikplads.")]
    assert c.get(url(person), **auth).json() == r.json()
    # the citizen page shows what the API stored
    page = login(service).get(reverse("citizen", args=[person.pk])).content.decode()
    assert "Din vurdering af chancen for job: <strong>høj</strong>" in page
    assert "Begrundelse: Har fået en praktikplads." in page
    # audited once, without the reason; the same values again change nothing and log nothing
    events = AuditEvent.objects.filter(action="assess chance", person=person)
    assert [e.detail for e in events] == [f"{target.answered_on:%Y-%m-%d}: high (api)"]
    assert put(c, person, {"level": "high", "reason": "Har fået en praktikplads."}, auth).status_code == 200
    assert events.count() == 1
    # and what the page stores, the API reads
    assert login(service).post(reverse("assessment", args=[person.pk]), {
        "form": str(target.pk), "caseworker_assessment": "low", "assessment_reason": ""}).status_code == 302
    assert c.get(url(person), **auth).json()["level"] == "low"


def test_naming_the_form_and_a_newer_form(service):
    person = own_person(service)
    old = latest_caseworker_form(person)
    auth, c = bearer(), Client()
    assert put(c, person, {"level": "medium", "form": old.pk}, auth).json()["form"] == old.pk
    # a later caseworker form: GET shows the latest (no assessment yet); the old one keeps its own
    body = {"respondent": "caseworker", "answered_on": "2019-01-15", "answers": {f"w{k:02d}": 5 for k in range(1, 12)}}
    new = c.post(f"/api/v1/citizens/{person.pk}/forms", json.dumps(body), content_type="application/json", **auth)
    assert new.status_code == 201, new.content
    got = c.get(url(person), **auth).json()
    assert got["form"] == new.json()["id"] and got["level"] is None
    assert Form.objects.get(pk=old.pk).caseworker_assessment == "medium"


def test_xss_payload_stored_through_the_api_is_escaped(service):
    person = own_person(service)
    auth = bearer()
    r = put(Client(), person, {"level": "low", "reason": XSS}, auth)
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    assert json.loads(r.content)["reason"] == XSS                 # JSON carries the text as typed
    page = login(service).get(reverse("citizen", args=[person.pk])).content.decode()
    assert XSS not in page and "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


@pytest.mark.parametrize("body, field", [
    ({"level": "very high"}, "level"),
    ({}, "level"),
    ({"level": "high", "reason": "talt med 010190-1234 i dag"}, "reason"),
    ({"level": "high", "reason": "=HYPERLINK(\"x\")"}, "reason"),
    ({"level": "high", "reason": "a\x07b"}, "reason"),
    ({"level": "high", "reason": "x" * 501}, "reason"),
    ({"level": "high", "colour": "red"}, "colour"),
    ({"level": 3}, "level"),
    ({"level": "high", "form": "12"}, "form"),
])
def test_bad_bodies_are_400_and_nothing_is_stored(service, body, field):
    person = own_person(service)
    r = put(Client(), person, body, bearer())
    assert r.status_code == 400 and r["Content-Type"] == "application/json", r.content
    if field is not None:
        assert field in r.json()["fields"]
    assert "010190" not in r.content.decode()
    assert judged() == [] and not AuditEvent.objects.filter(action="assess chance").exists()


def test_another_municipality_gives_the_404_of_a_missing_citizen(service):
    mine, theirs = own_person(service), own_person(service, OTHER)
    missing = Person.objects.order_by("-id").first().pk + 1000
    c, auth = Client(), bearer(OTHER)
    for method in ("get", "put"):
        answers = []
        for pk in (mine.pk, missing):
            r = c.get(url(pk), **auth) if method == "get" else put(c, pk, {"level": "high"}, auth)
            assert r.status_code == 404
            assert mine.person_id.encode() not in r.content
            answers.append(r.json())
        assert answers[0] == answers[1]
    # my token cannot reach their citizen's form through my citizen's URL, nor a citizen form
    mine_auth = bearer()
    assert put(c, mine, {"level": "high", "form": latest_caseworker_form(theirs).pk}, mine_auth).status_code == 404
    citizen_form = Form.objects.filter(person=mine, respondent="citizen").first()
    assert put(c, mine, {"level": "high", "form": citizen_form.pk}, mine_auth).status_code == 404
    assert put(c, mine, {"level": "high", "form": 10**30}, mine_auth).status_code == 404
    # other roles are refused
    for user in ("manager-kommune_03", "analyst-kommune_03", "researcher"):
        assert c.get(url(mine), **bearer(user)).status_code == 403
    assert judged() == []


def test_a_citizen_without_a_caseworker_form(service, key):
    auth, c = bearer(), Client()
    new = c.post("/api/v1/citizens", json.dumps({
        "cpr": "050607-1235", "gender": "male", "birth_year": 1980, "origin": "Eritrea", "education": "none",
        "work_experience": "no", "arrival_date": "2015-02-01"}), content_type="application/json", **auth)
    assert new.status_code == 201, new.content
    pk = new.json()["id"]
    assert c.get(url(pk), **auth).json() == {"id": pk, "form": None, "answered_on": None, "level": None,
                                             "reason": ""}
    r = put(c, pk, {"level": "high"}, auth)
    assert r.status_code == 409 and "caseworker form" in r.json()["error"]
    assert put(c, pk, {"level": 3}, auth).status_code == 400          # a bad body is still a bad body


def test_in_the_openapi_document(service):
    doc = Client().get("/api/v1/openapi.json").json()
    item = doc["paths"]["/api/v1/citizens/{id}/assessment"]
    assert set(item) == {"get", "put"}
    assert item["put"]["security"] == [{"bearer": ["assessment:write"]}]
    assert doc["components"]["schemas"]["NewAssessment"]["properties"]["level"]["enum"] == ["low", "medium", "high"]
    assert {"200", "400", "401", "403", "404", "409", "429"} <= set(item["put"]["responses"])
