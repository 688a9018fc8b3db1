"""Security defaults: hashed passwords, login throttling, session and CSRF cookies, CSRF on
every form, a Content Security Policy without inline script, escaping, a deleted user's
session; and both interface languages complete."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fip.service.models import Form, Person

ME = "caseworker-kommune_03"
LOCALE = Path(__file__).resolve().parents[2] / "src" / "fip" / "service" / "locale"


def login(service, username=ME) -> Client:
    c = Client()
    c.force_login(service.user(username))
    return c


def some_own_person(service, username=ME) -> Person:
    cw = service.user(username).fip_profile.caseworker
    return Person.objects.filter(caseworker=cw).first()


def test_passwords_are_hashed_with_pbkdf2_by_default(db):
    assert django_settings.PASSWORD_HASHERS[0].endswith("PBKDF2PasswordHasher")
    user = get_user_model().objects.create_user("u", password="correct horse battery")
    assert user.password.startswith("pbkdf2_sha256$") and "correct horse" not in user.password


def test_login_throttled_after_five_failures(service):
    login_ = service.logins[ME]
    c = Client()
    for _ in range(5):
        r = c.post(reverse("login"), {"username": login_.username, "password": "wrong"})
        assert r.status_code == 200 and "_auth_user_id" not in c.session
    r = c.post(reverse("login"), {"username": login_.username, "password": login_.password})
    assert r.status_code == 429 and "_auth_user_id" not in c.session
    # another user from another address is not locked out
    other = service.logins["caseworker-kommune_02"]
    r = Client(REMOTE_ADDR="10.0.0.9").post(reverse("login"), {"username": other.username, "password": other.password})
    assert r.status_code == 302


def test_successful_login_sets_httponly_samesite_session_cookie(service):
    login_ = service.logins[ME]
    c = Client()
    r = c.post(reverse("login"), {"username": login_.username, "password": login_.password})
    assert r.status_code == 302
    cookie = r.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_forms_refuse_a_missing_or_forged_csrf_token(service):
    person = some_own_person(service)
    c = Client(enforce_csrf_checks=True)
    c.force_login(service.user(ME))
    data = {"submission_token": str(uuid.uuid4()), "answered_on": timezone.localdate().isoformat(),
            **{f"c{k:02d}": "4" for k in range(1, 12)}}
    url = reverse("enter_form", args=[person.pk, "citizen"])
    assert c.post(url, data).status_code == 403
    c.cookies[django_settings.CSRF_COOKIE_NAME] = "A" * 32
    assert c.post(url, {**data, "csrfmiddlewaretoken": "B" * 32}).status_code == 403
    assert c.post(reverse("find_citizen"), {"cpr": "0101901234"}).status_code == 403
    assert c.post(reverse("logout")).status_code == 403
    assert Form.objects.filter(person=person, submission_token=data["submission_token"]).count() == 0


def test_every_page_has_the_policy_and_no_inline_script(service):
    person = some_own_person(service)
    pages = [(Client(), reverse("login")),
             (login(service), reverse("citizens")), (login(service), reverse("citizen", args=[person.pk])),
             (login(service), reverse("enter_form", args=[person.pk, "citizen"])),
             (login(service, "manager-kommune_03"), reverse("manager")),
             (login(service, "analyst-kommune_03"), reverse("upload")),
             (login(service, "analyst-kommune_03"), reverse("export")),
             (login(service, "analyst-kommune_03"), reverse("models")),
             (login(service, "analyst-kommune_03"), reverse("imports")),
             (login(service, "researcher"), reverse("export"))]
    for client, url in pages:
        r = client.get(url)
        assert r.status_code == 200, url
        csp = r["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        html = r.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (url, tag)
        assert not re.search(r"\son[a-z]+\s*=", html), url         # no inline event handlers
    for url in (reverse("card", args=[person.pk]), reverse("star_svg", args=[person.pk])):
        csp = login(service).get(url)["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script" not in csp


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_text_fields_are_escaped(service, key):
    c = login(service)
    c.post(reverse("find_citizen"), {"cpr": "311299-9999"})
    r = c.post(reverse("new_citizen"), {"gender": "male", "birth_year": "1990", "origin": XSS, "education": "none",
                                        "work_experience": "no", "arrival_date": "2016-01-01"})
    assert r.status_code == 302
    person = Person.objects.get(origin=XSS)
    page = c.get(reverse("citizen", args=[person.pk])).content.decode()
    assert XSS not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    # a payload as user name on the login page
    r = Client().post(reverse("login"), {"username": XSS, "password": "x"})
    assert XSS not in r.content.decode() and "&lt;script&gt;" in r.content.decode()


def test_origin_that_is_a_cpr_number_or_a_formula_is_refused(service):
    c = login(service)
    c.post(reverse("find_citizen"), {"cpr": "311299-9998"})
    for bad in ("born 010190-1234", "=HYPERLINK(1)"):
        r = c.post(reverse("new_citizen"), {"gender": "male", "birth_year": "1990", "origin": bad,
                                            "education": "none", "work_experience": "no",
                                            "arrival_date": "2016-01-01"})
        assert r.status_code == 200 and not Person.objects.filter(origin=bad).exists()
        assert "010190-1234" not in r.content.decode()


def test_a_deleted_users_session_ends(service):
    c = login(service)
    assert c.get(reverse("citizens")).status_code == 200
    service.user(ME).delete()
    r = c.get(reverse("citizens"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("login"))


def test_interface_in_danish_and_english(service):
    c = login(service)
    assert "Find eller opret en borger" in c.get(reverse("citizens")).content.decode()
    c.post(reverse("set_language"), {"language": "en", "next": reverse("citizens")})
    assert "Find or create a citizen" in c.get(reverse("citizens")).content.decode()


def test_danish_catalogue_is_complete_and_compiled(tmp_path):
    po = LOCALE / "da" / "LC_MESSAGES" / "django.po"
    text = po.read_text(encoding="utf-8")
    body = text.split("\n\n", 1)[1] + "\n\n"
    assert not re.search(r'msgstr(\[\d\])? ""\n\n', body), "an untranslated message"
    assert "#, fuzzy" not in text
    out = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(out), str(po)], check=True)
    assert out.read_bytes() == po.with_suffix(".mo").read_bytes(), "django.mo is older than django.po: run msgfmt"
