"""Tests of fip.report: `replicate` writes a self-contained report, CSVs equal to the library's."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from xml.etree import ElementTree
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fip.data import pair_forms
from fip.describe import funnel_with_published, item_means, item_progression, protect_funnel
from fip.instrument import load_instrument
from fip.published import published_funnel, published_item_means
from fip.report import STEPS, replicate
from fip.disclosure import DisclosurePolicy
from fip.report.figures import average_measurements, figure_bytes
from fip.simulate import simulate_cohort

pytestmark = pytest.mark.slow  # each module fixture runs the whole study (~6 s)

THREE_RATERS = Path(__file__).parent / "data" / "instrument_three_raters.yaml"


@pytest.fixture(scope="module")
def dataset():
    return simulate_cohort(400, seed=3)


@pytest.fixture(scope="module")
def run(dataset, tmp_path_factory):
    calls = []
    out = tmp_path_factory.mktemp("replication")
    result = replicate(dataset, out, progress=lambda *a: calls.append(a), seed=0)
    return result, calls


@pytest.fixture(scope="module")
def page(run):
    return run[0].report.read_text(encoding="utf-8")


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "data", "poster", "srcset"):
                self.refs.append((tag, name, value or ""))


def _without_images(text: str) -> str:
    return re.sub(r"data:image/(png|svg\+xml);base64,[A-Za-z0-9+/=]+", "", text)


def _assert_csv_equals(path: Path, expected: pd.DataFrame) -> None:
    """CSV on disk equals ``expected``: numbers to 1e-12 relative, everything else as text."""
    got = pd.read_csv(path)
    assert list(got.columns) == [str(c) for c in expected.columns]
    assert len(got) == len(expected)
    for col in expected.columns:
        e = expected[col]
        if pd.api.types.is_numeric_dtype(e) and not pd.api.types.is_bool_dtype(e):
            np.testing.assert_allclose(got[col].to_numpy(dtype="float64"), e.to_numpy(dtype="float64", na_value=np.nan),
                                       rtol=1e-12, atol=0, equal_nan=True, err_msg=col)
        else:
            as_text = lambda s: [("" if pd.isna(v) else str(v)) for v in s]  # noqa: E731
            assert as_text(got[col]) == as_text(e), col


def test_writes_report_tables_and_figures(run):
    result, _ = run
    assert result.report.is_file() and result.report.stat().st_size > 10_000
    assert {"sample_funnel", "item_means", "item_progression", "reliability", "factor_citizen_varimax_loadings",
            "regression_overall_indices", "prediction_intake_metrics"} <= set(result.tables)
    for name, path in result.table_paths.items():
        assert path == result.out_dir / "tables" / f"{name}.csv" and path.stat().st_size > 0
    assert {"item_means", "item_progression", "scree", "calibration"} <= set(result.figure_paths)
    for path in result.figure_paths.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_progress_reports_every_step_in_order(run):
    _, calls = run
    n = len(STEPS)
    assert calls == [(s, i, n) for i, s in enumerate(STEPS)] + [("done", n, n)]


def test_html_is_self_contained(run, page):
    parser = _Refs()
    parser.feed(page)
    assert not {"script", "link", "iframe", "object", "embed"} & set(parser.tags)
    assert "url(" not in page and "@import" not in page
    images = [v for tag, name, v in parser.refs if tag == "img"]
    links = [v for tag, name, v in parser.refs if tag != "img"]
    assert all(v.startswith("#") for v in links), links
    # every figure is embedded as SVG (sharp in print), one per PNG file in figures/
    assert images and all(v.startswith("data:image/svg+xml;base64,") for v in images)
    assert len(images) == len(run[0].figure_paths)
    embedded = [base64.b64decode(v.split(",", 1)[1]) for v in images]
    for svg in embedded:  # well-formed SVG that scales to the page width (a viewBox)
        root = ElementTree.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and len(root.get("viewBox").split()) == 4
    assert len(set(embedded)) == len(embedded)
    printing = page[page.index("@media print{"):page.index("</style>")]
    assert re.search(r"[{}]tr,figure\{break-inside:avoid", printing)  # a figure is not split across pages
    # http(s) may appear only in plain text, never in an attribute
    for _, _, value in parser.refs:
        assert not value.lower().startswith(("http:", "https:", "//"))


def test_html_names_every_published_table(page):
    for name in ["Table 4.2", "Table 4.5", "Table 4.6", "Table 4.7", "Table 4.8", "Table 4.9", "Table 4.10",
                 "Table 4.11", "Table 4.12", "Table 4.13"]:
        assert name in page, name
    assert "2017-2018" in page  # the restriction not applied is mentioned


def test_no_person_or_caseworker_id_in_the_report(run, dataset, page):
    text = _without_images(page)
    ids = set(dataset.persons["person_id"].astype(str)) | set(dataset.forms["caseworker_id"].astype(str))
    found = [i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)]
    assert found == []
    for path in run[0].table_paths.values():
        frame = pd.read_csv(path, dtype=str)
        assert "person_id" not in frame.columns and "caseworker_id" not in frame.columns
        cells = set(frame.to_numpy().ravel().tolist())
        assert not cells & ids, path.name


def test_descriptive_csvs_equal_library_output(run, dataset):
    result, _ = run
    pairing = pair_forms(dataset)
    inst = dataset.instrument
    _assert_csv_equals(result.table_paths["item_means"],
                       item_means(pairing.measurements, dataset.persons, inst, published=published_item_means()))
    _assert_csv_equals(result.table_paths["item_progression"],
                       item_progression(pairing.measurements, dataset.persons, inst))
    from fip.describe import check_statements

    statements = check_statements(item_means(pairing.measurements, dataset.persons, inst),
                                  item_progression(pairing.measurements, dataset.persons, inst), inst)
    from fip.published import ITEM_MEAN_KINDS, published_statements

    assert len(statements) == sum(e["check"]["kind"] in ITEM_MEAN_KINDS for e in published_statements()["statements"])
    _assert_csv_equals(result.table_paths["item_mean_statements"], statements)


def test_sample_characteristics_csv_equals_library_output(run, dataset, page):
    from fip.describe import sample_characteristics
    from fip.published import published_sample

    expected = sample_characteristics(pair_forms(dataset).measurements, dataset.persons, published=published_sample())
    _assert_csv_equals(run[0].table_paths["sample_characteristics"], expected)
    assert "Sample characteristics beside those printed in the report (Table 4.4" in page


def test_funnel_csv_is_library_funnel_with_small_counts_blanked(run, dataset):
    library = funnel_with_published(pair_forms(dataset).funnel, published_funnel())
    got = pd.read_csv(run[0].table_paths["sample_funnel"])
    n = library["n"].astype("float64").to_numpy()
    small = (n > 0) & (n < 5)
    hidden = got["suppressed"].to_numpy(dtype=bool)
    assert (hidden >= small).all()  # every count of 1-4 is hidden
    np.testing.assert_array_equal(got["n"].to_numpy(dtype="float64"), np.where(hidden, np.nan, n))
    np.testing.assert_array_equal(got["published"].to_numpy(dtype="float64"),
                                  library["published"].to_numpy(dtype="float64", na_value=np.nan))
    # forms of all rounds = paired + excluded: what subtraction leaves is 0 or at least 5 forms
    for respondent, part in got.assign(n_all=n).groupby("respondent"):
        forms = part[part["step"] == "forms"]
        rest = part[part["step"].isin(["paired", "excluded"])]
        for side in (forms, rest):
            left = forms["n_all"].sum() - side.loc[~side["suppressed"], "n_all"].sum()
            assert not 0 < left < 5, respondent


def test_analysis_csvs_equal_library_output(run, dataset):
    from fip.factors.study import compare_with_study
    from fip.regression import build_analysis_table, run_family
    from fip.reliability import reliability_table

    result, _ = run
    pairing = pair_forms(dataset)
    m = pairing.measurements
    inst = dataset.instrument
    cmp = compare_with_study(m, inst, "caseworker", rotation="varimax")
    _assert_csv_equals(result.table_paths["factor_caseworker_varimax_loadings"], cmp.loadings)
    _assert_csv_equals(result.table_paths["factor_caseworker_varimax_congruence"], cmp.congruence)
    unrot = compare_with_study(m, inst, "citizen", rotation=None)
    _assert_csv_equals(result.table_paths["factor_citizen_unrotated_variance"], unrot.result.variance)
    analysis = build_analysis_table(dataset, pairing)
    reliability = reliability_table(m[m["round"] == 1], analysis.definitions)
    _assert_csv_equals(result.table_paths["reliability"], reliability.assign(suppressed=reliability["n_obs"] < 5))
    _assert_csv_equals(result.table_paths["regression_factor_indices_together"],
                       run_family(analysis, "factor_indices_together"))
    # item sets of the caseworker factors: the study's rule applied to our varimax loadings
    from fip.indices import compare_index_definitions, derive_index_definitions

    study_sets = [d for d in analysis.definitions if d.family == "caseworker_factors"]
    rotated = cmp.result.loadings
    _assert_csv_equals(result.table_paths["factor_caseworker_item_sets"],
                       compare_index_definitions(derive_index_definitions(rotated, 0.3), study_sets))
    # fit statistics: one row per published model column with printed N/R² (Tables 4.5, 4.6, 4.12, 4.13)
    fit = pd.read_csv(result.table_paths["regression_fit"])
    assert len(fit) == 20
    together = run_family(analysis, "factor_indices_together")
    for row in fit[fit["table"] == "table_4_12"].itertuples():
        model = together[(together["table"] == "table_4_12") & (together["outcome"] == row.outcome)
                         & (together["controls"] == row.controls)]
        assert row.r2 == pytest.approx(model["r2"].iloc[0], rel=1e-12)
        assert row.parameters == model["n"].iloc[0] - model["df_resid"].iloc[0]


def test_heywood_case_is_explained_beside_the_reliability_table(run, page):
    rel = pd.read_csv(run[0].table_paths["reliability"])
    flagged = rel.loc[rel["heywood"], "index"].tolist()
    assert flagged  # this cohort has one (w07 in the 3-item combined health index)
    from html import escape

    from fip.indices import load_index_definitions

    label = {d.id: d.label_in("en") for d in load_index_definitions()}   # the page names indices by label
    assert escape(f"Omega of {', '.join(label[f] for f in flagged)}: the one-factor model behind omega hit a "
                  "Heywood case") in page
    assert "HeywoodCaseWarning" in page  # and the warning itself is listed under About


def test_html_shows_published_beside_ours(run, page):
    # the first published cell of the overall-index family (Tabel 4.9) appears in the page as
    # "coef stars (se)" beside ours, with the difference of the coefficients
    reg = run[0].tables["regression_overall_indices"]
    row = reg.dropna(subset=["published_coef"]).iloc[0]
    assert f"{row['published_coef']:.3f}{row['published_stars']} ({row['published_se']:.3f})" in page
    assert f"{row['coef'] - row['published_coef']:.3f}" in page


def test_same_seed_same_bytes(run, dataset, tmp_path):
    out = tmp_path / "out"
    _earlier_run(out)  # a rerun over an earlier run (of another instrument) replaces the whole folder
    again = replicate(dataset, out, seed=0)
    first = run[0]
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == sorted(["report.html", *(str(p.relative_to(first.out_dir)) for p in
                                             [*first.table_paths.values(), *first.figure_paths.values()])])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert again.report.read_bytes() == first.report.read_bytes()
    for name, path in first.table_paths.items():
        assert again.table_paths[name].read_bytes() == path.read_bytes(), name
    for name, path in first.figure_paths.items():
        assert again.figure_paths[name].read_bytes() == path.read_bytes(), name


def test_other_instrument_runs_without_published_tables(tmp_path):
    inst = load_instrument(THREE_RATERS)
    # (300 persons, seed 5 trips an IndexError in fip.predict.metrics._calibration when a
    # group's predictions are constant: reported to the lead; not this module's code)
    result = replicate(simulate_cohort(400, seed=3, instrument=inst), tmp_path)
    text = result.report.read_text(encoding="utf-8")
    assert "Table 4.7" not in text and "Table 4.9" not in text
    assert "factor_placement_varimax_loadings" in result.tables


def test_protect_funnel_blanks_one_to_four_and_their_complements():
    frame = pd.DataFrame({"step": ["forms", "forms", "paired", "paired", "excluded", "persons", "persons"],
                          "round": [1, 2, 1, 2, None, 1, 2], "respondent": ["citizen"] * 5 + [None, None],
                          "reason": None, "n": pd.array([100, 12, 97, 12, 3, 97, 12], dtype="Int64"),
                          "difference": pd.array([0, -1, 2, 3, 1, 0, 0], dtype="Int64")})
    out = protect_funnel(frame, DisclosurePolicy(5))
    # 3 excluded would follow from 112 forms - 97 - 12 paired: paired round 2 goes too, and so does
    # persons in round 2 (the same number)
    assert out["suppressed"].tolist() == [False, False, False, True, True, False, True]
    assert out["n"].tolist() == [100, 12, 97, pd.NA, pd.NA, 97, pd.NA]
    assert out["difference"].tolist() == [0, -1, 2, pd.NA, pd.NA, 0, pd.NA]


def test_average_measurements_is_the_mean_per_round():
    inst = load_instrument()
    m = pd.DataFrame({"person_id": list("abcdefg"), "round": [1, 1, 1, 1, 1, 2, 2],
                      "c01": pd.array([1, 2, 3, 4, None, 7, 7], dtype="Int64")})
    avg = average_measurements(m, inst, min_cell=5)
    assert avg["round"].tolist() == [1]            # round 2 has only 2 measurements
    assert avg["c01"].tolist() == [2.5]            # (1+2+3+4)/4, the missing answer skipped
    assert average_measurements(m, inst, min_cell=8) is None


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_figure_bytes_is_deterministic(fmt):
    from matplotlib.figure import Figure

    def draw():
        fig = Figure(figsize=(2, 2))
        fig.subplots().plot([0, 1], [1, 0])
        return figure_bytes(fig, fmt)

    assert draw() == draw()


def test_instrument_table_lists_every_item_and_symmetric_pairs(run, dataset, page):
    table = pd.read_csv(run[0].table_paths["instrument"], keep_default_na=False).set_index("item")
    inst = dataset.instrument
    assert list(table.index) == list(inst.item_ids())
    assert table.loc["c05", "wording (da)"] == inst.item("c05").text["da"]
    partners = {i: v.split(" (")[0] for i, v in table["parallel with"].items() if v}
    assert partners and all(partners[p] == i for i, p in partners.items())
    assert "(Table 4.1)" in page


def test_until_restricts_only_the_regressions_and_prediction(run, dataset, tmp_path):
    from fip.regression import build_analysis_table

    cut = replicate(dataset, tmp_path, seed=0, until="2018-12-31")
    restricted = build_analysis_table(dataset.forms_between(last="2018-12-31"))
    _assert_csv_equals(cut.table_paths["analysis_sample"], restricted.funnel)
    assert (cut.tables["regression_overall_indices"]["n"] == len(restricted.table)).all()
    assert len(restricted.table) < len(build_analysis_table(dataset).table)
    # descriptives and factor analyses keep every form, as in the study
    for name in ("sample_funnel", "item_means", "factor_citizen_varimax_loadings"):
        assert cut.table_paths[name].read_bytes() == run[0].table_paths[name].read_bytes(), name
    assert "Only forms answered up to 2018-12-31 enter the regressions" in cut.report.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="until must be a date"):
        replicate(dataset, tmp_path / "bad", until="2018-31-12")


def test_summary_restates_the_detailed_tables(run, page):
    """The summary's figures recomputed here from the detailed CSVs the run wrote."""
    paths = run[0].table_paths
    summary = pd.read_csv(paths["summary"])
    value = lambda what, measure: summary.loc[(summary["what"] == what)  # noqa: E731
                                              & summary["measure"].str.startswith(measure), "value"].item()
    funnel = pd.read_csv(paths["sample_funnel"]).dropna(subset=["published"])
    assert value("Table 4.2: forms and pairs", "counts equal") == int((funnel["n"] == funnel["published"]).sum())
    cong = pd.read_csv(paths["factor_citizen_varimax_congruence"])
    assert value("Table 4.7: varimax loadings", "lowest Tucker") == pytest.approx(cong["congruence"].min(), abs=1e-12)
    reg = pd.concat([pd.read_csv(p) for k, p in paths.items() if k.startswith("regression_") and k != "regression_fit"])
    reg = reg.dropna(subset=["published_coef"])
    assert len(reg) == 404  # every published coefficient of Tables 4.5, 4.6, 4.9-4.13
    inside = [abs(c - pc) < 1.96 * (s * s + ps * ps) ** 0.5
              for c, pc, s, ps in zip(reg["coef"], reg["published_coef"], reg["se"], reg["published_se"])]
    assert value("Tables 4.5, 4.6, 4.9-4.13: coefficients", "share not significantly") == pytest.approx(
        sum(inside) / len(inside), abs=1e-12)
    assert '<section id="summary">' in page and page.index('id="summary"') < page.index('id="sample"')


