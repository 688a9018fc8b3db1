"""Words, not codes, in the report's tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fip.report.words import ReportWords
from fip.simulate import simulate_cohort
from fip.study import Study


def test_codes_headers_and_numbers():
    words = ReportWords.for_labels({"citizen_danish": "Danish language skills"})
    frame = pd.DataFrame({
        "table": ["table_4_12", "table_4_5"], "term": ["citizen_danish_change", "c05_level"],
        "emp_rate/with": [0.1, -0.00004], "n": [266.0, 216.0], "adj_r2": [0.2, 0.3],
        "holds": pd.array([True, pd.NA], dtype="boolean"), "source": ["Tabel 4.4", "line 12"],
        "ours": ["ord_emp_dummy: men 3 % (see tables/item_means.csv)", "plain"], "suppressed": [False, True]})
    shown = words.frame(frame, digits=3)
    assert list(shown.columns) == ["table", "term", "employment rate, with controls", "n", "adjusted R²", "holds",
                                   "source", "ours"]
    assert shown["table"].tolist() == ["Table 4.12", "Table 4.5"]
    assert shown["term"].tolist() == ["Danish language skills (change)", "c05 (level)"]
    assert shown["n"].dtype == "Int64" and shown["n"].tolist() == [266, 216]
    assert shown["employment rate, with controls"].tolist() == [0.1, 0.0]
    assert np.signbit(shown["employment rate, with controls"].iloc[1]) == np.False_
    assert shown["holds"].iloc[0] == "yes" and pd.isna(shown["holds"].iloc[1])
    assert shown["source"].tolist() == ["Table 4.4", "line 12"]
    # codes inside text become words; file names stay as they are
    assert shown["ours"].iloc[0] == "ordinary employment: men 3 % (see tables/item_means.csv)"
    assert frame["table"].iloc[0] == "table_4_12"      # the frame itself is not changed


def test_danish_words_and_unknown_codes():
    words = ReportWords(lang="da")
    assert words.word("emp_rate") == "beskæftigelsesgrad"
    assert words.word("table_4_9") == "Tabel 4.9"
    assert words.word("emp_dummy/without") == "beskæftigelse, uden kontrol"
    assert words.word("residence_family_reunified") == "residence family reunified"
    shown = words.frame(pd.DataFrame({"n_obs": [1.0], "n": [2.0]}))
    assert list(shown.columns) == ["n obs", "n"]        # two headers never collapse into one


def test_a_studys_index_labels():
    study = Study(simulate_cohort(300, seed=1))
    words = ReportWords.for_study(study)
    label = {d.id: d.label_in("en") for d in study.definitions}
    assert words.word("citizen_overall_level") == f"{label['citizen_overall']} (level)"
