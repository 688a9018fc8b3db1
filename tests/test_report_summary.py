"""Tests of fip.report.summary on small hand-made tables (values worked out by hand)."""

from __future__ import annotations

import pandas as pd
import pytest

from fip.report.summary import summary_table


def _value(summary: pd.DataFrame, measure: str) -> float:
    return summary.loc[summary["measure"].str.startswith(measure), "value"].item()


def test_coefficients_z_share_and_sign_agreement():
    # differences 0.05 and 0.30 with combined se sqrt(0.03^2 + 0.04^2) = 0.05: z = 1 and 6
    reg = pd.DataFrame({"coef": [0.15, -0.10, 0.2], "se": [0.03, 0.03, 0.1],
                        "published_coef": [0.10, 0.20, None], "published_se": [0.04, 0.04, None],
                        "published_stars": ["**", "***", ""]})
    summary = summary_table(regressions=[reg])
    assert _value(summary, "share not significantly") == pytest.approx(0.5)
    assert _value(summary, "published significant") == pytest.approx(0.5)  # the second has the other sign
    assert set(summary["published"]) == {2}


def test_loadings_statements_and_fit():
    loadings = pd.DataFrame({"item": ["a", "b"], "factor": "F1", "loading": [0.5, 0.7],
                             "published": [0.45, 0.8], "difference": [0.05, -0.1]})
    congruence = pd.DataFrame({"factor": ["F1", "F2"], "congruence": [0.97, 0.99]})
    statements = pd.DataFrame({"statement": ["x", "y"], "holds": [True, False]})
    fit = pd.DataFrame({"r2_difference": [0.1, -0.3]})
    summary = summary_table(varimax={"citizen": (loadings, congruence)}, unrotated_statements=[statements],
                            fit=fit)
    assert _value(summary, "lowest Tucker") == pytest.approx(0.97)
    assert _value(summary, "largest |loading") == pytest.approx(0.1)
    assert _value(summary, "statements that hold") == 1
    assert _value(summary, "mean R²") == pytest.approx(-0.1)


def test_nothing_published_gives_an_empty_summary():
    ours_only = pd.DataFrame({"n": [10, 20]})
    summary = summary_table(funnel=ours_only, item_means=pd.DataFrame({"mean": [1.0]}))
    assert summary.empty and list(summary.columns) == ["what", "published", "measure", "value"]


def test_item_mean_statements_count_those_that_hold():
    said = pd.DataFrame({"id": ["a", "b", "c"], "holds": pd.array([True, False, pd.NA], dtype="boolean")})
    summary = summary_table(item_mean_statements=said)
    assert summary["published"].item() == 3 and summary["value"].item() == 1


def test_regression_sample_and_ns_against_the_published():
    """435 persons in the study's regression sample (Tabel 4.2's last row); the printed N of
    the fit tables as ``n_difference`` (ours minus published): the largest in absolute value."""
    funnel = pd.DataFrame({"step": ["measured", "without a round 2"], "n_excluded": [None, 500],
                           "n_remaining": [940, 440]})
    fit = pd.DataFrame({"r2_difference": [0.01, -0.02, 0.0], "n_difference": [3, -7, 5]})
    rows = summary_table(analysis_sample=funnel, fit=fit).set_index("what")
    assert rows.loc["Regression sample (persons with rounds 1 and 2)", "value"] == 440 - 435
    assert rows.loc["Tables 4.5, 4.6, 4.12, 4.13: N", ["published", "value"]].tolist() == [3, -7]
