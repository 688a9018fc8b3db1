"""The study's model families on the synthetic cohort, checked against statsmodels and the
reference file read directly (not through fip.regression.reference)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml
from numpy.testing import assert_allclose

from fip._resources import config_path
from fip.instrument import load_instrument
from fip.regression import (FAMILIES, build_analysis_table, fit_comparison, model_specs, publication_table, run_family,
                            stars)
from fip.simulate import simulate_cohort

THREE = Path(__file__).parent / "data" / "instrument_three_raters.yaml"
RAW = yaml.safe_load(config_path("fip_published.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def study():
    return build_analysis_table(simulate_cohort(seed=0))


def test_stars_thresholds():
    p = [0.0009999, 0.001, 0.0099, 0.01, 0.0499, 0.05, 0.0999, 0.1, 0.5, np.nan]
    assert stars(p).tolist() == ["***", "**", "**", "*", "*", "+", "+", "", "", ""]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_overall_index_levels_have_published_signs(seed):
    at = build_analysis_table(simulate_cohort(seed=seed))
    res = run_family(at, "overall_indices")
    published = [c for c in RAW["regressions"]["table_4_9"]["coefficients"]
                 if c["type"] == "level" and c["outcome"] in ("emp_rate", "emp_dummy", "ord_emp_dummy")]
    assert len(published) == 12
    keys = {d.published_key: d.id for d in at.definitions}
    for c in published:
        row = res[(res["model"] == keys[c["regressor"]]) & (res["type"] == "level")
                  & (res["outcome"] == c["outcome"]) & (res["controls"] == c["controls"])]
        assert len(row) == 1
        assert np.sign(row["coef"].iloc[0]) == np.sign(c["coef"]), (c, row["coef"].iloc[0])


@pytest.mark.slow
def test_every_published_coefficient_is_placed_once(study):
    res = pd.concat([run_family(study, f) for f in FAMILIES], ignore_index=True)
    assert res["published_coef"].notna().sum() == RAW["counts"]["regression_coefficients"]["total"]
    # spot checks against the raw yaml records
    ours = {d.published_key: d.id for d in study.definitions}
    for table in ("table_4_5", "table_4_6", "table_4_9", "table_4_10", "table_4_11", "table_4_12", "table_4_13"):
        entry = RAW["regressions"][table]
        for c in entry["coefficients"][::7]:
            controls = c.get("controls", entry["controls"])
            regressor = ours.get(c["regressor"], c["regressor"])
            hit = res[(res["table"] == table) & (res["regressor"] == regressor) & (res["type"] == c["type"]) & (res["outcome"] == c["outcome"])
                      & (res["controls"] == controls) & (res["published_coef"] == c["coef"])]
            assert len(hit) == 1, (table, c)
            assert hit["published_se"].iloc[0] == c["se"]
            assert hit["published_stars"].iloc[0] == c["stars"]


def test_all_items_model_equals_statsmodels_with_dummies(study):
    """Table 4.5's model for emp_dummy: slopes, SEs, R², adj. R² and df from OLS with dummies."""
    res = run_family(study, "all_items", outcomes=["emp_dummy"], include_controls=True)
    res = res[res["model"] == "citizen"].set_index("term")
    items = study.instrument.item_ids("citizen")
    cols = [f"{i}_{k}" for i in items for k in ("level", "change")] + list(study.controls)
    t = study.table.dropna(subset=cols + ["emp_dummy"])
    dummies = pd.get_dummies(t["caseworker_id"], drop_first=True, dtype=float)
    ref = sm.OLS(t["emp_dummy"], sm.add_constant(pd.concat([t[cols], dummies], axis=1))).fit()
    assert_allclose(res.loc[cols, "coef"], ref.params[cols], rtol=1e-8, atol=1e-12)
    assert_allclose(res.loc[cols, "se"], ref.bse[cols], rtol=1e-8)
    assert_allclose(res["r2"].iloc[0], ref.rsquared, rtol=1e-10)
    assert_allclose(res["adj_r2"].iloc[0], ref.rsquared_adj, rtol=1e-10)
    assert res["df_resid"].iloc[0] == ref.df_resid
    assert res["n"].iloc[0] == len(t)


def test_family_shapes(study):
    n_items = len(study.instrument.item_ids())
    specs = model_specs(study)
    by_family = pd.Series([s.family for s in specs]).value_counts()
    assert by_family["items_alone"] == 2 * n_items
    assert by_family["all_items"] == 2
    assert by_family["overall_indices"] == 4
    assert by_family["factor_index_alone"] == 2 * 13          # 3 + 4 + 6 factor indices
    assert by_family["factor_indices_together"] == 2 * 3
    res = run_family(study, "factor_indices_together")
    together = res[(res["model"] == "caseworker_factors") & (res["outcome"] == "emp_rate") & ~res["controls"]]
    assert len(together) == 8 and together["df_resid"].nunique() == 1
    assert set(res.columns) >= {"family", "model", "outcome", "term", "coef", "se", "t", "p", "stars", "n",
                                "r2", "adj_r2", "controls", "fixed_effects", "published_coef", "published_se"}
    assert (res["fixed_effects"] == "caseworker_id").all()


def test_cluster_vce_changes_only_standard_errors(study):
    a = run_family(study, "overall_indices")
    b = run_family(study, "overall_indices", vce="cluster")
    assert_allclose(a["coef"], b["coef"], rtol=1e-12)
    assert not np.allclose(a["se"], b["se"])
    # t tests: residual df without clustering, clusters (caseworkers in the sample) - 1 with it
    assert (a["df_inference"] == a["df_resid"]).all()
    assert (b["df_inference"] == b["n_groups"] - 1).all()
    assert (b["n_groups"] == study.table["caseworker_id"].nunique()).all()


