"""The HTTP API: token authentication (expired, unknown, revoked, deleted user), the pages'
isolation rules for every endpoint with users of two municipalities, CPR numbers hashed and
never returned, idempotent form POSTs, CSRF still enforced on the pages, the OpenAPI document
valid against the OAS 3.1 schema."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fip.service.models import ApiToken, AuditEvent, Form, Person
from fip.service.tokens import create_token, token_hash
from fip.store.pseudonymise import pseudonym

MUN_A, MUN_B = "kommune_03", "kommune_02"
ME = f"caseworker-{MUN_A}"
ITEMS_C = [f"c{k:02d}" for k in range(1, 12)]


def bearer(service, username=ME, **kw) -> dict:
    _, token = create_token(username, **kw)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def own_person(service, username=ME) -> Person:
    cw = service.user(username).fip_profile.caseworker
    return Person.objects.filter(caseworker=cw).order_by("id").first()


def endpoints(pk) -> list[tuple[str, str]]:
    return [("get", f"/api/v1/citizens/{pk}"), ("get", f"/api/v1/citizens/{pk}/chance"),
            ("post", f"/api/v1/citizens/{pk}/forms")]


def call(client, method, url, auth, body=None, **headers):
    if method == "get":
        return client.get(url, **auth, **headers)
    return client.post(url, json.dumps(body or {}), content_type="application/json", **auth, **headers)


def form_body(day="2018-03-01", **over):
    return {"respondent": "citizen", "answered_on": day, "language": "ar",
            "answers": {i: 4 for i in ITEMS_C}, **over}


def test_tokens_are_stored_hashed(service):
    record, token = create_token(ME, days=5, name="case system")
    assert record.token_sha256 == token_hash(token) and token not in record.token_sha256
    assert not ApiToken.objects.filter(token_sha256=token).exists()
    assert dt.timedelta(days=4, hours=23) < record.expires_at - timezone.now() <= dt.timedelta(days=5)


def test_missing_unknown_expired_revoked_and_deleted_user_tokens_get_401(service):
    person = own_person(service)
    url = f"/api/v1/citizens/{person.pk}"
    c = Client()
    ok = bearer(service)
    assert c.get(url, **ok).status_code == 200
    record, expired = create_token(ME)
    ApiToken.objects.filter(pk=record.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    revoked_rec, revoked = create_token(ME)
    revoked_rec.delete()
    for auth in ({}, {"HTTP_AUTHORIZATION": "Bearer fip_" + "x" * 43}, {"HTTP_AUTHORIZATION": f"Bearer {expired}"},
                 {"HTTP_AUTHORIZATION": f"Bearer {revoked}"}, {"HTTP_AUTHORIZATION": "Basic dXNlcjpwdw=="},
                 {"HTTP_AUTHORIZATION": ok["HTTP_AUTHORIZATION"].replace("Bearer", "Token")}):
        r = c.get(url, **auth)
        assert r.status_code == 401, auth
        assert r["Content-Type"] == "application/json" and "error" in r.json()
        assert r["WWW-Authenticate"].startswith("Bearer")
    # a logged-in session is not an API credential
    session = Client()
    session.force_login(service.user(ME))
    assert session.get(url).status_code == 401
    # the owner deactivated, then deleted: the token stops working
    user = service.user(ME)
    user.is_active = False
    user.save()
    assert c.get(url, **ok).status_code == 401
    user.delete()
    assert c.get(url, **ok).status_code == 401
    assert not ApiToken.objects.filter(user__username=ME).exists()


def test_token_records_last_use(service):
    record, token = create_token(ME)
    assert record.last_used_at is None
    Client().get(f"/api/v1/citizens/{own_person(service).pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    record.refresh_from_db()
    assert record.last_used_at is not None


@pytest.mark.parametrize("me,other", [(MUN_A, MUN_B), (MUN_B, MUN_A)])
def test_every_endpoint_gives_404_for_another_municipality(service, me, other):
    auth = bearer(service, f"caseworker-{me}")
    c = Client()
    before = Form.objects.count()
    missing = Person.objects.order_by("-id").first().pk + 1000
    for person in service.persons_by_municipality[other][:5]:
        for method, url in endpoints(person.pk):
            r = call(c, method, url, auth, form_body())
            assert r.status_code == 404, url
            assert person.person_id.encode() not in r.content
        # the same answer as for an id that does not exist: no existence leaked
        for (method, url), (_, url2) in zip(endpoints(person.pk), endpoints(missing)):
            assert call(c, method, url, auth, form_body()).json() == call(c, method, url2, auth, form_body()).json()
    assert Form.objects.count() == before


def test_own_citizen_endpoints(service):
    auth = bearer(service)
    person = own_person(service)
    c = Client()
    r = c.get(f"/api/v1/citizens/{person.pk}", **auth)
    assert r.status_code == 200
    data = r.json()
    assert data["id"] == person.pk and data["municipality"] == MUN_A
    assert len(data["forms"]) == Form.objects.filter(person=person).count()
    assert person.person_id not in r.content.decode()
    ch = c.get(f"/api/v1/citizens/{person.pk}/chance", **auth).json()
    assert ch["available"] is True
    assert 0 <= ch["ci_low"] <= ch["probability"] <= ch["ci_high"] <= 1
    assert ch["band"] in ("low", "middle", "high") and len(ch["model_sha256"]) == 64
    assert 1 <= len(ch["items"]) <= 3 and ch["window"]
    events = set(AuditEvent.objects.filter(person=person).values_list("action", flat=True))
    assert {"open citizen", "chance"} <= events


@pytest.mark.parametrize("username", [f"manager-{MUN_A}", f"analyst-{MUN_A}", "researcher", "admin"])
def test_other_roles_get_403(service, username):
    auth = bearer(service, username)
    person = own_person(service)
    for method, url in [*endpoints(person.pk), ("post", "/api/v1/citizens")]:
        r = call(Client(), method, url, auth, form_body())
        assert r.status_code == 403, (username, url)
        assert person.person_id.encode() not in r.content


def test_citizen_by_cpr_created_found_and_hashed(service, key):
    auth = bearer(service)
    c = Client()
    cpr = "150385-4321"
    body = {"cpr": cpr, "gender": "female", "birth_year": 1985, "origin": "Syrien", "education": "none",
            "work_experience": "no", "arrival_date": "2016-05-01"}
    r = call(c, "post", "/api/v1/citizens", auth, body)
    assert r.status_code == 201, r.content
    person = Person.objects.get(pk=r.json()["id"])
    assert person.person_id == pseudonym(cpr, key) and person.municipality.code == MUN_A
    assert cpr not in r.content.decode() and "1504" not in r.content.decode()
    # the same number, written without the dash: found, not created again
    again = call(c, "post", "/api/v1/citizens", auth, {"cpr": "1503854321"})
    assert again.status_code == 200 and again.json()["id"] == person.pk
    # the citizen of another municipality's caseworker: refused, not shown
    other = call(c, "post", "/api/v1/citizens", bearer(service, f"caseworker-{MUN_B}"), {"cpr": cpr})
    assert other.status_code == 409 and str(person.pk) not in other.content.decode()
    # no CPR number in the audit log
    assert not AuditEvent.objects.filter(detail__contains="4321").exists()
    bad = call(c, "post", "/api/v1/citizens", auth, {"cpr": "12345"})
    assert bad.status_code == 400 and "12345" not in bad.content.decode()
    incomplete = call(c, "post", "/api/v1/citizens", auth, {"cpr": "010203-1111", "gender": "x"})
    assert incomplete.status_code == 400 and "gender" in incomplete.json()["fields"]
    assert "010203" not in incomplete.content.decode()
    # a validator quoting the value sent: a CPR number in a wrong field is masked
    echoed = call(c, "post", "/api/v1/citizens", auth, {**body, "cpr": "010203-2222", "education": "111111-1118"})
    assert echoed.status_code == 400 and "education" in echoed.json()["fields"]
    assert "111111-1118" not in echoed.content.decode()


def test_form_post_is_idempotent(service):
    auth = bearer(service)
    person = own_person(service)
    url = f"/api/v1/citizens/{person.pk}/forms"
    c = Client()
    before = Form.objects.filter(person=person).count()
    first = call(c, "post", url, auth, form_body("2018-04-02"), HTTP_IDEMPOTENCY_KEY="case-42")
    assert first.status_code == 201, first.content
    second = call(c, "post", url, auth, form_body("2018-04-02"), HTTP_IDEMPOTENCY_KEY="case-42")
    assert second.status_code == 200 and second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Form.objects.filter(person=person).count() == before + 1
    # a form uuid in the body works the same way
    u = str(uuid.uuid4())
    a = call(c, "post", url, auth, form_body("2018-04-03", uuid=u))
    b = call(c, "post", url, auth, form_body("2018-04-03", uuid=u))
    assert (a.status_code, b.status_code) == (201, 200) and a.json()["id"] == b.json()["id"]
    assert Form.objects.filter(person=person).count() == before + 2
    # the same day and respondent without a key: a conflict, not a second form
    dup = call(c, "post", url, auth, form_body("2018-04-02"))
    assert dup.status_code == 409
    # the key reused for another form: refused
    reuse = call(c, "post", url, auth, form_body("2018-04-05", respondent="caseworker",
                                                   answers={f"w{k:02d}": 3 for k in range(1, 12)}),
                 HTTP_IDEMPOTENCY_KEY="case-42")
    assert reuse.status_code == 409
    stored = Form.objects.get(pk=first.json()["id"])
    assert stored.answers == {i: 4 for i in ITEMS_C} and stored.entered_by.username == ME


def test_bad_form_bodies_are_400_in_json(service):
    auth = bearer(service)
    url = f"/api/v1/citizens/{own_person(service).pk}/forms"
    c = Client()
    before = Form.objects.count()
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    for body in (form_body(answers={**{i: 4 for i in ITEMS_C}, "c03": 9}), form_body(answered_on=future),
                 form_body(respondent="nobody"), form_body(answers={"w01": 4}), form_body(answers=[1, 2]),
                 form_body(answers={i: 4.5 for i in ITEMS_C})):
        r = call(c, "post", url, auth, body)
        assert r.status_code == 400 and r["Content-Type"] == "application/json", body
    r = c.post(url, "not json", content_type="application/json", **auth)
    assert r.status_code == 400
    r = c.post(url, {"a": "b"}, **auth)   # a form post, not JSON
    assert r.status_code == 415
    assert c.put(url, "{}", content_type="application/json", **auth).status_code == 405
    assert c.get("/api/v1/nothing", **auth).status_code == 404
    assert c.get("/api/v1/citizens/-3", **auth).status_code == 404
    assert c.get(f"/api/v1/citizens/{10**30}", **auth).status_code == 404
    assert Form.objects.count() == before


def test_csrf_exempt_for_token_requests_only(service):
    auth = bearer(service)
    person = own_person(service)
    c = Client(enforce_csrf_checks=True)
    r = call(c, "post", f"/api/v1/citizens/{person.pk}/forms", auth, form_body("2018-05-07"))
    assert r.status_code == 201
    # the pages still refuse a POST without a CSRF token, even with a bearer token
    c.force_login(service.user(ME))
    data = {"submission_token": str(uuid.uuid4()), "answered_on": "2018-05-08",
            **{i: "4" for i in ITEMS_C}}
    assert c.post(reverse("enter_form", args=[person.pk, "citizen"]), data, **auth).status_code == 403


def test_openapi_document_is_valid_oas31(service):
    from openapi_spec_validator import validate

    r = Client().get("/api/v1/openapi.json")
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    doc = r.json()
    validate(doc)                    # raises if the document is not valid OpenAPI 3.1
    assert doc["openapi"] == "3.1.0"
    assert {"/api/v1/citizens", "/api/v1/citizens/{id}", "/api/v1/citizens/{id}/forms",
            "/api/v1/citizens/{id}/chance"} <= set(doc["paths"])


def test_cli_creates_a_token_shown_once(service, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from fip.cli import app

    monkeypatch.setenv("FIP_SERVICE_DATA", str(tmp_path))
    monkeypatch.setenv("FIP_SERVICE_SECRET_KEY", "test secret key " * 4)
    r = CliRunner().invoke(app, ["api-token", ME, "--days", "7", "--name", "case system", "--data", str(tmp_path)])
    assert r.exit_code == 0, r.output
    token = r.stdout.splitlines()[0].strip()
    record = ApiToken.objects.get(token_sha256=token_hash(token))
    assert record.user.username == ME and record.name == "case system"
    assert Client().get(f"/api/v1/citizens/{own_person(service).pk}",
                        HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    for args in (["api-token", "nobody"], ["api-token", ME, "--days", "0"]):
        bad = CliRunner().invoke(app, [*args, "--data", str(tmp_path)])
        assert bad.exit_code == 2 and "Traceback" not in bad.output
        assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def test_export_endpoint_for_analysts_and_researchers(service, tmp_path):
    import io
    import zipfile

    from fip.data import load_dataset

    for username, municipalities in ((f"analyst-{MUN_A}", {MUN_A}), (f"analyst-{MUN_B}", {MUN_B}),
                                     ("researcher", set(service.persons_by_municipality))):
        r = Client().get("/api/v1/export?format=dta", **bearer(service, username))
        assert r.status_code == 200 and r["Content-Type"] == "application/zip"
        folder = tmp_path / username
        zipfile.ZipFile(io.BytesIO(r.content)).extractall(folder)
        got = load_dataset(folder)
        assert set(got.persons["municipality"]) == municipalities
        assert AuditEvent.objects.filter(user__username=username, action="export").count() == 1
    for username in (ME, f"manager-{MUN_A}", "admin"):
        assert Client().get("/api/v1/export", **bearer(service, username)).status_code == 403
    assert Client().get("/api/v1/export?format=exe", **bearer(service, f"analyst-{MUN_A}")).status_code == 400
    assert Client().get("/api/v1/export").status_code == 401


def test_admin_lists_and_revokes_tokens_but_cannot_add(service):
    record, token = create_token(ME, name="case system")
    admin = Client()
    admin.force_login(service.user("admin"))
    page = admin.get(reverse("admin:fipservice_apitoken_changelist"))
    assert page.status_code == 200 and record.prefix in page.content.decode()
    assert token not in page.content.decode()
    assert admin.get(reverse("admin:fipservice_apitoken_add")).status_code == 403
    r = admin.post(reverse("admin:fipservice_apitoken_delete", args=[record.pk]), {"post": "yes"})
    assert r.status_code == 302 and not ApiToken.objects.filter(pk=record.pk).exists()
    assert Client().get(f"/api/v1/citizens/{own_person(service).pk}",
                        HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_errors_are_english_unless_the_client_asks_for_a_language(service, key):
    """The API's own messages are English; so are the validators' field messages, unless the
    request says Accept-Language (Danish here: the service's translation)."""
    c, auth = Client(), bearer(service)
    plain = call(c, "post", "/api/v1/citizens", auth, {"cpr": "12345"})
    danish = call(c, "post", "/api/v1/citizens", auth, {"cpr": "12345"}, HTTP_ACCEPT_LANGUAGE="da")
    assert plain.status_code == danish.status_code == 400
    assert plain.json()["fields"]["cpr"] == ["A CPR number is ten digits, ddmmyy-xxxx or ddmmyyxxxx."]
    assert danish.json()["fields"]["cpr"] == ["Et CPR-nummer er ti cifre, ddmmåå-xxxx eller ddmmååxxxx."]
    missing = call(c, "post", "/api/v1/citizens", auth, {"cpr": "010203-1111", "gender": "x"}).json()["fields"]
    assert all(m.isascii() for messages in missing.values() for m in messages), missing
