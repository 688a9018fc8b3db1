"""Roles and isolation: users of two municipalities try each other's citizens (404/403, never
data); managers, analysts, researchers and administrators open no citizen page; the audit log."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from fip.service.models import AuditEvent, Form

MUN_A, MUN_B = "kommune_03", "kommune_02"   # the two largest municipalities of the test cohort


def person_urls(pk: int) -> list[str]:
    return [reverse("citizen", args=[pk]), reverse("star_svg", args=[pk]), reverse("card", args=[pk]),
            reverse("enter_form", args=[pk, "citizen"]), reverse("enter_form", args=[pk, "caseworker"])]


def client_for(service, username) -> Client:
    c = Client()
    c.force_login(service.user(username))
    return c


def own_person(service, username):
    cw = service.user(username).fip_profile.caseworker
    return next(p for p in service.persons_by_municipality[cw.municipality.code] if p.caseworker_id == cw.pk)


def test_demo_users_belong_to_the_two_municipalities(service):
    assert set(service.logins) == {f"{r}-{m}" for r in ("caseworker", "manager", "analyst") for m in (MUN_A, MUN_B)} | {
        "researcher", "admin"}
    for m in (MUN_A, MUN_B):
        prof = service.user(f"caseworker-{m}").fip_profile
        assert prof.municipality.code == m and prof.caseworker.municipality.code == m


def test_caseworker_opens_own_citizen_pages(service):
    c = client_for(service, f"caseworker-{MUN_A}")
    person = own_person(service, f"caseworker-{MUN_A}")
    for url in person_urls(person.pk):
        assert c.get(url).status_code == 200, url


@pytest.mark.parametrize("me,other", [(MUN_A, MUN_B), (MUN_B, MUN_A)])
def test_caseworker_gets_404_for_every_page_of_another_municipality(service, me, other):
    c = client_for(service, f"caseworker-{me}")
    before = Form.objects.count()
    for person in service.persons_by_municipality[other][:5]:
        for url in person_urls(person.pk):
            r = c.get(url)
            assert r.status_code == 404, url
            assert person.person_id.encode() not in r.content
        r = c.post(reverse("enter_form", args=[person.pk, "citizen"]), {"submission_token": "x"})
        assert r.status_code == 404
        target = Form.objects.filter(person=person).order_by("-respondent").first()   # caseworker's if any
        r = c.post(reverse("assessment", args=[person.pk]),
                   {"form": target.pk if target else 1, "caseworker_assessment": "high"})
        assert r.status_code == 404
    assert Form.objects.count() == before
    assert not Form.objects.exclude(caseworker_assessment="").exists()
    listing = c.get(reverse("citizens")).content.decode()
    for person in service.persons_by_municipality[other]:
        assert reverse("citizen", args=[person.pk]) not in listing


def test_caseworker_scope_own_hides_colleagues_citizens(service, settings):
    me = f"caseworker-{MUN_A}"
    mine = service.user(me).fip_profile.caseworker_id
    colleague = next(p for p in service.persons_by_municipality[MUN_A] if p.caseworker_id != mine)
    c = client_for(service, me)
    assert c.get(reverse("citizen", args=[colleague.pk])).status_code == 404
    settings.CASEWORKER_SCOPE = "municipality"
    assert c.get(reverse("citizen", args=[colleague.pk])).status_code == 200
    other = service.persons_by_municipality[MUN_B][0]
    assert c.get(reverse("citizen", args=[other.pk])).status_code == 404


@pytest.mark.parametrize("username", [f"manager-{MUN_A}", f"analyst-{MUN_A}", "researcher", "admin"])
def test_other_roles_open_no_citizen_page(service, username):
    c = client_for(service, username)
    person = own_person(service, f"caseworker-{MUN_A}")
    for url in [*person_urls(person.pk), reverse("citizens")]:
        r = c.get(url)
        assert r.status_code == 403, (username, url)
        assert person.person_id.encode() not in r.content


def test_anonymous_is_sent_to_login(service):
    person = own_person(service, f"caseworker-{MUN_A}")
    for url in person_urls(person.pk):
        r = Client().get(url)
        assert r.status_code == 302 and r["Location"].startswith(reverse("login"))


def test_audit_log_records_who_opened_which_citizen(service):
    me = f"caseworker-{MUN_A}"
    person = own_person(service, me)
    client_for(service, me).get(reverse("citizen", args=[person.pk]))
    client_for(service, me).get(reverse("card", args=[person.pk]))
    events = list(AuditEvent.objects.filter(person=person).order_by("at", "id").values_list("user__username", "action"))
    assert events == [(me, "open citizen"), (me, "print card")]
    admin = client_for(service, "admin")
    page = admin.get(reverse("admin:fipservice_auditevent_changelist"))
    assert page.status_code == 200 and b"open citizen" in page.content
    # the audit log is read-only, and no one but an administrator reads it
    assert admin.get(reverse("admin:fipservice_auditevent_add")).status_code == 403
    assert client_for(service, f"manager-{MUN_A}").get(reverse("admin:fipservice_auditevent_changelist")).status_code == 302


#: Every URL of the service and the test file that checks its access rules with users of two
#: municipalities (public URLs: no data).
CHECKED = {
    "citizens": "test_service_isolation", "find_citizen": "test_service_caseworker",
    "new_citizen": "test_service_caseworker", "citizen": "test_service_isolation",
    "star_svg": "test_service_isolation", "card": "test_service_isolation", "enter_form": "test_service_isolation",
    "manager": "test_service_manager", "manager_note": "test_service_manager", "upload": "test_service_analyst",
    "export": "test_service_export", "models": "test_service_export", "imports": "test_service_export",
    "api_citizens": "test_service_api", "api_citizen": "test_service_api", "api_citizen_forms": "test_service_api",
    "api_citizen_chance": "test_service_api", "api_export": "test_service_api",
    "assessment": "test_service_assessment", "api_citizen_assessment": "test_service_api_assessment",
}
PUBLIC = {"home", "login", "logout", "api_openapi"}


def test_every_url_has_its_access_test():
    """A new page or endpoint must be added to CHECKED with a test of its access rules."""
    from django.urls import URLPattern, get_resolver

    names = {p.name for p in get_resolver().url_patterns if isinstance(p, URLPattern) and p.name}
    assert names - set(CHECKED) - PUBLIC == set()
    assert set(CHECKED) <= names
