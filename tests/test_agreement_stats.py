"""Weighted kappa, ICC and Bland–Altman (fip.agreement) against psych, sklearn and closed forms;
SEM / SDC95 and the share of changes beyond it (fip.change).

Reference values: tests/reference/validity/make_reference.R → reference.json, raters.csv
(two raters 1..7, 300 persons). Tolerances: kappa and ICC (point and limits) 1e-12 against
psych (the same closed forms; measured ≤ 3.3e-15); kappa vs sklearn 1e-12.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from typer.testing import CliRunner

from fip.agreement import ICC_FORMS, agreement_table, bland_altman, icc, weighted_kappa
from fip.change import Z95, change_table, smallest_detectable_change
from fip.cli import app
from fip.disclosure import DisclosurePolicy
from fip.simulate import simulate_cohort
from fip.study import Study

REF_DIR = Path(__file__).parent / "reference" / "validity"
REF = json.loads((REF_DIR / "reference.json").read_text())
RATERS = pd.read_csv(REF_DIR / "raters.csv")


def test_kappa_matches_psych_and_sklearn():
    from sklearn.metrics import cohen_kappa_score

    a, b = RATERS["citizen"], RATERS["caseworker"]
    assert weighted_kappa(a, b) == pytest.approx(REF["kappa_quadratic"], abs=1e-12)
    assert weighted_kappa(a, b, weights=None) == pytest.approx(REF["kappa_unweighted"], abs=1e-12)
    assert weighted_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b, weights="quadratic"), abs=1e-12)
    assert weighted_kappa(a, b, "linear") == pytest.approx(cohen_kappa_score(a, b, weights="linear"), abs=1e-12)


def test_kappa_skips_missing_and_checks_weights():
    assert weighted_kappa([1, 2, np.nan, 4], [1, 2, 3, 4]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="weights"):
        weighted_kappa([1, 2], [1, 2], weights="cubic")


def test_icc_matches_psych():
    res = icc(RATERS.to_numpy())
    assert list(res.index) == REF["icc_types"] == list(ICC_FORMS)
    assert_allclose(res["icc"].to_numpy(), REF["icc"], atol=1e-12)
    assert_allclose(res["ci_low"].to_numpy(), REF["icc_lower"], atol=1e-12)
    assert_allclose(res["ci_high"].to_numpy(), REF["icc_upper"], atol=1e-12)
    assert (res["n"] == 300).all()


def test_icc_needs_two_raters():
    with pytest.raises(ValueError, match="at least 2 raters"):
        icc(np.ones((5, 1)))


def test_bland_altman_closed_form():
    a, b = RATERS["citizen"].to_numpy(float), RATERS["caseworker"].to_numpy(float)
    d = a - b
    n, m, s = len(d), d.mean(), d.std(ddof=1)
    t = stats.t.ppf(0.975, n - 1)
    ba = bland_altman(a, b)
    assert ba.n == 300
    assert ba.mean_difference == pytest.approx(m, abs=1e-12)
    assert ba.lower == pytest.approx(m - 1.96 * s, abs=1e-12) and ba.upper == pytest.approx(m + 1.96 * s, abs=1e-12)
    # Bland & Altman (1999): SE of a limit ≈ sqrt(3 s² / n)
    assert ba.upper_ci_high - ba.upper == pytest.approx(t * np.sqrt(3 * s**2 / n), abs=1e-12)
    assert ba.mean_ci_high - m == pytest.approx(t * s / np.sqrt(n), abs=1e-12)
    assert list(ba.tidy().columns)[:2] == ["n", "mean_difference"]


@pytest.fixture(scope="module")
def study():
    return Study(simulate_cohort(400, seed=3))


def test_agreement_table_by_round(study):
    table = agreement_table(study)
    assert set(table["round"]) == {1, 2}
    row = table[(table["round"] == 2) & (table["citizen_item"] == "c09")].iloc[0]
    m = study.measurements
    r2 = m[m["round"] == 2]
    both = r2[["c09", "w08"]].astype("float64").dropna()
    assert row["n"] == len(both)
    assert row["kappa_quadratic"] == pytest.approx(weighted_kappa(both["c09"], both["w08"]), abs=1e-12)
    assert row["icc"] == pytest.approx(icc(both.to_numpy()).loc["ICC2", "icc"], abs=1e-12)
    assert row["mean_difference"] == pytest.approx((both["c09"] - both["w08"]).mean(), abs=1e-12)


def test_agreement_table_blanks_small_rounds(study):
    table = agreement_table(Study(study.dataset, policy=DisclosurePolicy(threshold=10_000)))
    assert table["n"].isna().all() and table["icc"].isna().all() and table["lower"].isna().all()


def test_sem_and_sdc_by_hand(study):
    table = change_table(Study(study.dataset, policy=DisclosurePolicy(threshold=1))).set_index("id")  # nothing blanked
    m = study.measurements
    r1 = m[m["round"] == 1].set_index("person_id")
    r2 = m[m["round"] == 2].set_index("person_id")
    # item: SMC from the inverse correlation of the complete citizen rows
    cit = r1[list(study.items_of("citizen"))].astype("float64").dropna()
    smc = 1 - 1 / np.diag(np.linalg.inv(np.corrcoef(cit.to_numpy().T)))
    row = table.loc["c01"]
    assert row["reliability"] == pytest.approx(smc[0], abs=1e-12)
    sd = r1["c01"].astype("float64").std()
    assert row["sem"] == pytest.approx(sd * np.sqrt(1 - smc[0]), abs=1e-12)
    assert row["sdc95"] == pytest.approx(1.959963984540054 * np.sqrt(2) * sd * np.sqrt(1 - smc[0]), abs=1e-12)
    change = (r2["c01"].astype("float64") - r1["c01"].astype("float64").reindex(r2.index)).dropna()
    assert row["n_change"] == len(change)
    assert row["share_beyond"] == pytest.approx((change.abs() > row["sdc95"]).mean(), abs=1e-12)
    # index: alpha of its round-1 items
    d = next(d for d in study.definitions if d.id == "citizen_overall")
    items = r1[list(d.items)].astype("float64").dropna().to_numpy()
    k = items.shape[1]
    alpha = k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / items.sum(axis=1).var(ddof=1))
    assert table.loc["citizen_overall", "reliability"] == pytest.approx(alpha, abs=1e-12)
    assert table.loc["citizen_overall", "reliability_kind"] == "alpha"
    assert Z95 == pytest.approx(stats.norm.ppf(0.975), abs=1e-15)


def test_smallest_detectable_change_feeds_the_star(study):
    sdc = smallest_detectable_change(study)
    assert set(sdc) == set(study.items_of("both")) and all(v > 0 for v in sdc.values())
    from fip.star import plot_star

    person = study.measurements.groupby("person_id")["round"].max().loc[lambda s: s >= 2].index[0]
    plot_star(study.measurements, study.instrument, person, smallest_change=sdc)  # accepted


def test_change_table_blanks_small_groups(study):
    n2 = int((study.measurements["round"] == 2).sum())
    table = change_table(Study(study.dataset, policy=DisclosurePolicy(threshold=n2 + 1)))
    assert table["n"].notna().all() and table["sdc95"].notna().all()
    assert table["n_change"].isna().all() and table["share_beyond"].isna().all()


def test_shares_resting_on_few_persons_are_blank(study):
    full = change_table(study).set_index("id")
    counts = (full[["share_beyond", "share_better", "share_worse"]].mul(full["n_change"].astype(float), axis=0)).round()
    # every shown share rests on 0 or >= 5 persons, and so do its complements
    for col in counts:
        shown = counts[col].dropna()
        assert not ((shown > 0) & (shown < 5)).any(), col
    rest = (full["n_change"].astype(float) - counts["share_beyond"]).dropna()
    assert not ((rest > 0) & (rest < 5)).any()
    # beyond shown together with only one of better/worse would reveal the other
    one_hidden = counts["share_better"].isna() ^ counts["share_worse"].isna()
    assert counts.loc[one_hidden, "share_beyond"].isna().all()
    # the raw table (threshold 1) has some small counts, so the rule was exercised
    raw = change_table(Study(study.dataset, policy=DisclosurePolicy(threshold=1))).set_index("id")
    raw_counts = raw[["share_better", "share_worse"]].mul(raw["n_change"].astype(float), axis=0).round()
    assert ((raw_counts > 0) & (raw_counts < 5)).to_numpy().any()


# ----------------------------------------------------------------------------- any instrument

def _two_raters(tmp_path, parallel: bool = True):
    """40 pupils rated by themselves and a teacher in two rounds; S1/T1 ask the same question."""
    tmp_path.mkdir(exist_ok=True)
    inst_file = tmp_path / "inst.yaml"
    inst_file.write_text(
        "instrument: {id: pupils}\nscale: {min: 1, max: 5}\n"
        "respondents:\n  - {id: self, label: {en: Pupil}}\n  - {id: teacher, label: {en: Teacher}}\n"
        "items:\n  - {id: S1, respondent: self}\n  - {id: S2, respondent: self}\n  - {id: S3, respondent: self}\n"
        "  - {id: T1, respondent: teacher}\n  - {id: T2, respondent: teacher}\n"
        + ("parallel_items:\n  - {items: [S1, T1]}\n" if parallel else ""), encoding="utf-8")
    rng = np.random.default_rng(11)
    rows = []
    for p in range(40):
        level = rng.normal()
        for day in ("2021-02-01", "2021-09-01"):
            s = np.clip(np.rint(3 + level + rng.normal(0, 0.7, 3)), 1, 5).astype(int)
            t = np.clip(np.rint(3 + level + rng.normal(0, 0.7, 2)), 1, 5).astype(int)
            rows.append(f"p{p},self,{day},{s[0]},{s[1]},{s[2]},,")
            rows.append(f"p{p},teacher,{day},,,,{t[0]},{t[1]}")
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "forms.csv").write_text("person_id,respondent,answered_on,S1,S2,S3,T1,T2\n" + "\n".join(rows) + "\n")
    return inst_file, folder


def test_agreement_of_any_two_respondents(tmp_path):
    from sklearn.metrics import cohen_kappa_score

    from fip.agreement import agreement_respondents
    from fip.data import load_dataset
    from fip.instrument import load_instrument

    inst_file, folder = _two_raters(tmp_path)
    inst = load_instrument(inst_file)
    assert agreement_respondents(inst) == ("self", "teacher")
    table = agreement_table(Study(load_dataset(folder, inst)))
    assert list(table[["self_item", "teacher_item"]].itertuples(index=False, name=None)) == [("S1", "T1")] * 2
    raw = pd.read_csv(folder / "forms.csv")
    for r, day in ((1, "2021-02-01"), (2, "2021-09-01")):
        f = raw[raw["answered_on"] == day]
        s = f[f["respondent"] == "self"].set_index("person_id")["S1"]
        t = f[f["respondent"] == "teacher"].set_index("person_id")["T1"].reindex(s.index)
        row = table[table["round"] == r].iloc[0]
        assert row["n"] == 40
        assert abs(row["kappa_quadratic"] - cohen_kappa_score(s, t, weights="quadratic")) < 1e-12
        assert abs(row["mean_difference"] - (s - t).mean()) < 1e-12


def test_cli_agreement_says_what_the_data_cannot_give(tmp_path):
    inst_file, folder = _two_raters(tmp_path, parallel=False)
    res = CliRunner().invoke(app, ["agreement", str(folder), "--instrument", str(inst_file), "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "agreement needs parallel items" in res.stderr and "Traceback" not in res.output
    change = pd.read_csv(io.StringIO(res.stdout))
    assert set(change.loc[change["kind"] == "item", "id"]) == {"S1", "S2", "S3", "T1", "T2"}
    res = CliRunner().invoke(app, ["agreement", str(folder), "--instrument", str(inst_file), "--what", "agreement"])
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "instrument pupils" in res.stderr
    inst_file, folder = _two_raters(tmp_path / "p")
    res = CliRunner().invoke(app, ["agreement", str(folder), "--instrument", str(inst_file), "--what", "agreement"])
    assert res.exit_code == 0 and "Pupil vs teacher (pupil minus teacher" in " ".join(res.stdout.split())
