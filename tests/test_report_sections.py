"""Tests of fip.study.Study and the report's sections (fip.report.sections), each on its own,
and of how often one replicate run computes the shared pieces."""

from __future__ import annotations

import sys
from collections import Counter
from contextlib import ExitStack
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import fip._output
import fip.controls
import fip.data
import fip.factors._input
import fip.indices
import fip.predict
import fip.regression
import fip.reliability
import fip.report.sections as sec
from fip.controls import study_controls
from fip.data import pair_forms
from fip.describe import funnel_with_published, protect_funnel
from fip.disclosure import DisclosurePolicy
from fip.factors._input import correlation_input
from fip.indices import score_indices
from fip.predict import build_features
from fip.published import published_funnel
from fip.regression import build_analysis_table
from fip.report import replicate
from fip.simulate import simulate_cohort
from fip.study import Study

UNTIL = "2018-12-31"


@pytest.fixture(scope="module")
def dataset():
    return simulate_cohort(300, seed=1)


@pytest.fixture(scope="module")
def study(dataset):
    return Study(dataset)


# ---------------------------------------------------------------------------- Study


def test_study_equals_the_functions_it_caches(dataset, study):
    pairing = pair_forms(dataset)
    assert_frame_equal(study.measurements, pairing.measurements)
    assert_frame_equal(study.funnel, pairing.funnel)
    plain = build_analysis_table(dataset)
    assert_frame_equal(study.analysis.table, plain.table)
    assert_frame_equal(study.analysis.funnel, plain.funnel)
    assert [d.id for d in study.analysis.definitions] == [d.id for d in plain.definitions]
    assert_frame_equal(study.index_scores, score_indices(pairing.measurements, study.definitions))
    for kind in ("intake", "progression"):
        assert_frame_equal(study.features(kind),
                           build_features(pairing.measurements, dataset.persons, dataset.instrument, kind))


def test_study_with_until_restricts_only_the_model_pieces(dataset):
    study = Study(dataset, until=UNTIL)
    restricted = dataset.forms_between(last=UNTIL)
    assert_frame_equal(study.measurements, pair_forms(dataset).measurements)
    assert_frame_equal(study.model_pairing.measurements, pair_forms(restricted).measurements)
    assert_frame_equal(study.analysis.table, build_analysis_table(restricted).table)
    assert len(study.analysis.table) < len(Study(dataset).analysis.table)


def test_correlation_is_the_listwise_pearson_matrix(study):
    for key in study.item_sets:
        corr = study.correlation(key)
        items = list(study.instrument.item_ids(None if key == "both" else key))
        r1 = study.measurements[study.measurements["round"] == 1]
        complete = r1[items].astype("float64").dropna()
        assert corr.items == tuple(items) and corr.n_obs == len(complete)
        np.testing.assert_allclose(corr.correlation.to_numpy(), np.corrcoef(complete.to_numpy(), rowvar=False),
                                   rtol=0, atol=1e-14)
        tidy = corr.tidy()
        assert len(tidy) == len(items) ** 2 and set(tidy["n"]) == {corr.n_obs}
        assert study.correlation(key) is corr  # cached


def test_study_is_frozen_and_checks_its_options(dataset, study):
    with pytest.raises(AttributeError, match="cannot be changed"):
        study.until = UNTIL
    with pytest.raises(ValueError, match="until"):
        Study(dataset, until="end of 2018")
    with pytest.raises(ValueError, match="item_set"):
        study.correlation("manager")
    with pytest.raises(ValueError, match="kind"):
        study.features("exit")
    with pytest.raises(TypeError, match="Dataset"):
        Study(dataset.forms)
    assert study.policy.threshold == 5  # configs/disclosure.yaml


def test_train_accepts_a_study_and_a_dataset_alike(dataset, study):
    a = fip.predict.train(dataset, "progression", C=1.0, seed=1, compare=False, created_at="x")
    b = fip.predict.train(study, "progression", C=1.0, seed=1, compare=False, created_at="x")
    assert a.model.sha256 == b.model.sha256
    with pytest.raises(ValueError, match="pairing"):
        fip.predict.train(study, "intake", C=1.0, pairing=study.pairing)


# ---------------------------------------------------------------------------- sections


def test_sample_section_funnel_is_the_pairing_funnel(dataset, study):
    result = sec.sample(study)
    expected = protect_funnel(funnel_with_published(pair_forms(dataset).funnel, published_funnel()), study.policy)
    assert_frame_equal(result.funnel, expected)
    assert result.tables["sample_funnel"] is result.funnel
    assert result.n["analysis_sample"] == len(build_analysis_table(dataset).table)
    assert result.n["sample_characteristics"] == pair_forms(dataset).measurements["person_id"].nunique()
    assert f"{result.n['analysis_sample']} persons have rounds 1 and 2" in result.html().body


