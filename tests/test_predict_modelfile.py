"""Tests of fip.predict.modelfile: JSON model files, checksum, refusal of changed files."""

from __future__ import annotations

import hashlib
import json
import pickle

import pytest

from fip.predict import ModelFileError, load_model, save_model, train
from fip.predict.modelfile import Model, model_from_json
from fip.simulate import simulate_cohort


@pytest.fixture(scope="module")
def model():
    return train(simulate_cohort(2500, seed=21), "intake", seed=0, compare=False, created_at="2020-01-01T00:00:00Z").model


def test_roundtrip(model, tmp_path):
    path = save_model(model, tmp_path / "m.json")
    back = load_model(path)
    assert back == model and back.content == model.content
    text = path.read_text(encoding="utf-8")
    raw = json.loads(text)
    stored = raw.pop("sha256")
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert stored == hashlib.sha256(canonical.encode()).hexdigest()
    assert text == model.to_json()


def test_edited_coefficient_is_refused(model, tmp_path):
    raw = json.loads(model.to_json())
    feature = raw["features"][0]
    raw["probability_model"]["coefficients"][feature] += 0.5
    path = tmp_path / "m.json"
    path.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        load_model(path)


def test_reordered_or_reindented_file_is_accepted(model):
    raw = json.loads(model.to_json())
    text = json.dumps(dict(reversed(list(raw.items()))))      # same content, other layout
    assert model_from_json(text) == model


@pytest.mark.parametrize("text, message", [
    ("{not json", "not a valid JSON"),
    ('{"format": "fip-job-chance-model"}', "no sha256"),
    ('{"a": NaN, "sha256": "x"}', "not a valid JSON"),
    ("[1, 2]", "JSON object"),
])
def test_bad_files(text, message):
    with pytest.raises(ModelFileError, match=message):
        model_from_json(text)


def test_pickle_is_not_loaded(tmp_path):
    path = tmp_path / "m.json"
    path.write_bytes(pickle.dumps({"format": "fip-job-chance-model"}))
    with pytest.raises(ModelFileError):
        load_model(path)
    with pytest.raises(ModelFileError, match="cannot read"):
        load_model(tmp_path / "missing.json")


def test_valid_checksum_but_broken_content_is_refused(model):
    content = model.content
    del content["rate_model"]
    with pytest.raises(ModelFileError, match="rate_model"):
        model_from_json(Model.from_content(content).to_json())
    content = model.content
    content["preprocessing"]["scale"][content["features"][0]] = 0.0
    with pytest.raises(ModelFileError, match="positive"):
        model_from_json(Model.from_content(content).to_json())
    content = model.content
    content["format_version"] = 99
    with pytest.raises(ModelFileError, match="version 99"):
        model_from_json(Model.from_content(content).to_json())
    content = model.content
    content["bands"]["cuts"] = [0.5, 0.2]
    with pytest.raises(ModelFileError, match="cuts"):
        model_from_json(Model.from_content(content).to_json())


def test_content_is_a_copy(model):
    c = model.content
    c["kind"] = "progression"
    assert model.kind == "intake"
