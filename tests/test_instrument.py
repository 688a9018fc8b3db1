"""Tests of fip.instrument: the FIP instrument file and validation of malformed ones."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from fip.errors import ConfigError
from fip.instrument import instrument_from_dict, load_instrument
from fip.published import load_published

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load((Path(__file__).parents[1] / "configs" / "instrument.yaml").read_text("utf-8"))


def test_fip_instrument_matches_the_published_items():
    """Ids, respondents, Danish wording and pairs agree with the reference transcription."""
    inst = load_instrument()
    ref = load_published()["instrument"]
    ref_items = ref["citizen_items"] + ref["caseworker_items"]
    assert inst.item_ids() == tuple(r["id"] for r in ref_items)
    assert inst.item_ids("citizen") == tuple(f"c{k:02d}" for k in range(1, 12))
    assert inst.item_ids("caseworker") == tuple(f"w{k:02d}" for k in range(1, 12))
    for r in ref_items:
        assert inst.item(r["id"]).text["da"] == r["text_da"]
    strict = [tuple(p) for p in ref["pairing_summary"]["strict_parallel"]]
    loose = [tuple(p) for p in ref["pairing_summary"]["same_row_loose"]]
    kinds = {g.items: g.kind for g in inst.parallel}
    assert {k for k, v in kinds.items() if v == "parallel"} == set(strict)
    assert {k for k, v in kinds.items() if v == "loose"} == set(loose)
    assert (inst.scale.min, inst.scale.max) == tuple(ref["scale"]["range"])
    assert set(inst.answer_languages) == {"da", "ar", "so", "fa", "ti", "en"}
    assert len(inst.domains) == len(ref["main_categories_da"])
    assert all(set(i.text) >= {"da", "en"} for i in inst.items)


def test_three_rater_instrument_loads():
    inst = load_instrument(DATA / "instrument_three_raters.yaml")
    assert inst.respondent_ids == ("citizen", "placement", "caseworker")
    assert len(inst.items) == 12 and inst.scale.values == (1, 2, 3, 4, 5)
    assert inst.pairs("placement", "caseworker") == [("p1", "s1"), ("p2", "s2"), ("p3", "s3")]


def _break(raw: dict, edit) -> dict:
    broken = copy.deepcopy(raw)
    edit(broken)
    return broken


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda r: r["items"].append(dict(r["items"][0])), "duplicate id 'c01'"),
        (lambda r: r["items"][0].update(domain="happiness"), "unknown domain 'happiness'"),
        (lambda r: r["items"][0].update(respondent="mayor"), "unknown respondent 'mayor'"),
        (lambda r: r["parallel_items"].append({"items": ["c02", "c07"]}), "different respondents"),
        (lambda r: r["parallel_items"].append({"items": ["c02", "w99"]}), "unknown item(s) ['w99']"),
        (lambda r: r["parallel_items"].append({"items": ["c01", "w04"]}), "already in parallel_items[0]"),
        (lambda r: r["scale"].update(min=7, max=1), "min < max"),
        (lambda r: r["items"][3]["text"].pop("en"), "items.c04.text: missing text"),
        (lambda r: r["domains"].append({"id": "2sprog", "label": {"da": "x", "en": "y"}}), "is not an identifier"),
        (lambda r: r.update(measurement={"respondents": ["citizen", "judge"]}), "measurement.respondents"),
        (lambda r: r.pop("respondents"), "missing key 'respondents'"),
    ],
)
def test_malformed_instrument_is_a_clear_error(raw, edit, fragment):
    with pytest.raises(ConfigError) as info:
        instrument_from_dict(_break(raw, edit), source="instrument.yaml")
    assert fragment in str(info.value)
    assert str(info.value).startswith("instrument.yaml: ")


def test_unreadable_files_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read instrument file"):
        load_instrument(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("items: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        load_instrument(bad)


def test_unknown_item_and_respondent_lookups_fail_clearly():
    inst = load_instrument()
    with pytest.raises(KeyError, match="x99"):
        inst.item("x99")
    with pytest.raises(ValueError, match="respondent must be one of"):
        inst.item_ids("placement")
