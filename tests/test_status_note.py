"""Tests of fip.report.status_note: content, counts against an independent pandas count,
suppression of small cells, languages, argument checks."""

from __future__ import annotations

import base64
import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fip.disclosure import DisclosurePolicy

from fip.data import pair_forms
from fip.instrument import load_instrument
from fip.report.status_note import StatusNote, status_note
from fip.simulate import simulate_cohort

THREE = Path(__file__).parent / "data" / "instrument_three_raters.yaml"
MUNICIPALITY = "kommune_12"


def _strip_images(text: str) -> str:
    return re.sub(r"data:image/(png|svg\+xml);base64,[A-Za-z0-9+/=]+", "", text)


def _rows(html_text: str, caption: str) -> list[list[str]]:
    """Body cells of the table with ``caption`` (plain text, tags removed)."""
    table = re.search(r"<table><caption>" + re.escape(caption) + r"</caption>(.*?)</table>", html_text, re.S)
    assert table is not None, caption
    body = table.group(1).split("<tbody>")[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(seed=0)


@pytest.fixture(scope="module")
def frame(cohort):
    """Measurements with municipality and calendar quarter, computed here with plain pandas."""
    m = pair_forms(cohort).measurements.merge(cohort.persons[["person_id", "municipality"]], on="person_id")
    when = m["measured_on"]
    m["quarter"] = when.dt.year.astype(str) + "Q" + ((when.dt.month - 1) // 3 + 1).astype(str)
    return m


@pytest.fixture(scope="module")
def quarter(frame):
    """The quarter with most round-2 measurements of the municipality (found, not assumed)."""
    part = frame[(frame["municipality"] == MUNICIPALITY) & (frame["round"] == 2)]
    return part["quarter"].value_counts().idxmax()


@pytest.fixture(scope="module")
def note(cohort, quarter):
    return status_note(cohort, MUNICIPALITY, quarter)


def _latest(part: pd.DataFrame) -> pd.DataFrame:
    top = part.groupby("person_id")["round"].transform("max")
    return part[part["round"] == top]


def test_sections_and_shape(note, cohort, quarter):
    assert isinstance(note, StatusNote)
    text = note.html
    assert text.startswith("<!DOCTYPE html>") and 'lang="da"' in text
    for anchor in ("levels", "progression", "trend", "star"):
        assert f'<section id="{anchor}">' in text
    for heading in ("Niveau i kvartalet", "Udvikling fra 1. til 2. måling", "Udvikling over kvartaler",
                    "Gennemsnitlig FIP-stjerne"):
        assert f"<h2>{heading}</h2>" in text
    assert text.count("data:image/svg+xml;base64,") == 2  # the trend line chart and the average star, as SVG
    assert "data:image/png" not in text
    assert "src=\"http" not in text and "<link" not in text  # self-contained
    inst = cohort.instrument
    levels = note.tables["levels"]
    assert list(levels.loc[levels["kind"] == "item", "id"]) == list(inst.item_ids())
    assert {"citizen_overall", "caseworker_overall"} <= set(levels["id"])
    for item in inst.item_ids():
        assert inst.label(item, "da") in text
    trend = note.tables["trend"]
    assert trend["quarter"].iloc[-1] == quarter
    assert trend["quarter"].nunique() <= 6


def test_level_counts_and_means_match_pandas(note, frame, quarter, cohort):
    levels = note.tables["levels"].set_index("id")
    in_q = frame[frame["quarter"] == quarter]
    mine = _latest(in_q[in_q["municipality"] == MUNICIPALITY])
    every = _latest(in_q)
    for item in cohort.instrument.item_ids():
        n_mine, n_all = int(mine[item].notna().sum()), int(every[item].notna().sum())
        assert n_mine >= 5
        assert levels.loc[item, "municipality_n"] == n_mine
        assert levels.loc[item, "all_n"] == n_all
        assert levels.loc[item, "municipality_mean"] == pytest.approx(mine[item].astype(float).mean(), abs=1e-12)
        assert levels.loc[item, "all_mean"] == pytest.approx(every[item].astype(float).mean(), abs=1e-12)
    # the overall citizen index: mean of the citizen items, needs 8 of 11 answered
    citizen = list(cohort.instrument.item_ids("citizen"))
    values = mine[citizen].astype(float)
    enough = values.notna().sum(axis=1) >= math.ceil(2 / 3 * len(citizen))
    assert levels.loc["citizen_overall", "municipality_n"] == int(enough.sum())
    assert levels.loc["citizen_overall", "municipality_mean"] == pytest.approx(
        values[enough].mean(axis=1).mean(), abs=1e-12)
    # the counts are printed in the page, row by row
    rows = _rows(note.html, "Niveau i kvartalet")
    assert [r[4] for r in rows[: len(citizen)]] == [str(int(mine[i].notna().sum())) for i in citizen]
    assert rows[0][3] == f"{mine[citizen[0]].astype(float).mean():.2f}".replace(".", ",")
    # the trend's last quarter shows the same overall index as the levels table
    last = note.tables["trend"].query("index == 'citizen_overall'").iloc[-1]
    assert last["n"] == int(enough.sum())


def test_progression_matches_pandas(note, frame, quarter, cohort):
    prog = note.tables["progression"].set_index("id")
    second = frame[(frame["quarter"] == quarter) & (frame["round"] == 2)]
    first = frame[frame["round"] == 1]
    pairs = second.merge(first, on="person_id", suffixes=("_2", "_1"))
    assert len(pairs) == len(second)
    for subset, prefix in ((pairs[pairs["municipality_2"] == MUNICIPALITY], "municipality"), (pairs, "all")):
        for item in cohort.instrument.item_ids():
            change = (subset[f"{item}_2"].astype(float) - subset[f"{item}_1"].astype(float)).dropna()
            assert prog.loc[item, f"{prefix}_n"] == len(change)
            assert prog.loc[item, f"{prefix}_mean"] == pytest.approx(change.mean(), abs=1e-12)


def test_no_person_level_data(note, cohort):
    text = _strip_images(note.html)
    ids = cohort.persons["person_id"].astype(str)
    assert not [pid for pid in ids if pid in text]
    caseworkers = pair_forms(cohort).measurements["caseworker_id"].astype(str).unique()
    assert not [cw for cw in caseworkers if cw in text]


def _tiny(cohort, frame, quarter, keep: int = 3):
    """The cohort with all but ``keep`` of the municipality's persons measured in ``quarter`` removed."""
    in_q = frame[(frame["quarter"] == quarter) & (frame["municipality"] == MUNICIPALITY)
                 & (frame["round"] == 2)]
    kept = sorted(in_q["person_id"].unique())[:keep]
    others = set(frame.loc[frame["municipality"] == MUNICIPALITY, "person_id"]) - set(kept)
    forms = cohort.forms[~cohort.forms["person_id"].isin(others)].reset_index(drop=True)
    return dataclasses.replace(cohort, forms=forms), kept


def test_tiny_group_is_suppressed(cohort, frame, quarter):
    data, kept = _tiny(cohort, frame, quarter)
    note = status_note(data, MUNICIPALITY, quarter)
    n_vars = len(note.tables["levels"])
    for name in ("levels", "progression"):
        table = note.tables[name]
        assert table["municipality_suppressed"].all()
        assert table["municipality_mean"].isna().all() and table["municipality_n"].isna().all()
        assert not table["all_suppressed"].any() and table["all_n"].notna().all()
    assert note.suppressed_cells >= 2 * n_vars
    for caption in ("Niveau i kvartalet", "Udvikling fra 1. til 2. måling"):
        rows = _rows(note.html, caption)
        assert len(rows) == n_vars
        assert all(r[3] == "" and r[4] == "færre end 5" for r in rows)
        assert all(re.fullmatch(r"−?\d+,\d\d", r[5]) and r[6].isdigit() for r in rows)
    trend = note.tables["trend"]
    last = trend[trend["quarter"] == quarter]
    assert last["suppressed"].all() and last["mean"].isna().all()
    assert "data:image/" not in note.html and "Stjernen vises ikke" in note.html
    text = _strip_images(note.html)
    assert not [pid for pid in kept if pid in text]


def test_all_municipality_cells_below_min_cell_are_suppressed(cohort, frame):
    # the last quarter with any data has very few round-2 measurements overall
    counts = frame[frame["round"] == 2].groupby("quarter").size()
    small = counts[counts < 5]
    assert len(small) > 0
    quarter = small.index.max()
    municipality = frame.loc[frame["quarter"] == quarter, "municipality"].iloc[0]
    note = status_note(cohort, municipality, quarter)
    prog = note.tables["progression"]
    assert prog["all_suppressed"].all() and prog["all_mean"].isna().all() and prog["all_n"].isna().all()


def test_suppression_follows_min_cell(cohort, quarter):
    full = status_note(cohort, MUNICIPALITY, quarter, policy=DisclosurePolicy(1, secure_machine=True))
    strict = status_note(cohort, MUNICIPALITY, quarter, policy=DisclosurePolicy(20))
    assert "SECURE MACHINE ONLY" in full.html and "SECURE MACHINE" not in strict.html
    for name in ("levels", "progression"):
        n = full.tables[name]["municipality_n"].astype(float)
        assert (strict.tables[name]["municipality_suppressed"] == (n < 20)).all()
        assert strict.tables[name]["municipality_n"].isna().sum() == int((n < 20).sum())
    assert "færre end 20" in strict.html or not strict.tables["progression"]["municipality_suppressed"].any()


def test_english(cohort, frame, quarter):
    note = status_note(cohort, MUNICIPALITY, quarter, lang="en")
    assert 'lang="en"' in note.html
    for heading in ("Levels in the quarter", "Change from 1st to 2nd measurement", "Trend over quarters",
                    "Average FIP star"):
        assert f"<h2>{heading}</h2>" in note.html
    inst = cohort.instrument
    assert inst.label("c01", "en") in note.html
    data, _ = _tiny(cohort, frame, quarter)
    small = status_note(data, MUNICIPALITY, quarter, lang="en")
    assert "fewer than 5" in small.html and "færre end" not in small.html


def test_deterministic(cohort, quarter, note):
    assert status_note(cohort, MUNICIPALITY, quarter).html == note.html


def test_three_rater_instrument():
    data = simulate_cohort(300, seed=3, instrument=load_instrument(THREE))
    m = pair_forms(data).measurements.merge(data.persons[["person_id", "municipality"]], on="person_id")
    m["quarter"] = m["measured_on"].dt.year.astype(str) + "Q" + ((m["measured_on"].dt.month - 1) // 3 + 1).astype(str)
    municipality, quarter = m.groupby(["municipality", "quarter"]).size().idxmax()
    note = status_note(data, municipality, quarter, lang="en")
    levels = note.tables["levels"]
    assert list(levels.loc[levels["kind"] == "item", "id"]) == list(data.instrument.item_ids())
    overall = set(note.tables["trend"]["index"])
    assert len(overall) == len(data.instrument.respondent_ids)
    top = _latest(m[(m["municipality"] == municipality) & (m["quarter"] == quarter)])
    first = data.instrument.item_ids()[0]
    expected_n = int(top[first].notna().sum())
    row = levels.set_index("id").loc[first]
    if expected_n >= 5:
        assert row["municipality_n"] == expected_n
    else:
        assert row["municipality_suppressed"]


@pytest.mark.parametrize("bad", ["2019Q5", "2019-Q1", "19Q1", "2019q1", "2019Q1 ", "", 2019])
def test_bad_quarter(cohort, bad):
    with pytest.raises(ValueError, match=r"quarter must look like '2019Q3'.*got"):
        status_note(cohort, MUNICIPALITY, bad)


def test_bad_municipality(cohort):
    with pytest.raises(ValueError, match=r"unknown municipality 'Atlantis'.*'kommune_01'"):
        status_note(cohort, "Atlantis", "2018Q2")


@pytest.mark.parametrize("kwargs", [{"lang": "fr"}, {"policy": "not a policy"}])
def test_bad_options(cohort, kwargs):
    with pytest.raises(ValueError):
        status_note(cohort, MUNICIPALITY, "2018Q2", **kwargs)


def _keep_others(cohort, frame, quarter, keep: int):
    """The cohort with only ``keep`` persons outside the municipality (measured a 2nd time in ``quarter``)."""
    outside = frame[(frame["municipality"] != MUNICIPALITY)]
    in_q = outside[(outside["quarter"] == quarter) & (outside["round"] == 2)]
    kept = sorted(in_q["person_id"].unique())[:keep]
    drop = set(outside["person_id"]) - set(kept)
    forms = cohort.forms[~cohort.forms["person_id"].isin(drop)].reset_index(drop=True)
    return dataclasses.replace(cohort, forms=forms)


def test_complementary_suppression_protects_few_other_persons(cohort, frame, quarter):
    # two persons outside the municipality: "all" minus the municipality would reveal them
    data = _keep_others(cohort, frame, quarter, keep=2)
    note = status_note(data, MUNICIPALITY, quarter)
    for name, caption in (("levels", "Niveau i kvartalet"), ("progression", "Udvikling fra 1. til 2. måling")):
        table = note.tables[name]
        assert not table["municipality_suppressed"].any()
        assert table["all_complementary"].all() and table["all_suppressed"].all()
        assert table["all_mean"].isna().all() and table["all_n"].isna().all()
        rows = _rows(note.html, caption)
        assert all(r[5] == "" and r[6] == "skjult: færre end 5 i de øvrige kommuner" for r in rows)
    # with five persons outside, nothing needs protecting
    open_note = status_note(_keep_others(cohort, frame, quarter, keep=5), MUNICIPALITY, quarter)
    assert not open_note.tables["levels"]["all_complementary"].any()


def _attack(data, frame, quarter) -> int:
    """Play the reader who holds every municipality's note of the quarter (levels table):
    no subtraction may give a figure for 1-4 persons. Counts come from plain pandas."""
    in_q = frame[frame["quarter"] == quarter]
    every = _latest(in_q)
    items = list(data.instrument.item_ids())
    notes = {m: status_note(data, m, quarter).tables["levels"].set_index("id")
             for m in sorted(in_q["municipality"].unique())}
    checked = 0
    for item in items:
        total = int(every[item].notna().sum())
        shown_all = {not n.loc[item, "all_suppressed"] for n in notes.values()}
        assert len(shown_all) == 1  # the "all" figure is shown in every note or in none
        published = sum(int(n.loc[item, "municipality_n"]) for n in notes.values()
                        if not n.loc[item, "municipality_suppressed"])
        if shown_all.pop():
            assert not 0 < total - published < 5, item  # all minus every shown municipality
            for m in notes:
                own = int(_latest(in_q[in_q["municipality"] == m])[item].notna().sum())
                assert not 0 < total - own < 5, (item, m)  # all minus the reader's own persons
        checked += 1
    return checked


def test_no_set_of_notes_reveals_fewer_than_min_cell_persons(cohort, frame, quarter):
    assert _attack(cohort, frame, quarter) == len(cohort.instrument.item_ids())


def test_one_tiny_municipality_hides_the_all_figure_in_every_note(cohort, frame, quarter):
    # keep one other municipality with 2 persons in the quarter and drop every other municipality
    # under 5: the notes of all the others would reveal those 2 persons by subtraction
    in_q = frame[frame["quarter"] == quarter]
    sizes = _latest(in_q).groupby("municipality")["person_id"].nunique()
    tiny = sorted(m for m in sizes.index if m != MUNICIPALITY and sizes[m] >= 5)[0]
    tiny_ids = sorted(in_q.loc[in_q["municipality"] == tiny, "person_id"].unique())
    drop = set(in_q.loc[in_q["municipality"] == tiny, "person_id"]) - set(tiny_ids[:2])
    drop |= set(in_q.loc[in_q["municipality"].isin([m for m in sizes.index if sizes[m] < 5]), "person_id"])
    data = dataclasses.replace(cohort, forms=cohort.forms[~cohort.forms["person_id"].isin(drop)].reset_index(drop=True))
    note = status_note(data, MUNICIPALITY, quarter)
    levels = note.tables["levels"]
    assert not levels["municipality_suppressed"].any()
    assert levels.loc[levels["kind"] == "item", "all_complementary"].all()
    rows = _rows(note.html, "Niveau i kvartalet")
    assert rows[0][5] == "" and rows[0][6] == "skjult: færre end 5 i de øvrige kommuner"
    reduced = frame[~frame["person_id"].isin(drop)]
    assert _attack(data, reduced, quarter) == len(cohort.instrument.item_ids())


def test_trend_figure_only_when_something_is_shown(cohort, note, quarter):
    # one image for the star, one for the trend line chart (every trend quarter is shown here)
    assert not note.tables["trend"]["suppressed"].all()
    assert note.html.count("data:image/svg+xml;base64,") == 2
    assert "Kvartaler med færre end 5 personer er udeladt" in note.html


def test_a_study_gives_the_same_note_as_its_dataset(cohort):
    from fip.study import Study

    study = Study(cohort)
    assert status_note(study, MUNICIPALITY, "2018Q2").html == status_note(cohort, MUNICIPALITY, "2018Q2").html
    lowered = Study(cohort, policy=DisclosurePolicy(2, secure_machine=True))
    assert "SECURE MACHINE ONLY" in status_note(lowered, MUNICIPALITY, "2018Q2").html


# --------------------------------------------------------------------------- quarters (issue 13.22)


def test_note_choices_are_the_municipalities_and_the_quarters_with_measurements(cohort, frame):
    from fip.report.status_note import note_choices

    choices = note_choices(cohort)
    assert choices.municipalities == tuple(sorted(cohort.persons["municipality"].unique()))
    assert choices.quarters == tuple(sorted(frame["quarter"].unique()))


@pytest.mark.parametrize("where", ["after", "before", "far"])
def test_a_quarter_without_measurements_is_an_error_naming_the_quarters_covered(cohort, frame, where):
    first, last = pd.Period(frame["quarter"].min(), "Q"), pd.Period(frame["quarter"].max(), "Q")
    asked = {"after": last + 1, "before": first - 1, "far": last + 7}[where]
    with pytest.raises(ValueError) as err:
        status_note(cohort, MUNICIPALITY, str(asked))
    message = str(err.value)
    assert f"no measurements in {asked}" in message
    assert f"{first}-{last}" in message and "\n" not in message


def test_the_last_quarter_with_measurements_still_gives_a_note(cohort, frame):
    last = frame["quarter"].max()
    municipality = frame.loc[frame["quarter"] == last, "municipality"].iloc[0]
    assert status_note(cohort, municipality, last).html.startswith("<!DOCTYPE html>")


def _overall(part: pd.DataFrame, items: list[str]) -> pd.Series:
    """The overall index computed here: mean of the items where 2/3 of them are answered."""
    values = part[items].astype(float)
    enough = values.notna().sum(axis=1) >= math.ceil(2 / 3 * len(items))
    return values[enough].mean(axis=1)


def test_trend_has_all_municipalities_beside_the_municipality(note, frame, quarter, cohort):
    """Each quarter's all-municipalities figure: every person's latest measurement of the
    quarter, all municipalities (pandas here), the same figure as that quarter's levels table."""
    trend = note.tables["trend"]
    assert {"all_mean", "all_n", "all_suppressed"} <= set(trend.columns)
    citizen = list(cohort.instrument.item_ids("citizen"))
    rows = trend[trend["index"] == "citizen_overall"]
    assert len(rows) >= 3
    for _, row in rows.iterrows():
        every = _overall(_latest(frame[frame["quarter"] == row["quarter"]]), citizen)
        assert row["all_n"] == len(every) and row["all_mean"] == pytest.approx(every.mean(), abs=1e-12)
        assert row["n"] < row["all_n"]
    # each quarter's figure is the one its own note shows: the trend reveals nothing new
    for _, row in rows.iterrows():
        levels = status_note(cohort, MUNICIPALITY, row["quarter"]).tables["levels"].set_index("id")
        for column in ("all_mean", "all_n", "all_suppressed"):
            assert row[column] == levels.loc["citizen_overall", column], (row["quarter"], column)
    # in the page: a column per index for all municipalities, and a line in the figure's legend
    page = _strip_images(note.html)
    header = re.search(r"<caption>Udvikling over kvartaler</caption>\s*<thead>(.*?)</thead>", page, re.S).group(1)
    assert "Alle kommuner: gennemsnit" in header and f"{MUNICIPALITY}: gennemsnit" in header
    shown = {(r[0], r[1]): r for r in _rows(note.html, "Udvikling over kvartaler")}
    for _, row in rows.iterrows():  # one row per quarter and index: ours beside all, as printed
        cells = shown[(row["quarter"], row["label"])]
        assert cells[4] == f"{row['all_mean']:.2f}".replace(".", ",") and cells[5] == str(row["all_n"])
    svg = base64.b64decode(re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", note.html)[0]).decode()
    assert "alle kommuner" in svg


def test_heading_numbers_and_counts_read_right(note):
    page = _strip_images(note.html)
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", page).group(1)
    first_h2 = re.search(r"<h2>(.*?)</h2>", page).group(1)
    assert h1 != first_h2 and first_h2 == "Om notatet"
    # every cell holding a number (or a hidden-figure note in a figure column) is right-aligned
    cells = re.findall(r"<td( class=num)?>(.*?)</td>", page)
    numbers = [(aligned, v) for aligned, v in cells if re.fullmatch(r"−?[\d.]+(,\d+)?( %)?", v)]
    assert len(numbers) > 100 and all(aligned for aligned, _ in numbers)
    assert all(not aligned for aligned, v in cells if v in ("spørgsmål", "indeks", "Borger"))


def test_a_share_hidden_for_its_split_keeps_its_count(cohort, note, quarter):
    """n is the persons with a value; when only the split (with / without) is small, the count
    is shown and the share says why it is hidden, never "fewer than 5" beside 88 persons."""
    from fip.report.goals import quarter_goals

    goals = quarter_goals(cohort, pd.Period(quarter))
    mine = goals[goals["municipality"] == MUNICIPALITY]
    table = note.tables["goals"].set_index("id")
    rows = {r[0]: r for r in _rows(note.html, "Programmets mål")}
    split_seen = 0
    for goal in table.index:
        values = mine[goal].dropna()
        n, yes = len(values), int(values.sum())
        label = table.loc[goal, "label"]
        if n >= 5 and (0 < yes < 5 or 0 < n - yes < 5):
            split_seen += 1
            assert table.loc[goal, "municipality_split"] and table.loc[goal, "municipality_n"] == n
            assert rows[label][1] == "skjult: færre end 5 med eller uden" and rows[label][2] == str(n)
        elif n < 5:
            assert rows[label][2] == "færre end 5"
        else:
            assert rows[label][2] == str(n) and rows[label][1].endswith("%")
    assert split_seen >= 1  # the case of the issue is in the data (in education, 88 persons)


def _star_points(note) -> list[tuple[str, str, str]]:
    """(round, item, score as written) of every point of the note's average star."""
    svgs = [base64.b64decode(s).decode()
            for s in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", note.html)]
    star = next(s for s in svgs if 'id="star-desc"' in s)
    return re.findall(r'class="point" data-respondent="[^"]+" data-round="(\d)" data-item="([^"]+)" '
                      r'data-score="([^"]+)"', star)


@pytest.mark.parametrize("first_timers", [2, 6])
def test_star_leaves_out_items_the_levels_table_would_open_by_subtraction(cohort, frame, quarter, first_timers):
    """The star's round-2 means rest on the persons measured the 2nd time in the quarter; the
    levels table's on everyone measured in it. When the two differ by 1-4 persons (first
    measurements in the quarter), the star leaves the items out; with 5 or more it shows them,
    to the two decimals of the tables."""
    mine = frame[(frame["municipality"] == MUNICIPALITY) & (frame["quarter"] == quarter)]
    latest = mine.sort_values(["person_id", "round"]).drop_duplicates("person_id", keep="last")
    first = sorted(latest.loc[latest["round"] == 1, "person_id"])
    assert len(first) > 6 and (latest["round"] == 2).sum() >= 5
    drop = set(first[first_timers:])
    data = dataclasses.replace(cohort, forms=cohort.forms[~cohort.forms["person_id"].isin(drop)].reset_index(drop=True))
    note = status_note(data, MUNICIPALITY, quarter)
    assert f'<section id="star">' in note.html
    points = _star_points(note)
    if first_timers < 5:
        assert points == []
    else:
        assert len(points) > 20 and {r for r, _, _ in points} == {"1", "2"}
        assert all(re.fullmatch(r"\d(\.\d{1,2})?", score) for _, _, score in points), points


def test_trend_figure_has_the_tables_precision(note):
    """The trend figure's values carry no more decimals than the trend table shows."""
    svgs = [base64.b64decode(s).decode()
            for s in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", note.html)]
    trend = next(s for s in svgs if 'id="chart-desc"' in s)
    values = re.findall(r'data-value="([^"]+)"', trend)
    assert values and all(re.fullmatch(r"\d(\.\d{1,2})?", v) for v in values), values
