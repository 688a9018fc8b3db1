"""The API's rate limit per token and the tokens' scopes (issue 16 item 5).

Rate limit: 429 with Retry-After once a token exceeds its limit in a window, other tokens
unaffected, a request served again as the oldest leaves the window, no stretch of a window
holding more than the limit, a token's own limit, the window and limit in
the OpenAPI document, and the counter shared by two server processes (two Python processes
on one SQLite file, started at the same moment). Scopes: every operation refuses a token
lacking its scope (403 naming it) and serves a token holding only that scope; the OpenAPI
document declares each operation's scope; tokens get their role's scopes by default; the
admin sets scopes and the CLI refuses an unknown one."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from fip.service import ratelimit
from fip.service.models import ApiRequest, ApiToken, Form, Person
from fip.service.scopes import ENDPOINT_SCOPES, ROLE_SCOPES, SCOPES
from fip.service.tokens import create_token

MUN_A = "kommune_03"
ME, ANALYST = f"caseworker-{MUN_A}", f"analyst-{MUN_A}"
ITEMS_C = [f"c{k:02d}" for k in range(1, 12)]
SRC = Path(__file__).resolve().parents[2] / "src"


def auth(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def own_person(service) -> Person:
    cw = service.user(ME).fip_profile.caseworker
    return Person.objects.filter(caseworker=cw, forms__respondent="caseworker").distinct().order_by("id").first()


@pytest.fixture
def clock(monkeypatch):
    """The rate limiter's clock, set and moved by the test."""
    now = {"t": dt.datetime(2026, 12, 4, 3, 0, 10, tzinfo=dt.UTC)}
    monkeypatch.setattr(ratelimit, "_now", lambda: now["t"])
    return now


@pytest.fixture
def small_limit(settings):
    settings.API_RATE_LIMIT, settings.API_RATE_WINDOW = 3, 60
    return settings


def _later(clock, seconds: float) -> None:
    clock["t"] += dt.timedelta(seconds=seconds)


def test_token_over_its_limit_gets_429_others_do_not_and_the_limit_frees(service, small_limit, clock):
    person = own_person(service)
    url = f"/api/v1/citizens/{person.pk}"
    _, mine = create_token(ME)
    _, second = create_token(ME)                     # the same user's other token
    _, other_user = create_token(f"caseworker-kommune_02")
    c = Client()
    remaining, resets = [], []
    for _ in range(3):                               # at 0, 10 and 20 s
        r = c.get(url, **auth(mine))
        assert r.status_code == 200 and r["RateLimit-Limit"] == "3"
        remaining.append(r["RateLimit-Remaining"])
        resets.append(r["RateLimit-Reset"])
        _later(clock, 10)
    assert remaining == ["2", "1", "0"]
    assert resets == ["60", "50", "40"]              # until the first request (at 0 s) leaves the window
    refused = c.get(url, **auth(mine))               # at 30 s
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"            # the first request leaves the window at 60 s
    assert refused["Content-Type"] == "application/json" and "3 requests in 60 seconds" in refused.json()["error"]
    assert person.person_id.encode() not in refused.content
    # a refused request runs nothing: no form stored
    before = Form.objects.count()
    body = {"respondent": "citizen", "answered_on": "2018-03-01", "answers": {i: 4 for i in ITEMS_C}}
    post = c.post(f"{url}/forms", json.dumps(body), content_type="application/json", **auth(mine))
    assert post.status_code == 429 and Form.objects.count() == before
    # other tokens are not affected (one of the same user, one of another user)
    assert c.get(url, **auth(second)).status_code == 200
    assert c.get(f"/api/v1/citizens/{person.pk + 10**6}", **auth(other_user)).status_code == 404
    # 29.5 s later (59.5 s after the first request): still refused, Retry-After counts down
    _later(clock, 29.5)
    r = c.get(url, **auth(mine))
    assert r.status_code == 429 and r["Retry-After"] == "1"
    # the first request has left the window: one more is served, then refused again
    _later(clock, 1)
    r = c.get(url, **auth(mine))
    assert r.status_code == 200 and r["RateLimit-Remaining"] == "0" and r["RateLimit-Reset"] == "10"
    assert c.get(url, **auth(mine)).status_code == 429
    # the log keeps only the window's served requests: refused ones are not logged
    record = ApiToken.objects.get(prefix=mine[:12])
    assert ApiRequest.objects.filter(token=record).count() == 3


def test_no_stretch_of_a_window_holds_more_than_the_limit(service, small_limit, clock):
    """A fixed window would serve 3 just before its end and 3 more just after; the sliding
    window serves the next ones only as the first three leave it."""
    url = f"/api/v1/citizens/{own_person(service).pk}"
    _, token = create_token(ME)
    c = Client()
    _later(clock, 49)                                # 59 s: the end of a fixed minute
    served_at = []
    for _ in range(12):                              # one request every 10 s for two minutes
        if c.get(url, **auth(token)).status_code == 200:
            served_at.append(clock["t"])
        _later(clock, 2 if len(served_at) < 3 else 10)
    assert len(served_at) >= 5
    for start in served_at:
        in_window = [t for t in served_at if start <= t < start + dt.timedelta(seconds=60)]
        assert len(in_window) <= 3, (start, served_at)


