"""fip.disclosure: the small-cell rule, checked by a reader's attack (tests/disclosure_harness.py).

The harness rebuilds, from the data, the set of persons behind every figure an output shows
and solves for the groups a reader can recover; it never calls the rule under test.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disclosure_harness import Cell, recoverable_small_groups
from fip.data import pair_forms, write_dataset
from fip.describe import item_means, item_progression, protect_item_tables, sample_characteristics
from fip.disclosure import DisclosurePolicy, Margin, Relation, hidden_cells, load_policy, protect
from fip.errors import ConfigError
from fip.simulate import simulate_cohort

POLICY = DisclosurePolicy(5)


# ---------------------------------------------------------------- the harness can fail

def test_harness_finds_the_subtraction_of_the_issue():
    women, men = frozenset(range(3)), frozenset(range(3, 117))
    shown = [Cell("c01 r2", men, label="men"), Cell("c01 r2", women | men, label="all")]
    assert recoverable_small_groups(shown)
    assert not recoverable_small_groups([Cell("c01 r2", women | men, label="all")])


def test_harness_finds_a_share_with_few_persons_having_it():
    persons = frozenset(range(88))
    assert recoverable_small_groups([Cell("job", persons, having=frozenset(range(3)))])
    assert not recoverable_small_groups([Cell("job", persons, having=frozenset(range(30)))])


# ---------------------------------------------------------------- the rule on margin tables

def _table(counts: list[int], unknown: int) -> tuple[pd.DataFrame, dict]:
    """Groups g0..gk with the given sizes, plus ``unknown`` persons only in 'all'."""
    rows, members, start = [], {}, 0
    for j, size in enumerate(counts):
        members[f"g{j}"] = frozenset(range(start, start + size))
        start += size
    members["all"] = frozenset(range(start + unknown))
    for group, people in members.items():
        rows.append({"group": group, "n": len(people), "mean": float(len(people)) / 3})
    return pd.DataFrame(rows), members


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=4), st.integers(0, 6), st.integers(1, 8))
def test_protected_margins_reveal_no_small_group(counts, unknown, threshold):
    table, members = _table(counts, unknown)
    policy = DisclosurePolicy(threshold, secure_machine=threshold < 5)
    out = protect(table, policy, values=["mean"], margins=[Margin("group")])
    shown = out[~out["suppressed"]]
    cells = [Cell("x", members[g], label=g) for g in shown["group"]]
    assert recoverable_small_groups(cells, threshold) == []
    assert out.loc[out["suppressed"], "n"].isna().all() and out.loc[out["suppressed"], "mean"].isna().all()
    # what is shown is shown exactly
    assert (shown["n"].astype(int).to_numpy() == [len(members[g]) for g in shown["group"]]).all()


def test_a_hidden_total_equal_to_its_shown_parts_is_protected():
    # 'all' (6) hidden by another relation would equal a + b shown: one part must go
    counts = {"n": {"a": 3, "b": 3, "all": 6, "outer": 8}}
    hidden = hidden_cells(counts, [Relation("outer", ("all",)), Relation("all", ("a", "b"))], POLICY)
    assert {"a", "b"} <= hidden


def test_shares_hide_small_numerators_and_complements():
    t = pd.DataFrame({"group": ["women", "men", "all"], "n": [16, 60, 76], "k": [1, 30, 31],
                      "share": [1 / 16, 0.5, 31 / 76]})
    out = protect(t, POLICY, values=["share"], k="k", margins=[Margin("group")])
    assert out["suppressed"].tolist() == [True, True, False]  # 1 of 16 women, and men = all - women


def test_policy_from_config_and_secure_machine():
    assert load_policy().threshold == 5 and load_policy().statement is None
    with pytest.raises(ConfigError, match="secure-machine"):
        load_policy(threshold=3)
    lowered = load_policy(threshold=3, secure_machine=True)
    assert lowered.secure_machine and "SECURE MACHINE" in lowered.statement
    assert not load_policy(threshold=8, secure_machine=True).secure_machine


# ---------------------------------------------------------------- describe on small and skewed data

def _few_women_in_round_2(n_persons: int | None = 300, keep: int = 3, seed: int = 4):
    """A cohort where only ``keep`` women have a second measurement (their later forms dropped)."""
    ds = simulate_cohort(n_persons, seed=seed)
    m = pair_forms(ds).measurements
    women = set(ds.persons.loc[ds.persons["gender"] == "female", "person_id"])
    r2 = m[(m["round"] == 2) & m["person_id"].isin(women)]
    drop = set(r2["person_id"].iloc[keep:])
    first = m[m["round"] == 1].set_index("person_id")["month"]
    forms = ds.forms
    month = forms["answered_on"].dt.to_period("M")
    later = forms["person_id"].isin(drop) & (month > forms["person_id"].map(first))
    return replace(ds, forms=forms[~later.to_numpy()].reset_index(drop=True))


def _tiny(n_persons: int, seed: int):
    return simulate_cohort(n_persons, seed=seed)


def _one_man(seed: int = 5):
    """40 persons of whom only 2 are men (a split where one group has 1-4 persons)."""
    ds = simulate_cohort(40, seed=seed)
    persons = ds.persons.copy()
    persons["gender"] = "female"
    persons.loc[persons.index[:2], "gender"] = "male"
    return replace(ds, persons=persons)


DATASETS = {
    "3 women with a second round": lambda: _few_women_in_round_2(),
    "10 persons": lambda: _tiny(10, 1),
    "40 persons": lambda: _tiny(40, 2),
    "2 men among 40": lambda: _one_man(),
}


def _item_cells(means: pd.DataFrame, progression: pd.DataFrame, m: pd.DataFrame, persons: pd.DataFrame) -> list[Cell]:
    gender = persons.set_index("person_id")["gender"]
    cells = []

    def who(rows: pd.DataFrame, g: str) -> frozenset:
        ids = rows["person_id"]
        return frozenset(ids if g == "all" else ids[ids.map(gender) == g])

    for row in means[~means["suppressed"]].itertuples():
        rows = m[(m["round"] == row.round) & m[row.item].notna()]
        cells.append(Cell(("score", row.item, row.round), who(rows, row.gender), label=f"means {row.gender}"))
    both = m.pivot_table(index="person_id", columns="round", values=list(means["item"].unique()), aggfunc="first")
    for row in progression[~progression["suppressed"]].itertuples():
        pair = both[row.item].dropna(subset=[1, 2]).reset_index()
        for rnd in (1, 2):
            cells.append(Cell(("score", row.item, rnd), who(pair, row.gender), label=f"progression {row.gender}"))
    return cells


@pytest.mark.parametrize("name", list(DATASETS))
def test_item_tables_shown_together_reveal_no_small_group(name):
    ds = DATASETS[name]()
    m, persons = pair_forms(ds).measurements, ds.persons
    raw_means = item_means(m, persons, ds.instrument, policy=None)
    raw_progression = item_progression(m, persons, ds.instrument, policy=None)
    means, progression = protect_item_tables(POLICY, raw_means, raw_progression)
    assert recoverable_small_groups(_item_cells(means, progression, m, persons)) == []
    # each table on its own (fip describe shows one) is safe too
    alone = item_means(m, persons, ds.instrument)
    assert recoverable_small_groups(_item_cells(alone, progression.iloc[0:0], m, persons)) == []
    # and nothing was hidden that need not be: a raw table with no small group is unchanged
    if not recoverable_small_groups(_item_cells(raw_means, raw_progression, m, persons)):
        assert not means["suppressed"].any() and not progression["suppressed"].any()


def test_the_issue_case_before_protection_is_recoverable():
    ds = _few_women_in_round_2()
    m = pair_forms(ds).measurements
    raw = item_means(m, ds.persons, ds.instrument, policy=None)
    old_rule = raw.assign(suppressed=raw["n"] < 5)  # the old primary-only rule
    found = recoverable_small_groups(_item_cells(old_rule, old_rule.iloc[0:0].assign(item=[]), m, ds.persons))
    assert found, "the harness must see what the old rule let through"


def _sample_cells(table: pd.DataFrame, m: pd.DataFrame, persons: pd.DataFrame) -> list[Cell]:
    p = persons.set_index("person_id")
    group_of = p["gender"].map({"female": "women", "male": "men"})
    cells = []
    for row in table[~table["suppressed"]].itertuples():
        rnd = 1 if pd.isna(row.round) else int(row.round)
        if row.characteristic == "days_between_rounds":
            rnd = 2
        base = m[m["round"] == rnd].drop_duplicates("person_id")
        ids = base["person_id"]
        if row.group != "all":
            ids = ids[ids.map(group_of) == row.group]
        ids = set(ids)
        having = None
        char = row.characteristic
        if char.startswith("residence_"):
            ground = p["residence_ground"].astype("string").fillna("unknown").replace("", "unknown")
            having = {i for i in ids if ground[i] == char.removeprefix("residence_")}
        elif char.startswith("visitation_") and char != "visitation_known":
            v = base.set_index("person_id")["visitation"].astype("string")
            ids = {i for i in ids if v[i] in ("job_ready", "activity_ready")}
            having = {i for i in ids if v[i] == char.removeprefix("visitation_")}
        elif char == "visitation_known":
            v = base.set_index("person_id")["visitation"].astype("string")
            ids = {i for i in ids if v[i] in ("job_ready", "activity_ready")}
        elif char == "work_experience_yes":
            having = {i for i in ids if p.loc[i, "work_experience"] == "yes"}
        elif char.startswith("education_"):
            level = char.removeprefix("education_")
            codes = {"any": ("primary", "beyond_primary"), "none": ("none",), "unknown": ("unknown",)}[level]
            edu = p["education"].astype("string").fillna("unknown").replace("", "unknown")
            having = {i for i in ids if edu[i] in codes}
        elif char.startswith("origin_"):
            origin = p["origin"].astype("string").str.strip().str.lower()
            ids = {i for i in ids if pd.notna(origin[i]) and origin[i] != ""}
            names = {"syria": ("syria", "syrien"), "eritrea": ("eritrea",)}[char.removeprefix("origin_")]
            having = {i for i in ids if origin[i] in names}
        variable = (char, rnd, row.statistic if row.statistic != "percent" else "share")
        if char == "persons":
            variable = ("persons", rnd)
        cells.append(Cell(variable, frozenset(ids), None if having is None else frozenset(having),
                          label=f"{char} {row.group}"))
    # the report states the persons of each round (text and funnel), unless they are 1-4
    for rnd in (1, 2):
        everyone = frozenset(m.loc[m["round"] == rnd, "person_id"])
        if len(everyone) >= 5:
            cells.append(Cell(("persons", rnd), everyone, label="text"))
    return cells


@pytest.mark.parametrize("name", list(DATASETS))
def test_sample_characteristics_reveal_no_small_group(name):
    ds = DATASETS[name]()
    m = pair_forms(ds).measurements
    table = sample_characteristics(m, ds.persons)
    assert recoverable_small_groups(_sample_cells(table, m, ds.persons)) == []


def test_describe_csv_of_the_issue_case_hides_the_men_too(tmp_path):
    folder = write_dataset(_few_women_in_round_2(), tmp_path / "few")
    out = tmp_path / "means.csv"
    proc = subprocess.run([sys.executable, "-m", "fip.cli", "describe", str(folder), "--format", "csv", "--out",
                           str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(out)
    r2 = table[table["round"] == 2]
    women, men = r2[r2["gender"] == "female"], r2[r2["gender"] == "male"]
    assert women["suppressed"].all() and women["n"].isna().all()
    assert men["suppressed"].all() and men["mean"].isna().all()
    assert not r2.loc[r2["gender"] == "all", "suppressed"].any()


def test_cli_lowered_threshold_needs_the_secure_machine_option_and_says_so(tmp_path):
    folder = write_dataset(_tiny(40, 2), tmp_path / "d")
    refused = subprocess.run([sys.executable, "-m", "fip.cli", "describe", str(folder), "--min-cell", "3"],
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "secure-machine" in refused.stderr and "Traceback" not in refused.stderr
    out = tmp_path / "m.csv"
    ok = subprocess.run([sys.executable, "-m", "fip.cli", "describe", str(folder), "--min-cell", "3",
                         "--secure-machine", "--format", "csv", "--out", str(out)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    first = out.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# SECURE MACHINE ONLY") and "3 or more persons" in first
    table = pd.read_csv(out, comment="#")
    assert (table.loc[~table["suppressed"], "n"] >= 3).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 15)), min_size=2, max_size=4), st.integers(0, 3))
def test_job_chance_groups_beside_the_whole_sample_reveal_no_small_group(groups, missing):
    """metrics_by_group: each group's persons and events; the whole sample (incl. persons
    without a group) is shown in the overall metrics."""
    from fip.predict.metrics import metrics_by_group

    labels, y = [], []
    for j, (with_job, without) in enumerate(groups):
        labels += [f"g{j}"] * (with_job + without)
        y += [1] * with_job + [0] * without
    labels += [None] * missing
    y += [1] * missing
    y = np.array(y, dtype=float)
    p = np.linspace(0.1, 0.9, len(y))
    out = metrics_by_group(y, p, pd.DataFrame({"grp": pd.array(labels, dtype="string")}), POLICY)
    persons = {lab: frozenset(i for i, x in enumerate(labels) if x == lab) for lab in set(labels) if lab}
    events = frozenset(np.flatnonzero(y == 1))
    everyone = frozenset(range(len(y)))
    cells = [Cell("job", everyone, having=events, label="overall")]
    cells += [Cell("job", persons[g], having=persons[g] & events, label=g) for g in out.loc[~out["suppressed"], "group"]]
    # the overall row is protected by the overall metrics' own rule; given it is shown, the groups must not leak
    overall_small = POLICY.is_small(len(events)) or POLICY.is_small(len(everyone) - len(events)) or POLICY.is_small(len(y))
    if not overall_small:
        assert recoverable_small_groups(cells) == []


def test_replicate_tables_of_the_issue_case_reveal_no_small_group(tmp_path):
    """Read back what replicate wrote (CSV files) and attack item means, progression and sample together."""
    from fip.report import replicate

    ds = _few_women_in_round_2(None)  # the study's size: replicate needs persons enough for its regressions
    out = tmp_path / "replicate_few_women"
    replicate(ds, out, predict_C=0.1)
    m = pair_forms(ds).measurements
    read = lambda name: pd.read_csv(out / "tables" / f"{name}.csv")  # noqa: E731
    means, progression = read("item_means"), read("item_progression")
    assert recoverable_small_groups(_item_cells(means, progression, m, ds.persons)) == []
    r2_women = means[(means["round"] == 2) & (means["gender"] == "female")]
    assert r2_women["suppressed"].all() and r2_women["n"].isna().all()
    sample = read("sample_characteristics")
    assert recoverable_small_groups(_sample_cells(sample, m, ds.persons)) == []
    funnel = read("sample_funnel")
    assert not ((funnel["n"] > 0) & (funnel["n"] < 5)).any()
    index_means = read("index_means")
    assert not ((index_means["n"] > 0) & (index_means["n"] < 5)).any()
    assert index_means.loc[index_means["n"].isna(), "mean"].isna().all()
    _check_job_chance_groups(out)


def _check_job_chance_groups(out):
    """prediction_*_by_group beside prediction_*_metrics: female = overall - male must not leak."""
    for kind in ("intake", "progression"):
        metrics = pd.read_csv(out / "tables" / f"prediction_{kind}_metrics.csv")
        groups = pd.read_csv(out / "tables" / f"prediction_{kind}_by_group.csv")
        shown = groups[~groups["suppressed"]]
        overall = metrics.loc[metrics["learner"] == "logistic"].iloc[0]
        for variable, part in groups.groupby("variable"):
            hidden = part[part["suppressed"]]
            if len(hidden) and not part["suppressed"].all():
                # what subtraction gives: persons and events of the hidden groups (and of persons without a group)
                rest_n = overall["n"] - shown.loc[shown["variable"] == variable, "n"].sum()
                rest_k = overall["n_events"] - shown.loc[shown["variable"] == variable, "n_events"].sum()
                assert not (0 < rest_n < 5 or 0 < rest_k < 5 or 0 < rest_n - rest_k < 5), (kind, variable)
        assert not ((shown["n_events"] > 0) & (shown["n_events"] < 5)).any()


def test_replicate_on_a_secure_machine_says_so_on_every_table_and_the_page(tmp_path):
    from fip.report import replicate

    lowered = DisclosurePolicy(3, secure_machine=True)
    result = replicate(simulate_cohort(300, seed=6), tmp_path / "r", policy=lowered, predict_C=0.1)
    for path in result.table_paths.values():
        assert path.read_text(encoding="utf-8").startswith("# SECURE MACHINE ONLY"), path.name
    page = result.report.read_text(encoding="utf-8")
    assert page.index("SECURE MACHINE ONLY") < page.index('id="sample"')


# ----------------------------------------------------------------------------- cuts of ordinal items

@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=2, max_size=8), st.integers(2, 10))
def test_shown_cuts_leave_no_small_run(counts, threshold):
    from fip.disclosure import shown_cuts

    keep = shown_cuts(counts, threshold)
    assert len(keep) == len(counts) - 1
    runs, current = [], 0
    for i, c in enumerate(counts):          # persons between consecutive shown cuts: what a reader can recover
        current += c
        if i == len(counts) - 1 or keep[i]:
            runs.append(current)
            current = 0
    assert sum(runs) == sum(counts)
    if sum(counts) >= threshold:
        assert all(r >= threshold for r in runs)
    else:
        assert not any(keep)
    if all(c >= threshold for c in counts):
        assert all(keep)
