"""Feature policies, the fairness block and the model card of a model file; `fip train --features`, `fip model-card`."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from fip.cli import app
from fip.instrument import load_instrument
from fip.predict import ModelFileError, load_model, save_model, score, train
from fip.predict.features import CONTROL_CODING, FEATURE_POLICIES, feature_names
from fip.predict.modelcard import model_card_html
from fip.predict.modelfile import Model, model_from_json
from fip.simulate import simulate_cohort
from fip.study import Study

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def study():
    return Study(simulate_cohort(1200, seed=4))


@pytest.fixture(scope="module")
def models(study):
    return {p: train(study, "intake", compare=False, n_boot=30, features=p, created_at="t") for p in FEATURE_POLICIES}


def test_feature_names_of_each_policy():
    inst = load_instrument()
    full = feature_names(inst, "progression")
    without = feature_names(inst, "progression", policy="without_gender_origin")
    items = feature_names(inst, "progression", policy="items_only")
    origin = {f"origin_{g}" for g in CONTROL_CODING["origin"]["indicators"]}
    assert set(full) - set(without) == {"female"} | origin
    assert items == tuple(f"{i}_{s}" for s in ("level", "change") for i in inst.item_ids())
    assert "days_between_rounds" in without and "days_between_rounds" not in items
    with pytest.raises(ValueError, match="features must be one of 'items_and_controls'.*got 'no_gender'"):
        feature_names(inst, "intake", policy="no_gender")


def test_each_policy_trains_saves_loads_and_scores(models, study, tmp_path):
    for policy, result in models.items():
        content = result.model.content
        assert content["feature_policy"] == policy
        assert content["features"] == list(feature_names(study.instrument, "intake", policy=policy))
        path = save_model(result.model, tmp_path / f"{policy}.json")
        loaded = load_model(path)
        s = score(study, loaded)
        assert s["probability"].between(0, 1).all() and len(s) == result.n_persons
        assert content["model_card"]["features"]["policy"] == policy
    coef = models["without_gender_origin"].model.content["probability_model"]["coefficients"]
    assert "female" not in coef and not any(k.startswith("origin_") for k in coef)
    with pytest.raises(ValueError, match="features must be one of"):
        train(study, "intake", features="everything")


def _reseal(content: dict) -> str:
    return Model.from_content(content).to_json()


def test_the_file_must_agree_with_its_policy(models):
    content = models["items_only"].model.content
    content["feature_policy"] = "items_and_controls"
    with pytest.raises(ModelFileError, match=r"\$\.features: lacks 'female'.*feature policy 'items_and_controls'"):
        model_from_json(_reseal(content), "m.json")
    content = models["items_only"].model.content
    content["feature_policy"] = "gender_blind"
    with pytest.raises(ModelFileError, match=r"\$\.feature_policy: expected 'items_and_controls'"):
        model_from_json(_reseal(content), "m.json")
    content = models["items_and_controls"].model.content
    content["fairness"]["cuts"] = [0.1, 0.9]
    with pytest.raises(ModelFileError, match=r"\$\.fairness\.cuts: expected the band cuts"):
        model_from_json(_reseal(content), "m.json")
    content = models["items_and_controls"].model.content
    content["fairness"]["rows"][0]["estimate"] = 1e9
    with pytest.raises(ModelFileError, match=r"\$\.fairness\.rows\[0\]\.estimate"):
        model_from_json(_reseal(content), "m.json")
    content = models["items_and_controls"].model.content
    del content["model_card"], content["fairness"], content["feature_policy"]   # a file of an earlier fip
    assert model_from_json(_reseal(content), "m.json").content["kind"] == "intake"


def test_the_fairness_block_is_the_audit(models):
    result = models["items_and_controls"]
    block = result.model.content["fairness"]
    audit = result.validation.fairness.tidy()
    assert block["cuts"] == result.model.content["bands"]["cuts"]
    assert block["bootstrap"] == {"unit": "caseworker", "replicates": 30, "seed": 0, "level": 0.95,
                                  "interval": "percentile"}
    assert len(block["rows"]) == len(audit)
    est = np.array([np.nan if r["estimate"] is None else r["estimate"] for r in block["rows"]])
    np.testing.assert_allclose(est, audit["estimate"].to_numpy(), rtol=1e-12, equal_nan=True)
    assert {r["group_variable"] for r in block["rows"]} == {"all", "gender", "origin_group", "gender_x_origin",
                                                          "language", "age_group"}
    assert all(r["n"] is None and r["estimate"] is None for r in block["rows"] if r["n"] is None)


def test_model_card_block_and_html(models):
    model = models["items_and_controls"].model
    card = model.content["model_card"]
    training = model.content["training"]
    assert card["data"]["first_month"] == training["first_month"] and card["data"]["n_persons"] == training["n_persons"]
    assert "is not a decision" in card["not_a_decision"] and "the judgement decides" in card["override"]
    assert card["metrics"]["auc"] == next(r["auc"] for r in model.content["validation"]["metrics"])
    assert any("gender and origin" in x.lower() for x in card["limits"])           # the policy's own limit
    assert not any("Gender and origin group are features" in x
                   for x in models["items_only"].model.content["model_card"]["limits"])
    for gap in card["audit"]["gaps"]:
        assert gap["lowest"] <= gap["highest"]
    page = model_card_html(model, "en")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "http" not in page.replace(
        "https://", "").split("<style>")[0]
    assert "The caseworker&#x27;s judgement overrides the model" in page
    assert "@media print" in page
    da = model_card_html(model, "da")
    assert "Ikke en afgørelse" in da and 'lang="da"' in da


def test_model_card_html_escapes_the_file_text(models):
    content = models["items_only"].model.content
    content["training"]["sample"] = "<b onmouseover=alert(1)>x</b>"
    content["fairness"]["rows"][0]["group"] = "<script>alert(1)</script>"
    page = model_card_html(Model.from_content(content), "en")
    assert "<script>" not in page and "<b onmouseover" not in page
    assert html.escape("<script>alert(1)</script>") in page


def test_cli_train_features_and_model_card(tmp_path, study):
    data = tmp_path / "data"
    assert invoke("simulate", "--persons", "600", "--seed", "5", "--out", data).exit_code == 0
    model = tmp_path / "m.json"
    result = invoke("train", data, "--model", "intake", "--features", "items_only", "--bootstrap", "20",
                    "--out", model, "--created-at", "t")
    assert result.exit_code == 0, result.output
    assert "Fairness audit (feature policy items_only)" in result.output and "gender_x_origin" in result.output
    assert json.loads(model.read_text())["feature_policy"] == "items_only"
    card = tmp_path / "card.html"
    result = invoke("model-card", model, "--out", card, "--lang", "da")
    assert result.exit_code == 0, result.output
    assert "Modelkort" in card.read_text(encoding="utf-8")
    bad = invoke("train", data, "--features", "gender_blind", "--out", tmp_path / "x.json")
    assert bad.exit_code == 2 and "--features must be one of" in bad.stderr and not (tmp_path / "x.json").exists()
    old = json.loads(model.read_text())
    for key in ("model_card", "fairness", "sha256"):   # as an earlier fip wrote it (with a policy, to stay valid)
        old.pop(key)
    (tmp_path / "old.json").write_text(Model.from_content(old).to_json())
    bad = invoke("model-card", tmp_path / "old.json", "--out", tmp_path / "c2.html")
    assert bad.exit_code == 2 and "old.json: the model file has no model card" in bad.stderr
    assert "Traceback" not in bad.output and not (tmp_path / "c2.html").exists()
    bad = invoke("model-card", tmp_path / "missing.json", "--out", tmp_path / "c3.html")
    assert bad.exit_code == 2 and re.search(r"missing\.json: cannot read model file", bad.stderr)


def test_the_prediction_section_of_replicate_carries_the_audit(study):
    from fip.report import sections

    p = sections.prediction(study, C=0.05)
    for kind in ("intake", "progression"):
        table = p.tables[f"prediction_{kind}_fairness"]
        assert list(table.columns) == ["group_variable", "group", "metric", "cut", "estimate", "ci_low", "ci_high",
                                       "n", "suppressed"]
        assert table.equals(p.validations[kind].fairness.tidy())
        assert table.loc[table["suppressed"], "estimate"].isna().all()
    page = "\n".join(p.blocks)
    assert page.count("Fairness audit") == 2 and "bootstrap replicates of whole caseworkers" in page
