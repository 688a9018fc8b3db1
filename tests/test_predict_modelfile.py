"""Tests of fip.predict.modelfile: JSON model files, checksum, refusal of changed files."""

from __future__ import annotations

import hashlib
import json
import pickle

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fip.errors import FipError
from fip.predict import ModelFileError, load_model, save_model, score, train
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


# --------------------------------------------------------------------------- valid checksum, broken content
# Each case edits a trained model file and recomputes its checksum as fip documents it
# (SHA-256 of the canonical JSON: sorted keys, no whitespace, UTF-8), written out here with
# hashlib, so the structure check is what refuses the file.


def resealed(raw: dict) -> str:
    """The file text of ``raw`` with its checksum recomputed (independently of fip's code)."""
    body = {k: v for k, v in raw.items() if k != "sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return json.dumps({**body, "sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest()}, indent=2)


def _rename_feature(raw: dict, old: str, new: str) -> None:
    raw["features"] = [new if f == old else f for f in raw["features"]]
    for block in (raw["preprocessing"]["impute_with"], raw["preprocessing"]["center"], raw["preprocessing"]["scale"],
                  raw["probability_model"]["coefficients"], raw["rate_model"]["coefficients"]):
        block[new] = block.pop(old)


def _extra_features(raw: dict, n: int) -> None:
    names = [f"x{k:06d}_level" for k in range(n)]
    raw["features"] += names
    for block in (raw["preprocessing"]["impute_with"], raw["preprocessing"]["center"], raw["preprocessing"]["scale"],
                  raw["probability_model"]["coefficients"], raw["rate_model"]["coefficients"]):
        block.update(dict.fromkeys(names, 1.0))


def _set(path: str, value):
    def edit(raw: dict) -> None:
        *parents, last = path.split(".")
        node = raw
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[int(last) if isinstance(node, list) else last] = value
    return edit


def _delete(path: str):
    def edit(raw: dict) -> None:
        *parents, last = path.split(".")
        node = raw
        for p in parents:
            node = node[p]
        del node[last]
    return edit


