"""Translated pages (issue 16 item 7 with items 2 and 8): the star page, its chance text, the
star figure and the printable card follow the user's language (Django i18n: the language
switch, or the browser's Accept-Language); the card for the citizen is in the citizen's
language when the card has a translation into it, else in Danish with a notice on the card
and on the page; a right-to-left language gives a right-to-left card (with the TEST-ONLY
Arabic card of card_translation.py)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

import card_translation
from fip.service.data import instrument
from fip.service.models import Form, Person
from test_service_assessment import login, own_person

DA_SENTENCE = re.compile(r"Omkring \d+ ud af (10|100) personer med svar som dine")
EN_SENTENCE = re.compile(r"About \d+ in (10|100) people with answers like these")


def in_english(c: Client) -> Client:
    c.post(reverse("set_language"), {"language": "en", "next": "/"})
    return c


def set_citizen_language(person: Person, lang: str) -> None:
    """The language of the citizen's latest citizen form (what the citizen answered in)."""
    latest = Form.objects.filter(person=person, respondent="citizen").order_by("-answered_on", "-id").first()
    Form.objects.filter(pk=latest.pk).update(language=lang)


def html_attrs(page: str) -> dict:
    tag = re.search(r"<html([^>]*)>", page).group(1)
    return dict(re.findall(r'(\w+)="([^"]*)"', tag))


def test_star_page_and_chance_follow_the_users_language(service):
    person = own_person(service)
    url = reverse("citizen", args=[person.pk])
    da = login(service).get(url).content.decode()
    assert html_attrs(da)["lang"] == "da"
    assert DA_SENTENCE.search(da) and not EN_SENTENCE.search(da)
    assert "Chance for job" in da and "FIP-stjerne" in da
    en = in_english(login(service)).get(url).content.decode()
    assert html_attrs(en)["lang"] == "en"
    assert EN_SENTENCE.search(en) and not DA_SENTENCE.search(en)
    assert "Chance of a job" in en and "FIP star" in en and "Printable card" in en
    # the items that move the chance are named in the page's language
    labels_en = {instrument().label(i, "en") for i in instrument().item_ids()}
    labels_da = {instrument().label(i, "da") for i in instrument().item_ids()} - labels_en
    moved = re.search(r"Raises the chance most: ([^<]*)|Lowers the chance most: ([^<]*)", en)
    named = [x.strip() for x in (moved.group(1) or moved.group(2)).split(",")]
    assert named and set(named) <= labels_en and not set(named) & labels_da
    # without the switch, the browser's language decides
    browser = login(service).get(url, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert EN_SENTENCE.search(browser)


def test_star_figure_follows_the_users_language(service):
    """The star's titles in the page's language (checked in the SVG's text, so whichever
    renderer draws it: matplotlib writes each text as a comment beside its glyphs)."""
    person = own_person(service)
    url = reverse("star_svg", args=[person.pk])
    da = login(service).get(url).content.decode()
    en = in_english(login(service)).get(url).content.decode()
    words = {"da": ("Borger", "Sagsbehandler", "FIP-stjerne"), "en": ("Citizen", "Caseworker", "FIP star")}
    assert [r.label[x] for x in ("da", "en") for r in instrument().respondents] == [*words["da"][:2], *words["en"][:2]]
    for svg, lang, other in ((da, "da", "en"), (en, "en", "da")):
        assert all(w in svg for w in words[lang]), lang
        assert not any(w in svg for w in words[other]), lang


def test_card_follows_the_users_language(service):
    person = own_person(service)
    url = reverse("card", args=[person.pk])
    da = login(service).get(url).content.decode()
    en = in_english(login(service)).get(url).content.decode()
    assert html_attrs(da) == {"lang": "da", "dir": "ltr"} and html_attrs(en) == {"lang": "en", "dir": "ltr"}
    assert "FIP – dit overblik" in da and DA_SENTENCE.search(da.replace("\n", " "))
    assert "FIP – your overview" in en and EN_SENTENCE.search(en.replace("\n", " "))
    assert 'id="card-notice"' not in da + en


def test_citizen_card_in_the_citizens_language(service):
    person = own_person(service)
    card = reverse("card", args=[person.pk]) + "?for=citizen"
    c = login(service)                                # a Danish page
    set_citizen_language(person, "en")
    page = c.get(reverse("citizen", args=[person.pk])).content.decode()
    assert "Kort til borgeren (engelsk)" in page and 'id="card-untranslated"' not in page
    got = c.get(card).content.decode()
    assert html_attrs(got) == {"lang": "en", "dir": "ltr"} and "FIP – your overview" in got
    assert 'id="card-notice"' not in got
    # Somali: no translation of the card: Danish, and the card and the page say so
    set_citizen_language(person, "so")
    got = c.get(card).content.decode()
    assert html_attrs(got) == {"lang": "da", "dir": "ltr"} and "FIP – dit overblik" in got
    assert ('<p class="notice" id="card-notice">Dette kort er på dansk: der er endnu ingen oversættelse af det til '
            'somali.</p>') in got
    page = c.get(reverse("citizen", args=[person.pk])).content.decode()
    assert 'id="card-untranslated"' in page and "Kortet er endnu ikke oversat til somali" in page
    en_page = in_english(login(service)).get(reverse("citizen", args=[person.pk])).content.decode()
    assert "The card has no translation into Somali yet" in en_page
    # the notice is in the card's language even on an English page
    assert "Dette kort er på dansk" in in_english(login(service)).get(card).content.decode()


@pytest.fixture
def arabic_card(tmp_path, monkeypatch):
    """The TEST-ONLY Arabic card: its catalogue on the message search path and the instrument
    with its labels as the service's instrument."""
    import fip.messages
    import fip.service.data
    import fip.service.views

    messages, inst = card_translation.make(tmp_path)
    monkeypatch.setattr(fip.messages, "default_search_path", lambda: (messages,))
    monkeypatch.setattr(fip.service.data, "instrument", lambda: inst)
    monkeypatch.setattr(fip.service.views, "instrument", lambda: inst)
    return inst


def test_citizen_card_right_to_left_when_a_translation_exists(service, arabic_card):
    person = own_person(service)
    set_citizen_language(person, "ar")
    c = login(service)
    got = c.get(reverse("card", args=[person.pk]) + "?for=citizen").content.decode()
    assert html_attrs(got) == {"lang": "ar", "dir": "rtl"}
    assert f"{card_translation.MARK}FIP – your overview" in got and 'id="card-notice"' not in got
    page = c.get(reverse("citizen", args=[person.pk])).content.decode()
    assert 'id="card-untranslated"' not in page and "Kort til borgeren (arabisk)" in page
    # the staff's own card stays in their language, left to right
    assert html_attrs(c.get(reverse("card", args=[person.pk])).content.decode()) == {"lang": "da", "dir": "ltr"}
    # Farsi, also right to left, has no card: Danish, left to right, with the notice
    set_citizen_language(person, "fa")
    got = c.get(reverse("card", args=[person.pk]) + "?for=citizen").content.decode()
    assert html_attrs(got) == {"lang": "da", "dir": "ltr"} and "til farsi" in got