def test_a_token_may_have_its_own_limit(service, small_limit, clock):
    url = f"/api/v1/citizens/{own_person(service).pk}"
    _, five = create_token(ME, rate_limit=5)
    statuses = [Client().get(url, **auth(five)).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_default_limit_is_120_a_minute(service):
    from django.conf import settings

    assert (settings.API_RATE_LIMIT, settings.API_RATE_WINDOW) == (120, 60)
    record, _ = create_token(ME)
    assert ratelimit.limits(record) == (120, 60)


def test_openapi_declares_the_limit_and_429(service, small_limit):
    from openapi_spec_validator import validate

    doc = Client().get("/api/v1/openapi.json").json()
    validate(doc)
    assert doc["x-rate-limit"] == {"requests": 3, "window_seconds": 60, "per": "token", "kind": "sliding window"}
    assert "3 requests per token in any 60 seconds" in doc["info"]["description"]
    for path, method in ENDPOINT_SCOPES:
        responses = doc["paths"][path][method.lower()]["responses"]
        assert "Retry-After" in responses["429"]["headers"], (path, method)
        assert "RateLimit-Remaining" in responses["200" if "200" in responses else "201"]["headers"]


#: The child process of the two-process test: the service's settings on a shared SQLite file,
#: Django's test client (WSGI in-process, no server), N requests with one token, started at
#: the moment given, printing the status codes.
CHILD = textwrap.dedent("""
    import json, os, sys, time
    import django
    django.setup()
    from django.test import Client
    token, n, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    c = Client()
    time.sleep(max(0.0, start - time.time()))
    print(json.dumps([c.get("/api/v1/citizens/1", HTTP_AUTHORIZATION="Bearer " + token).status_code
                      for _ in range(n)]))
""")
SETUP = textwrap.dedent("""
    import django
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from fip.service.models import Caseworker, Municipality, Profile
    from fip.service.tokens import create_token
    call_command("migrate", interactive=False, verbosity=0)
    m = Municipality.objects.create(code="k1")
    cw = Caseworker.objects.create(caseworker_id="cw1", municipality=m)
    u = get_user_model().objects.create_user("cw1", password="x" * 16)
    Profile.objects.create(user=u, role="caseworker", municipality=m, caseworker=cw)
    print(create_token("cw1")[1])
""")


def test_the_counter_is_shared_by_two_server_processes(tmp_path):
    """Two processes on one database, 12 requests each at the same moment, limit 10: exactly
    10 of the 24 are served, whichever process sent them (a per-process counter would serve 20)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fip.service.settings", "FIP_SERVICE_DATA": str(tmp_path),
           "FIP_SERVICE_SECRET_KEY": "x" * 50, "FIP_ALLOWED_HOSTS": "testserver",
           "FIP_API_RATE_LIMIT": "10", "FIP_API_RATE_WINDOW": str(10**8),   # one window for the whole test
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    env.pop("FIP_DATABASE_URL", None)                 # the SQLite file in tmp_path
    token = subprocess.run([sys.executable, "-c", SETUP], env=env, capture_output=True, text=True, check=True,
                           timeout=120).stdout.strip().splitlines()[-1]
    start = time.time() + 6                           # both processes are up by then
    children = [subprocess.Popen([sys.executable, "-c", CHILD, token, "12", str(start)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    served = [s for r in results for s in r if s != 429]
    assert len(served) == 10 and set(served) == {404}, results   # 404: the caseworker has no citizen 1
    assert sum(r.count(429) for r in results) == 14


# ---- scopes -------------------------------------------------------------------------------

def _request(c: Client, service, path: str, method: str, token: str):
    """One call of the operation with a well-formed body (the caseworker's own citizen)."""
    person = own_person(service)
    url = path.replace("{id}", str(person.pk))
    bodies = {("/api/v1/citizens", "POST"): {"cpr": "010203-1234", "gender": "female", "birth_year": 1990,
                                             "origin": "Syrien", "education": "none", "work_experience": "no",
                                             "arrival_date": "2016-05-01"},
              ("/api/v1/citizens/{id}/forms", "POST"): {"respondent": "citizen", "answered_on": "2018-06-01",
                                                        "answers": {i: 3 for i in ITEMS_C}},
              ("/api/v1/citizens/{id}/assessment", "PUT"): {"level": "low", "reason": "scope test"}}
    if method == "GET":
        return c.get(url, **auth(token))
    body = json.dumps(bodies[(path, method)])
    send = c.post if method == "POST" else c.put
    return send(url, body, content_type="application/json", **auth(token))


def _user_of(path: str) -> str:
    return ANALYST if path == "/api/v1/export" else ME


@pytest.mark.parametrize("path,method", sorted(ENDPOINT_SCOPES))
def test_every_operation_refuses_a_token_without_its_scope(service, path, method):
    needed = ENDPOINT_SCOPES[(path, method)]
    username = _user_of(path)
    _, without = create_token(username, scopes=[s for s in SCOPES if s != needed])
    before = (Form.objects.count(), Person.objects.count(), judged())
    r = _request(Client(), service, path, method, without)
    assert r.status_code == 403 and r["Content-Type"] == "application/json"
    assert r.json()["missing_scope"] == needed and needed in r.json()["error"]
    assert (Form.objects.count(), Person.objects.count(), judged()) == before      # nothing done
    # a token with that one scope only is served
    _, only = create_token(username, scopes=[needed])
    ok = _request(Client(), service, path, method, only)
    assert ok.status_code in (200, 201), (ok.status_code, ok.content[:300])


def judged() -> list:
    return list(Form.objects.exclude(caseworker_assessment="").values_list("pk", "caseworker_assessment"))


def test_a_scope_does_not_widen_the_role(service):
    # a caseworker token holding export:read is still refused the export (role), and an
    # analyst token holding citizens:read still opens no citizen
    _, cw = create_token(ME, scopes=list(SCOPES))
    assert Client().get("/api/v1/export", **auth(cw)).status_code == 403
    _, an = create_token(ANALYST, scopes=list(SCOPES))
    assert Client().get(f"/api/v1/citizens/{own_person(service).pk}", **auth(an)).status_code == 403


def test_openapi_declares_each_operations_scope(service):
    doc = Client().get("/api/v1/openapi.json").json()
    scheme = doc["components"]["securitySchemes"]["bearer"]
    assert scheme["x-scopes"] == dict(SCOPES)
    for scope in SCOPES:
        assert f"`{scope}`" in scheme["description"]
    declared = {(path, method.upper()): op["security"] for path, item in doc["paths"].items()
                for method, op in item.items() if path != "/api/v1/openapi.json"}
    assert declared == {k: [{"bearer": [v]}] for k, v in ENDPOINT_SCOPES.items()}
    assert doc["paths"]["/api/v1/openapi.json"]["get"]["security"] == []
    # every API route of the URL configuration is in the document
    routes = {str(p.pattern) for p in get_resolver().url_patterns if str(p.pattern).startswith(("api/", "^api/"))}
    assert len(routes) == len(doc["paths"]) + 1       # + the catch-all 404 of other /api/ paths


def test_tokens_get_their_roles_scopes_by_default(service):
    for username, role in ((ME, "caseworker"), (ANALYST, "analyst"), ("researcher", "researcher"),
                           (f"manager-{MUN_A}", "manager")):
        record, _ = create_token(username)
        assert record.scopes == sorted(ROLE_SCOPES[role])
    record, _ = create_token(ME, scopes=["chance:read", "forms:write", "chance:read"])
    assert record.scopes == ["chance:read", "forms:write"]
    from fip.errors import FipError

    with pytest.raises(FipError, match="scope 'forms:delete'"):
        create_token(ME, scopes=["forms:delete"])


def test_admin_sets_a_tokens_scopes(service):
    record, token = create_token(ME, scopes=["citizens:read"], name="case system")
    url = f"/api/v1/citizens/{own_person(service).pk}/chance"
    assert Client().get(url, **auth(token)).status_code == 403
    admin = Client()
    admin.force_login(service.user("admin"))
    change = reverse("admin:fipservice_apitoken_change", args=[record.pk])
    page = admin.get(change).content.decode()
    for scope in SCOPES:
        assert f'value="{scope}"' in page
    expires = record.expires_at.astimezone(dt.UTC)
    r = admin.post(change, {"name": "case system", "scopes": ["chance:read", "citizens:read"], "rate_limit": "7",
                            "expires_at_0": expires.strftime("%Y-%m-%d"), "expires_at_1": expires.strftime("%H:%M:%S")})
    assert r.status_code == 302, r.content.decode()[:2000]
    record.refresh_from_db()
    assert record.scopes == ["chance:read", "citizens:read"] and record.rate_limit == 7
    assert Client().get(url, **auth(token)).status_code == 200
    assert "chance:read citizens:read" in admin.get(reverse("admin:fipservice_apitoken_changelist")).content.decode()


def test_cli_scopes(service, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from fip.cli import app
    from fip.service.tokens import token_hash

    monkeypatch.setenv("FIP_SERVICE_DATA", str(tmp_path))
    monkeypatch.setenv("FIP_SERVICE_SECRET_KEY", "test secret key " * 4)
    r = CliRunner().invoke(app, ["api-token", ME, "--scope", "forms:write", "--scope", "chance:read",
                                 "--data", str(tmp_path)])
    assert r.exit_code == 0, r.output
    record = ApiToken.objects.get(token_sha256=token_hash(r.stdout.splitlines()[0].strip()))
    assert record.scopes == ["chance:read", "forms:write"] and "scopes chance:read forms:write" in r.stdout
    bad = CliRunner().invoke(app, ["api-token", ME, "--scope", "everything", "--data", str(tmp_path)])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert bad.stderr.strip().count("\n") == 0 and "everything" in bad.stderr