def test_descriptives_section_tables_and_their_n(study):
    result = sec.descriptives(study)
    assert list(result.tables) == ["item_means", "item_progression", "instrument", "item_mean_statements"]
    means, progression = result.tables["item_means"], result.tables["item_progression"]
    assert result.n["item_means"] == means.loc[(means["gender"] == "all") & (means["round"] == 1), "n"].max()
    assert result.n["item_progression"] == progression.loc[progression["gender"] == "all", "n"].max()
    assert result.means is means and result.statements is result.tables["item_mean_statements"]
    assert {"item_means", "item_progression", "star_average"} <= set(result.figures)
    assert all(f.format == "png" and f.data.startswith(b"\x89PNG") for f in result.figures.values())
    assert result.id == "descriptives" and result.html().body.count("<table>") >= 3


def test_factors_section_reports_the_n_of_each_correlation(study):
    result = sec.factors(study, seed=0)
    assert list(result.sets) == list(study.item_sets)
    for key, solution in result.sets.items():
        n = study.correlation(key).n_obs
        assert solution.unrotated.result.n_obs == solution.varimax.result.n_obs == n
        names = [name for name in result.tables if name.startswith(f"factor_{key}_") and name in result.n]
        assert names and all(result.n[name] == n for name in names)
        assert f"Unrotated solution (n = {n})" in result.html().body
    assert {"citizen", "caseworker"} <= {k for k in result.sets if len(result.sets[k].varimax.congruence)}


def test_indices_and_summary_sections_on_their_own(study):
    ind = sec.indices(study)
    assert ind.means is ind.tables["index_means"]
    raw = sec.indices(Study(study.dataset, policy=DisclosurePolicy(1))).means
    small = (raw["n"] > 0) & (raw["n"] < 5)
    assert ind.means.loc[small.to_numpy(), "mean"].isna().all()
    assert ind.means["suppressed"].to_numpy().tolist() == small.to_numpy().tolist()
    assert ind.n["reliability"] == int((study.measurements["round"] == 1).sum())
    empty = sec.summary()
    assert empty.table.empty and empty.blocks == ()
    filled = sec.summary(sec.sample(study))
    assert set(filled.table["what"]) == {"Table 4.2: forms and pairs", "Sample description (Table 4.4 and text)",
                                         "Regression sample (persons with rounds 1 and 2)"}
    assert filled.blocks and filled.tables["summary"] is filled.table


def test_replicate_accepts_a_study_and_returns_the_sections(study, tmp_path):
    result = replicate(study, tmp_path, seed=0, predict_C=1.0)
    assert list(result.sections) == list(sec.SECTIONS)
    for section in result.sections.values():
        for name in section.tables:
            assert result.table_paths[name].read_text(encoding="utf-8") == fip._output.to_csv(section.tables[name])
        for name, fig in section.figures.items():
            assert result.figure_paths[name].read_bytes() == fig.data
    page = result.report.read_text(encoding="utf-8")
    assert "C = 1.0" in page
    with pytest.raises(ValueError, match="until"):
        replicate(study, tmp_path, until=UNTIL)


# ---------------------------------------------------------------------------- call counts


def _patch_everywhere(stack: ExitStack, function) -> mock.Mock:
    """One counting wrapper of ``function`` put wherever a fip module looks it up."""
    counter = mock.Mock(wraps=function)
    for module in [m for name, m in sys.modules.items() if name.startswith("fip") and m is not None]:
        if getattr(module, function.__name__, None) is function:
            stack.enter_context(mock.patch.object(module, function.__name__, counter))
    return counter


def _data_correlations(counter: mock.Mock) -> Counter:
    """Item sets whose correlation matrix was computed from item scores (not given as a matrix)."""
    out: Counter = Counter()
    for call in counter.call_args_list:
        data = call.args[0]
        if not fip.factors._input._looks_like_correlation(data):
            out[tuple(call.args[1] if len(call.args) > 1 and call.args[1] is not None else data.columns)] += 1
    return out


@pytest.mark.slow
@pytest.mark.parametrize("until", [None, UNTIL])
def test_one_replicate_run_computes_each_shared_piece_once(dataset, tmp_path, until):
    with ExitStack() as stack:
        counts = {f.__name__: _patch_everywhere(stack, f)
                  for f in (pair_forms, build_analysis_table, score_indices, study_controls, correlation_input)}
        assert all(c._mock_wraps is not None for c in counts.values())
        # workers=0: every call in this process, where the mocks count them (with workers the
        # prediction's calls happen, as often, in a worker's copy of the Study)
        replicate(dataset, tmp_path, seed=0, until=until, predict_C=1.0, workers=0)
    assert counts["pair_forms"].call_count == (1 if until is None else 2)
    assert counts["build_analysis_table"].call_count == 1
    # score_indices: once per measurement set (all forms; forms up to `until`), and once with the
    # two-thirds rule for the open-choices section; the reliability of the indices does not score them
    assert counts["score_indices"].call_count == (1 if until is None else 2) + 1
    # controls at round 1 (intake model) and at round 2 (analysis table, progression model)
    assert counts["study_controls"].call_count == 2
    ref_dates = [len(c.args[1]) for c in counts["study_controls"].call_args_list]
    assert len(set(ref_dates)) == 2
    inst = dataset.instrument
    computed = _data_correlations(counts["correlation_input"])
    for items in (inst.item_ids("citizen"), inst.item_ids("caseworker"), inst.item_ids()):
        assert computed[tuple(items)] == 1