BROKEN = {  # case -> (edit, the one line the loader must give after "m.json: ")
    "coefficient 1e308": (_set("probability_model.coefficients.c01_level", 1e308),
                          "$.probability_model.coefficients.c01_level: expected a finite number within [-100, 100]"),
    "intercept -1e308": (_set("rate_model.intercept", -1e308),
                         "$.rate_model.intercept: expected a finite number within [-100, 100]"),
    "scale 1e-300": (_set("preprocessing.scale.c02_level", 1e-300),
                     "$.preprocessing.scale.c02_level: expected a positive number within [1e-6, 1e6]"),
    "centre 1e300": (_set("preprocessing.center.female", 1e300), "$.preprocessing.center.female: expected a finite"),
    "renamed feature": (lambda raw: _rename_feature(raw, "c01_level", "c99_level"),
                        "$.features[0]: 'c99_level' is not a feature of an intake model"),
    "200,000 extra features": (lambda raw: _extra_features(raw, 200_000),
                               "$.features: expected at most 1,000 items; got 200,"),
    "missing band labels": (_delete("bands.labels"), "$.bands.labels: missing (required)"),
    "HTML band label": (_set("bands.labels.0", "<b>low</b>"), "$.bands.labels[0]: expected plain text"),
    "formula band label": (_set("bands.labels.2", "=HYPERLINK(\"x\")"), "$.bands.labels[2]: expected plain text"),
    "long band label": (_set("bands.labels.1", "m" * 41), "$.bands.labels[1]: expected plain text of at most 40"),
    "empty calibration bins": (_set("calibration_bins", []), "$.calibration_bins: expected at least 1 item; got 0"),
    "calibration bin above 1": (_set("calibration_bins.3.ci_high", 1.5), "$.calibration_bins[3].ci_high: expected a probability"),
    "empty control coding": (_set("control_coding", {}), "$.control_coding: missing 'gender', "),
    "unknown control column": (_set("control_coding.age.column", "shoe_size"),
                               "$.control_coding.age.column: expected a persons column"),
    "empty instrument": (_set("instrument", {}), "$.instrument: missing 'id', "),
    "kind changed": (_set("kind", "progression"),
                     "$.kind: 'progression' does not match the features, which are those of an intake model"),
    "unknown kind": (_set("kind", "exit"), "$.kind: expected 'intake' or 'progression'; got 'exit'"),
    "features as text": (_set("features", "c01_level"), "$.features: expected a list of 1 to 1000"),
    "coefficient for an unknown feature": (_set("rate_model.coefficients.c98_level", 0.1),
                                           "$.rate_model.coefficients.c98_level: not a feature of the model"),
    "coefficient missing": (_delete("probability_model.coefficients.female"),
                            "$.probability_model.coefficients: lacks 'female'"),
    "cuts reversed": (_set("bands.cuts", [0.6, 0.3]), "$.bands.cuts: expected two increasing probabilities"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_valid_checksum_broken_content_gives_short_lines(model, tmp_path, case):
    edit, expected = BROKEN[case]
    raw = json.loads(model.to_json())
    edit(raw)
    path = tmp_path / "m.json"
    path.write_text(resealed(raw), encoding="utf-8")
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    lines = str(err.value).splitlines()
    assert any(line.startswith("m.json: " + expected) for line in lines), lines
    assert all(line.startswith("m.json: ") and len(line) < 300 for line in lines)
    assert len(lines) <= 21  # at most 20 problems and a "... and N more" line


def test_every_structure_problem_is_reported_at_once(model, tmp_path):
    """Three independent schema problems give three lines, in the CLI too (exit 2)."""
    from typer.testing import CliRunner

    from fip.cli import app

    raw = json.loads(model.to_json())
    for edit, _ in (BROKEN["coefficient 1e308"], BROKEN["missing band labels"], BROKEN["unknown kind"]):
        edit(raw)
    path = tmp_path / "m.json"
    path.write_text(resealed(raw), encoding="utf-8")
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    lines = str(err.value).splitlines()
    assert len(lines) == 3, lines
    for case in ("coefficient 1e308", "missing band labels", "unknown kind"):
        assert sum(line.startswith("m.json: " + BROKEN[case][1]) for line in lines) == 1, (case, lines)
    result = CliRunner().invoke(app, ["score", "--model", str(path), "--out", str(tmp_path / "s.csv")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    shown = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(shown) == 3, result.output


def test_infinite_number_is_refused_before_the_checksum(model):
    text = model.to_json().replace('"intercept": ', '"intercept": 1e400, "x_": ', 1)
    with pytest.raises(ModelFileError, match="out of range"):
        model_from_json(text, "m.json")


# --------------------------------------------------------------------------- fuzzing the loader
# Any bytes, any JSON, any edit of a real file (checksum recomputed): a model that loads (and
# then scores without error) or a ModelFileError / FipError with a message; never another
# exception.

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for k, v in enumerate(node):
            yield from _paths(v, (*prefix, k))


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(300, seed=5)


@pytest.fixture(scope="module")
def model_paths(model):
    return [p for p in _paths(model.content) if p]


def _load_or_refuse(text: str, cohort=None):
    try:
        loaded = model_from_json(text, "m.json")
    except ModelFileError as exc:
        lines = str(exc).splitlines()
        assert 1 <= len(lines) <= 21 and all(line.startswith("m.json: ") and len(line) < 400 for line in lines)
        event("refused")
        return None
    event("loaded")
    if cohort is not None:
        try:
            table = score(cohort, loaded)
        except FipError as exc:
            assert str(exc)
        else:
            assert table["probability"].between(0, 1).all() and table["band"].notna().all()
    return loaded


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_any_bytes_load_or_refuse(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "m.json"
    path.write_bytes(data)
    try:
        load_model(path)
    except ModelFileError as exc:
        assert str(exc).startswith("m.json: ") or "m.json" in str(exc)


@given(json_values)
@settings(max_examples=300, deadline=None)
def test_any_sealed_json_loads_or_refuses(value):
    text = resealed(value) if isinstance(value, dict) else json.dumps(value)
    _load_or_refuse(text)


@given(data=st.data())
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_edit_of_a_real_file_loads_and_scores_or_refuses(model, model_paths, cohort, data):
    raw = json.loads(model.to_json())
    path = data.draw(st.sampled_from(model_paths), label="path")
    *parents, last = path
    node = raw
    for p in parents:
        node = node[p]
    action = data.draw(st.sampled_from(["replace", "delete", "scale", "add"]), label="action")
    if action == "delete":
        del node[last]
    elif action == "scale" and isinstance(node[last], (int, float)) and not isinstance(node[last], bool):
        node[last] = node[last] * data.draw(st.sampled_from([-1, 0, 0.5, 2, 1e3, 1e-3, 1e300]), label="factor")
    elif action == "add" and isinstance(node[last], dict):
        node[last][data.draw(st.text(max_size=12), label="key")] = data.draw(json_values, label="value")
    else:
        node[last] = data.draw(json_values, label="value")
    _load_or_refuse(resealed(raw), cohort)


def test_deeply_nested_json_is_refused():
    for text in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        with pytest.raises(ModelFileError, match="nested too deeply|not a"):
            model_from_json(text, "m.json")
