"""Right-to-left citizen form (issue 16 item 2), with the TEST-ONLY Arabic placeholder file
tests/service/data/ar.test-only.yaml (not a translation; never shipped in configs/)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from django.urls import reverse

from fip.service.data import instrument
from fip.service.models import Form
from test_service_caseworker import create_citizen, login, post_form

DATA = Path(__file__).parent / "data"
TEST_AR = yaml.safe_load((DATA / "ar.test-only.yaml").read_text(encoding="utf-8"))


class _FormAttrs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.attrs = None

    def handle_starttag(self, tag, attrs):
        if tag == "form" and dict(attrs).get("id") == "fip-form":
            self.attrs = dict(attrs)


def form_attrs(html: str) -> dict:
    p = _FormAttrs()
    p.feed(html)
    assert p.attrs is not None
    return p.attrs


@pytest.fixture
def with_test_translation(settings):
    settings.FIP_TRANSLATIONS = str(DATA)


def page(c, person, lang):
    return c.get(reverse("enter_form", args=[person.pk, "citizen"]) + f"?lang={lang}").content.decode()


def test_arabic_form_is_rtl_with_the_translation_file_and_tells_staff(service, with_test_translation):
    c = login(service)
    person = create_citizen(c)
    html = page(c, person, "ar")
    attrs = form_attrs(html)
    assert attrs["lang"] == "ar" and attrs["dir"] == "rtl"
    for it in instrument().item_ids("citizen"):
        assert TEST_AR["items"][it] in html
    assert instrument().item("c01").text["da"] not in html
    assert TEST_AR["anchors"][7] in html
    assert 'id="unreviewed-translation"' in html
    assert "ikke en gennemset oversættelse" in html          # said to staff (Danish page)
    assert "ingen gennemset oversættelse til" not in html     # texts are not the Danish fallback


def test_danish_and_english_forms_stay_left_to_right_without_notice(service, with_test_translation):
    c = login(service)
    person = create_citizen(c)
    for lang in ("da", "en"):
        html = page(c, person, lang)
        attrs = form_attrs(html)
        assert attrs["lang"] == lang and "dir" not in attrs
        assert 'id="unreviewed-translation"' not in html


def test_without_a_translation_file_arabic_falls_back_to_danish_ltr(service, settings):
    settings.FIP_TRANSLATIONS = None
    c = login(service)
    person = create_citizen(c)
    html = page(c, person, "ar")
    attrs = form_attrs(html)
    assert attrs["lang"] == "da" and "dir" not in attrs       # Danish text is not laid out mirrored
    assert "ingen gennemset oversættelse til arabisk" in html
    assert TEST_AR["items"]["c01"] not in html


def test_a_reviewed_translation_has_no_notice(service, settings, tmp_path):
    text = (DATA / "ar.test-only.yaml").read_text(encoding="utf-8").replace("reviewed: false", "reviewed: true")
    (tmp_path / "ar.yaml").write_text(text, encoding="utf-8")
    settings.FIP_TRANSLATIONS = str(tmp_path)
    c = login(service)
    person = create_citizen(c)
    html = page(c, person, "ar")
    assert form_attrs(html)["dir"] == "rtl"
    assert 'id="unreviewed-translation"' not in html


def test_arabic_answers_are_saved_with_their_language(service, with_test_translation):
    c = login(service)
    person = create_citizen(c)
    r = post_form(c, person, "citizen", language="ar")
    assert r.status_code == 302
    assert Form.objects.get(person=person, respondent="citizen").language == "ar"


def test_serve_stops_on_a_bad_translation_file_with_one_line(settings, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from fip.cli import app

    folder = tmp_path / "translations"
    folder.mkdir()
    text = (DATA / "ar.test-only.yaml").read_text(encoding="utf-8").replace("respondent: citizen", "respondent: x")
    (folder / "ar.yaml").write_text(text, encoding="utf-8")
    settings.FIP_TRANSLATIONS = str(folder)
    monkeypatch.setenv("FIP_SERVICE_DATA", str(tmp_path))
    monkeypatch.setenv("FIP_SERVICE_SECRET_KEY", "test secret key " * 4)
    r = CliRunner().invoke(app, ["serve", "--data", str(tmp_path / "data")])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "ar.yaml: translation.respondent: expected one of citizen, caseworker" in r.stderr