def test_text_statements_are_all_evaluated_in_the_report(run, page):
    """Every statement about the sample, outcomes, factors, agreement and regressions gets a
    verdict on the synthetic cohort (none "not computed"); the summary counts them."""
    from fip.published import published_statements
    from fip.statements import TEXT_KINDS

    result, _ = run
    checks = pd.read_csv(result.table_paths["text_statements"], comment="#")
    expected = [e["id"] for e in published_statements()["statements"] if e["check"]["kind"] in TEXT_KINDS]
    assert checks["id"].tolist() == expected
    assert checks["holds"].notna().all()
    summary = pd.read_csv(result.table_paths["summary"], comment="#").set_index("what")
    row = summary.loc["Sample, outcomes, factors, agreement, regressions: statements in the text"]
    assert row["published"] == len(expected) and row["value"] == checks["holds"].sum()
    assert "What the text states, checked" in page


def _visible_text(page: str) -> tuple[list[str], str]:
    """(table cells, all visible text) of a page, without its style sheet."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open, self.cells, self.text, self.style = [], [], [], False

        def handle_starttag(self, tag, attrs):
            self.open.append(tag)
            self.style = self.style or tag == "style"

        def handle_endtag(self, tag):
            self.style = self.style and tag != "style"
            if self.open:
                self.open.pop()

        def handle_data(self, data):
            if self.style:
                return
            if self.open and self.open[-1] in ("td", "th"):
                self.cells.append(data.strip())
            self.text.append(data)

    reader = Reader()
    reader.feed(page)
    return reader.cells, " ".join(reader.text)


def test_the_page_shows_words_not_codes(page):
    """No True/False cells, no snake_case codes outside file names, no Danish table names."""
    cells, text = _visible_text(page)
    assert not [c for c in cells if c in ("True", "False")]
    codes = re.findall(r"(?<![\w/.])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/]|\.\w)", text)
    assert codes == []
    assert "Tabel " not in text
    assert not [c for c in cells if re.fullmatch(r"-0\.0+", c)]


def _earlier_run(out: Path) -> dict[str, bytes]:
    (out / "tables").mkdir(parents=True)
    (out / "figures").mkdir()
    (out / "report.html").write_text("<html>earlier</html>")
    (out / "tables" / "factor_placement_varimax_loadings.csv").write_text("stale,table\n")
    (out / "figures" / "old.png").write_bytes(b"\x89PNG")
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_failing_run_leaves_the_earlier_output_byte_identical(tmp_path):
    out = tmp_path / "out"
    before = _earlier_run(out)
    with pytest.raises(ValueError):  # 20 persons: too few for the fixed-effects regressions
        replicate(simulate_cohort(20, seed=0), out, workers=0, predict_C=1.0)
    assert {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left


def test_a_folder_that_is_not_a_replication_is_refused(dataset, tmp_path):
    from fip.errors import FipError

    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("mine")
    with pytest.raises(FipError, match="is not the output of fip replicate .it has no report.html."):
        replicate(dataset, home)
    (home / "report.html").write_text("x")
    with pytest.raises(FipError, match="it holds .bashrc"):
        replicate(dataset, home)
    assert sorted(p.name for p in home.iterdir()) == [".bashrc", "report.html"]