def test_three_rater_instrument():
    inst = load_instrument(THREE)
    at = build_analysis_table(simulate_cohort(600, seed=3, instrument=inst))
    res = run_family(at, "all_items")
    assert set(res["model"]) == set(inst.measurement_respondents)
    assert set(res["regressor"]) == set(inst.item_ids())
    assert (res["table"] == "").all() and res["published_coef"].isna().all()
    assert run_family(at, "overall_indices").empty


def test_bad_family():
    with pytest.raises(ValueError, match="family must be one of"):
        run_family(None, "table_4_5")  # type: ignore[arg-type]


def test_publication_table_layout(study):
    res = run_family(study, "overall_indices")
    res = res[res["model"] == "citizen_overall"]
    wide = publication_table(res, digits=4)
    assert wide["term"].tolist() == ["citizen_overall_level", "citizen_overall_change"]
    assert list(wide.columns[1:]) == [f"{o}/{c}" for c in ("without", "with") for o in study.outcomes]
    row = res[(res["term"] == "citizen_overall_level") & (res["outcome"] == "emp_rate") & ~res["controls"]].iloc[0]
    assert wide.loc[0, "emp_rate/without"] == f"{row['coef']:.4f}{row['stars']} ({row['se']:.4f})"
    pub = publication_table(res, published=True)
    assert pub.loc[0, "emp_rate/without"] == "0.068*** (0.011)"      # Tabel 4.9: 0,0678*** (0,011)


def _raw_fit(table: str, outcome: str, controls: bool) -> dict[str, float]:
    """N, R2, adjusted R2 and DF of one published column, read from the YAML here."""
    entry = RAW["regressions"][table]
    [col] = [c for c in entry["columns"] if c["outcome"] == outcome
             and bool(c.get("controls", entry.get("controls"))) == controls]
    return {key: next(v["value"] for v in entry["fit_statistics"][key]["by_column"] if v["column"] == col["position"])
            for key in ("N", "R2", "Adjusted-R2", "DF")}


def test_fit_comparison_against_the_yaml_and_caseworker_count(study):
    res = pd.concat([run_family(study, f) for f in FAMILIES])
    fit = fit_comparison(res)
    # every printed column of Tables 4.5, 4.6, 4.12, 4.13 appears once
    printed = sum(len(RAW["regressions"][t]["columns"]) for t in ("table_4_5", "table_4_6", "table_4_12", "table_4_13"))
    assert len(fit) == printed == 20
    for row in fit.itertuples():
        raw = _raw_fit(row.table, row.outcome, row.controls)
        assert (row.published_n, row.published_r2, row.published_adj_r2, row.published_df_resid) == (
            raw["N"], raw["R2"], raw["Adjusted-R2"], raw["DF"])
        model = res[(res["table"] == row.table) & (res["outcome"] == row.outcome) & (res["controls"] == row.controls)]
        assert row.r2 == model["r2"].iloc[0] and row.n == model["n"].iloc[0]
        assert row.r2_difference == pytest.approx(row.r2 - raw["R2"], abs=1e-15)
    # areg's model size: the index terms plus one parameter per caseworker (the absorbed
    # intercepts), counted here from the analysis table
    no_controls = fit[(fit["table"] == "table_4_12") & ~fit["controls"]]
    n_caseworkers = study.table["caseworker_id"].nunique()
    assert (no_controls["parameters"] == 2 * 3 + n_caseworkers).all()


def test_published_fit_statistics_are_internally_consistent():
    """The transcription: adjusted R² = 1 − (1 − R²)(N − 1)/DF holds to the printed rounding,
    except in one column where the report itself is inconsistent: Table 4.12, ord_emp_dummy
    without controls, prints R² 0,340 and adjusted R² 0,257 with N 427 and DF 344 (R² 0.340
    implies 0.183; 0.257 implies R² 0.400)."""
    from fip.regression import published_fit_statistics

    pub = published_fit_statistics()
    implied = 1 - (1 - pub["r2"]) * (pub["n"] - 1) / pub["df_resid"]
    odd = (pub["table"] == "table_4_12") & (pub["outcome"] == "ord_emp_dummy") & ~pub["controls"]
    assert odd.sum() == 1
    assert_allclose(implied[~odd], pub.loc[~odd, "adj_r2"], atol=0.0015)
    assert abs(implied[odd].iloc[0] - pub.loc[odd, "adj_r2"].iloc[0]) > 0.05


def test_with_controls_models_have_the_studys_16_control_parameters():
    """In the study's sample (forms of 2017-2018) every model with controls estimates 16 control
    parameters, counted from fip's own output as N - DF - (caseworkers - 1) - regressors - 1:
    the 12 listed controls of section 4.2.2 plus one year and three quarter-of-year dummies,
    as the published N - DF imply (Table 4.5: 427 - 312 = 115 = 22 items + 16 + 1 + 76
    caseworkers; Table 4.12: 427 - 328 = 99 = 6 + 16 + 1 + 76)."""
    from fip.study import Study

    at = Study(simulate_cohort(seed=0), until="2018-12-31").analysis
    fits = pd.concat([run_family(at, f) for f in FAMILIES], ignore_index=True)
    per_model = fits.groupby(["family", "model", "outcome", "controls"]).agg(
        n=("n", "first"), df=("df_resid", "first"), groups=("n_groups", "first"), k=("term", "size"))
    implied = per_model["n"] - per_model["df"] - (per_model["groups"] - 1) - per_model["k"] - 1
    with_controls = implied.xs(True, level="controls")
    assert len(with_controls) > 100 and (with_controls == 16).all()
    assert (implied.xs(False, level="controls") == 0).all()
