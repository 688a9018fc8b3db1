"""fip.translation: translation files of the citizen form and the right-to-left list."""

from __future__ import annotations

from pathlib import Path

import pytest

from fip.errors import ConfigError
from fip.instrument import load_instrument
from fip.translation import direction, load_translation, load_translations, right_to_left_languages

TEST_AR = Path(__file__).parent / "service" / "data" / "ar.test-only.yaml"


def test_rtl_list_is_data():
    rtl = right_to_left_languages()
    assert {"ar", "fa", "he", "ur"} <= rtl
    assert not {"da", "en", "so", "ti"} & rtl
    assert direction("ar") == "rtl" and direction("FA-ir") == "rtl" and direction("da") == "ltr"


def test_rtl_list_bad_file(tmp_path):
    f = tmp_path / "languages.yaml"
    f.write_text("right_to_left: ar\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="right_to_left: expected a list"):
        right_to_left_languages(f)


def test_test_only_file_loads():
    inst = load_instrument()
    t = load_translation(TEST_AR, inst)
    assert (t.language, t.respondent, t.reviewed, t.direction) == ("ar", "citizen", False, "rtl")
    assert list(t.items) == list(inst.item_ids("citizen"))
    assert "TEST ONLY" in t.note
    tidy = t.tidy()
    assert len(tidy) == 11 and list(tidy.columns) == ["language", "respondent", "item", "text", "reviewed"]


@pytest.mark.parametrize("old, new, message", [
    ("language: ar", "language: xx", "translation.language: expected one of da, ar"),
    ("respondent: citizen", "respondent: nobody", "translation.respondent: expected one of"),
    ("reviewed: false", "reviewed: maybe", "translation.reviewed: expected true or false"),
    ('  c11: "نص اختباري ١١ (TEST ONLY)"\n', "", "items.c11: expected a non-empty text"),
    ('  c11: "', '  w01: "x"\n  c11: "', "items.w01: expected an item of the citizen form"),
    ("7: \"اختبار ٧\"", "9: \"x\"", "anchors.9: expected a scale value 1-7"),
])
def test_bad_translation_file_names_file_and_key(tmp_path, old, new, message):
    text = TEST_AR.read_text(encoding="utf-8")
    assert old in text
    f = tmp_path / "ar.yaml"
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_translation(f, load_instrument())
    assert str(f) in str(info.value)


def test_two_files_for_one_language_are_refused(tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(TEST_AR.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ConfigError, match="translated already in a.yaml"):
        load_translations(tmp_path, load_instrument())
    assert load_translations(None, load_instrument()) == {}
