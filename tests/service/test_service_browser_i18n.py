"""Translated pages in headless Chromium (issue 16 items 7 and 8): the caseworker switches the
interface to English with the keyboard and sees the star page and its chance in English;
the citizen's card of an Arabic-answering citizen is laid out right to left (TEST-ONLY Arabic
card, tests/service/card_translation.py), and one of a Somali-answering citizen is Danish
with its notice, and both print on one A4 page."""

from __future__ import annotations

import re

import pytest

from test_service_browser import CHROMIUM, browser_page, log_in, shot  # noqa: F401  (fixture)
from test_service_i18n import arabic_card, set_citizen_language  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)")


def _measured_person(live_service, username):
    from fip.service.access import visible_persons

    return (visible_persons(live_service.user(username)).filter(forms__respondent="caseworker")
            .filter(forms__respondent="citizen").distinct().order_by("pk").first())


def test_star_page_in_english_and_the_citizen_card_right_to_left(browser_page, live_service, arabic_card):
    page, url, shots, problems = browser_page
    login = live_service.logins["caseworker-kommune_03"]
    person = _measured_person(live_service, login.username)
    set_citizen_language(person, "ar")
    page.goto(url + "/login/")
    log_in(page, login)
    page.wait_for_url(re.compile(r"/citizens/$"))
    page.goto(url + f"/citizens/{person.pk}/")
    assert re.search(r"Omkring \d+ ud af (10|100) personer", page.inner_text("#chance"))
    # the language switch, by keyboard: choose English, Tab to the button, Enter
    page.select_option("#ui-language", "en")
    page.focus("#ui-language")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert re.search(r"About \d+ in (10|100) people", page.inner_text("#chance"))
    assert page.inner_text("#chance-h") == "Chance of a job"
    assert "Card for the citizen (Arabic)" in page.inner_text("#citizen-card")

    page.click("#citizen-card")
    page.wait_for_url(re.compile(r"/card/\?for=citizen$"))
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    # mirrored: the title starts at the right edge of the page
    h1 = page.evaluate("(() => { const r = document.querySelector('h1').getBoundingClientRect();"
                       " return [r.left, r.right, document.body.getBoundingClientRect().right]; })()")
    text_right = page.evaluate("""(() => { const range = document.createRange();
        range.selectNodeContents(document.querySelector('h1'));
        const r = range.getBoundingClientRect(); return [r.left, r.right]; })()""")
    assert abs(text_right[1] - h1[1]) < 2 and text_right[0] - h1[0] > 20
    assert page.locator("#card-notice").count() == 0
    shot(page, shots, "card_rtl")
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1

    # a Somali-answering citizen: the card is Danish, left to right, and says so
    set_citizen_language(person, "so")
    page.goto(url + f"/citizens/{person.pk}/card/?for=citizen")
    assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"
    assert page.locator("#card-notice").is_visible()
    assert "ingen oversættelse af det til somali" in page.inner_text("#card-notice")
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    assert problems == []
