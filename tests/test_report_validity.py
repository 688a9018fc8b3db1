"""``fip validity``: the validation report for any instrument (issue 14, item 9).

The numbers on the page are read back from the HTML and compared with fresh calls of the
library functions they come from (fip.factors, fip.reliability, fip.agreement), at the page's
rounding (3 decimals, tolerance half a unit in the last place). Those functions are themselves
checked against R in test_factors*, test_anyinst and test_agreement.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fip.cli import app
from fip.data import load_dataset
from fip.disclosure import DisclosurePolicy
from fip.indices import load_index_definitions
from fip.instrument import load_instrument
from fip.report.validity import VALIDITY_SECTIONS, ValidityOptions, validity_report
from fip.simulate import simulate_cohort
from fip.study import Study

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "examples" / "data"
OPTIONS = ValidityOptions(n_iter=10, seed=3)
CODE = re.compile(r"(?<![\w/.])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/]|\.\w)")
HALF = 0.5e-3 + 1e-12   # the page shows 3 decimals


def _study(name: str, policy: DisclosurePolicy | None = None) -> Study:
    folder = DATA / name
    dataset = load_dataset(folder, load_instrument(folder / "instrument.yaml"))
    defs = load_index_definitions(folder / "indices.yaml", instrument=dataset.instrument)
    return Study(dataset, definitions=defs, policy=policy)


@pytest.fixture(scope="module")
def studies():
    return {"bfi": _study("bfi"), "holzinger": _study("holzinger"), "fip": Study(simulate_cohort(400, seed=2))}


@pytest.fixture(scope="module")
def reports(studies):
    return {k: validity_report(s, OPTIONS) for k, s in studies.items()}


@pytest.fixture(scope="module")
def pages(reports):
    return {k: r.html() for k, r in reports.items()}


class _Tables(HTMLParser):
    """Visible text, and every table as (section id, caption, rows of cells)."""

    def __init__(self):
        super().__init__()
        self.tables, self.text, self.stack = [], [], []
        self.section, self.style, self.row, self.cell = None, False, None, None

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        a = dict(attrs)
        if tag == "style":
            self.style = True
        elif tag == "section":
            self.section = a.get("id")
        elif tag == "table":
            self.tables.append({"section": self.section, "caption": "", "rows": []})
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()
        if tag == "style":
            self.style = False
        elif tag in ("td", "th") and self.row is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.style:
            return
        self.text.append(data)
        if self.cell is not None:
            self.cell += data
        elif self.stack and self.stack[-1] == "caption":
            self.tables[-1]["caption"] += data


def _read(page: str) -> _Tables:
    reader = _Tables()
    reader.feed(page)
    return reader


def _frame(table) -> pd.DataFrame:
    header, *rows = table["rows"]
    return pd.DataFrame(rows, columns=header)


def _find(reader: _Tables, section: str, caption_start: str) -> pd.DataFrame:
    found = [t for t in reader.tables if t["section"] == section and t["caption"].startswith(caption_start)]
    assert len(found) == 1, [t["caption"] for t in reader.tables]
    return _frame(found[0])


@pytest.mark.parametrize("name", ["bfi", "holzinger", "fip"])
def test_the_report_renders_in_cosmin_order(pages, name):
    page = pages[name]
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "@media print" in page
    assert not re.search(r'(src|href)="(https?:|//)', page)   # self-contained
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    assert headings[:5] == ["Structural validity", "Structural validity: item response theory", "Internal consistency",
                            "Cross-cultural validity and measurement invariance", "Measurement error and agreement"]


@pytest.mark.parametrize("name", ["bfi", "holzinger", "fip"])
def test_every_table_has_its_n_and_method(pages, reports, name):
    reader = _read(pages[name])
    assert len(reader.tables) == len(reports[name].tidy()) >= 5
    for t in reader.tables:
        cap = " ".join(t["caption"].split())
        assert re.search(r"\bn = \d+|\bn (obs )?column", cap), cap
        assert re.search(r"Stata|psych|Bland|SDC95|lavaan|mirt", cap), cap
    assert reports[name].tidy()["n"].notna().all() and (reports[name].tidy()["n"] > 0).all()


@pytest.mark.parametrize("name", ["bfi", "holzinger", "fip"])
def test_words_not_codes(pages, name):
    reader = _read(pages[name])
    cells = [c for t in reader.tables for r in t["rows"] for c in r]
    assert not [c for c in cells if c in ("True", "False")]
    assert CODE.findall(" ".join(reader.text)) == []


def test_absent_sections_say_why(pages):
    for name in ("bfi", "holzinger"):
        text = " ".join(" ".join(_read(pages[name]).text).split())
        assert "Agreement is absent: the instrument has no parallel items" in text
        assert "Measurement error of change is absent: every person has one measurement" in text
    for page in pages.values():
        assert "none was given here" in " ".join(page.split())  # no --by: the CFA only, and the page says so
    text = " ".join(" ".join(_read(pages["holzinger"]).text).split())
    assert "Not computed: the items are on a continuous scale" in text
    fip_text = " ".join(" ".join(_read(pages["fip"]).text).split())
    assert "absent" not in fip_text.lower()  # the FIP cohort has parallel items and two rounds


def _num(cell: str) -> float:
    return float(cell) if cell != "" else np.nan


@pytest.mark.parametrize("name", ["bfi", "holzinger"])
def test_numbers_on_the_page_equal_the_library(pages, studies, name):
    from fip.factors import bartlett_sphericity, factor_analysis, kmo, parallel_analysis
    from fip.reliability import cronbach_alpha, omega_total
    from fip.indices import reverse_keyed

    study, reader = studies[name], _read(pages[name])
    data = study.measurements.loc[study.measurements["round"] == 1, list(study.instrument.item_ids())].astype(float)
    shown = _find(reader, "structural", "Kaiser").set_index("item")["KMO"].map(_num)
    k = kmo(data)
    assert abs(shown["overall"] - k.overall) <= HALF
    expected = k.tidy().set_index("item")["kmo"]
    np.testing.assert_allclose(shown[expected.index].to_numpy(), expected.to_numpy(), atol=HALF, rtol=0)
    bart = _find(reader, "structural", "Bartlett").set_index("statistic")["value"].map(_num)
    b = bartlett_sphericity(data)
    assert abs(bart["chi-squared"] - b.chi2) <= 0.5e-4 and bart["degrees of freedom"] == b.df
    pa = parallel_analysis(data, n_iter=OPTIONS.n_iter, seed=OPTIONS.seed)
    n_factors = max(1, pa.n_retained)
    fa = factor_analysis(data, n_factors=n_factors, method="pf", rotation="varimax")
    loadings = _find(reader, "structural", f"Varimax loadings, {n_factors} factors (Stata factor, pf, on Pearson").set_index("item")
    assert list(loadings.columns[1:]) == list(fa.loadings.columns)
    np.testing.assert_allclose(loadings[fa.loadings.columns].map(_num).to_numpy(), fa.loadings.to_numpy(),
                               atol=HALF, rtol=0)
    rel = _find(reader, "internal-consistency", "Cronbach").set_index("index")
    for d in study.definitions:
        a = cronbach_alpha(data[list(d.items)], reverse=d.reverse)
        row = rel.loc[d.label_in("en") if d.label_in("en") in rel.index else d.id]
        assert abs(_num(row["alpha"]) - a.alpha) <= HALF
        assert abs(_num(row["omega"]) - omega_total(reverse_keyed(data[list(d.items)], list(d.reverse)))) <= HALF


def test_polychoric_loadings_equal_the_library(pages, studies):
    from fip.factors import factor_analysis, parallel_analysis
    from fip.validity import frame_correlation

    study, reader = studies["bfi"], _read(pages["bfi"])
    data = study.measurements[list(study.instrument.item_ids())].astype(float)
    corr = frame_correlation(data, "polychoric", "pairwise")
    k = max(1, parallel_analysis(data, n_iter=OPTIONS.n_iter, seed=OPTIONS.seed).n_retained)
    fa = factor_analysis(corr.matrix, n_factors=k, method="pf", rotation="varimax", n_obs=corr.n_obs)
    shown = _find(reader, "structural", f"Varimax loadings, {k} factors (Stata factor, pf, on polychoric").set_index("item")
    np.testing.assert_allclose(shown[fa.loadings.columns].map(_num).to_numpy(), fa.loadings.to_numpy(),
                               atol=HALF, rtol=0)


def test_agreement_numbers_equal_the_library(pages, studies):
    from fip.agreement import agreement_table

    table = agreement_table(studies["fip"])
    shown = _find(_read(pages["fip"]), "measurement-error", "Citizen vs caseworker")
    kappa = [c for c in shown.columns if "kappa" in c.lower()]
    assert len(kappa) == 1 and len(shown) == len(table)
    np.testing.assert_allclose(shown[kappa[0]].map(_num).to_numpy(), table["kappa_quadratic"].to_numpy(),
                               atol=HALF, rtol=0)


def test_few_persons_show_no_figures():
    study = _study("holzinger", DisclosurePolicy(1000))   # 301 persons, all "small"
    report = validity_report(study, OPTIONS)
    page = report.html()
    text = " ".join(" ".join(_read(page).text).split())
    assert "Not shown: it rests on fewer than 1000 persons" in text
    rel = report.tables["reliability"]
    assert rel["alpha"].isna().all() and rel["omega"].isna().all()


def test_sections_are_one_function_each():
    from fip.report.validity import BUILDERS

    assert tuple(BUILDERS) == VALIDITY_SECTIONS
    with pytest.raises(ValueError, match="sections"):
        validity_report(_study("holzinger"), OPTIONS, sections=("rasch",))


def test_the_command(tmp_path):
    runner = CliRunner()
    out = tmp_path / "v.html"
    folder = DATA / "holzinger"
    res = runner.invoke(app, ["validity", str(folder), "--instrument", str(folder / "instrument.yaml"),
                              "--definitions", str(folder / "indices.yaml"), "--out", str(out), "--n-iter", "5"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    page = out.read_text()
    assert "Structural validity" in page and "n = 301" in page
    bad = runner.invoke(app, ["validity", str(folder), "--instrument", str(folder / "instrument.yaml"),
                              "--out", str(out), "--respondent", "nobody"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert len(bad.output.strip().splitlines()) == 1 and "--respondent" in bad.output


def test_the_replicate_section_goes_beyond_the_study(studies):
    from fip.report import sections as sec

    v = sec.validity(studies["fip"], seed=3)
    assert v.id == "validity" and "validity" in sec.SECTIONS
    text = " ".join("".join(v.blocks).split())
    assert "This section goes beyond the study" in text and "Confirmatory factor analysis: ML" in text
    assert {"validity_citizen_cfa_fit", "validity_caseworker_cfa_fit", "validity_citizen_kmo", "validity_caseworker_kmo", "validity_agreement", "validity_change"} <= set(v.tables)
    assert all(name.startswith("validity_") for name in v.tables)
    assert all(v.n[name] > 0 for name in v.n)
    from fip.factors import kmo

    expected = kmo(studies["fip"].correlation("citizen").correlation).overall
    shown = v.tables["validity_citizen_kmo"].set_index("item").loc["overall", "KMO"]
    assert abs(shown - expected) < 1e-12


def test_cfa_and_invariance_sections_match_lavaan(studies):
    """Holzinger-Swineford, one factor per index, invariance by school: the page's CFA fit and the
    invariance steps equal lavaan 0.6 (tests/reference/cfa/make_reference.R) at the page's rounding."""
    ref_dir = Path(__file__).parent / "reference" / "cfa"
    report = validity_report(studies["holzinger"], ValidityOptions(n_iter=5, invariance_by=("school",),
                                                                   invariance_partial=False),
                             sections=("invariance",))
    tables = [t for t in _read(report.html()).tables if t["section"] == "invariance"]
    fit = _frame(next(t for t in tables if t["caption"].startswith("Confirmatory factor analysis")))
    ref = pd.read_csv(ref_dir / "hs_marker_fit.csv").set_index("measure")["value"]
    for header, key in (("χ²", "chisq"), ("CFI", "cfi"), ("TLI", "tli"), ("RMSEA", "rmsea"), ("SRMR", "srmr")):
        assert abs(float(fit[header].iloc[0]) - ref[key]) <= HALF + 1e-4 * abs(ref[key]), header
    assert int(fit["df"].iloc[0]) == int(ref["df"]) and int(fit["n"].iloc[0]) == 301
    table = next(t for t in tables if t["caption"].startswith("Measurement invariance by"))
    assert "Pasteur: n = 156" in " ".join(table["caption"].split())
    steps = _frame(table).set_index("level")
    lavaan = pd.read_csv(ref_dir / "hs_school_invariance.csv").set_index("level")
    assert list(steps.index) == list(lavaan.index)
    for header, key in (("χ²", "chisq"), ("CFI", "cfi"), ("RMSEA", "rmsea"), ("Δχ²", "delta_chisq"), ("ΔCFI", "delta_cfi")):
        for level in lavaan.index[1:] if key.startswith("delta") else lavaan.index:
            assert abs(float(steps.loc[level, header]) - lavaan.loc[level, key]) <= HALF + 1e-4 * abs(lavaan.loc[level, key])
    assert steps.loc["scalar", "holds"] == "no" and steps.loc["metric", "holds"] == "yes"  # ΔCFI -0.038 vs -0.002


def test_invariance_names_a_group_below_the_threshold():
    small = _study("holzinger", DisclosurePolicy(threshold=160))
    report = validity_report(small, ValidityOptions(n_iter=5, invariance_by=("school",)), sections=("invariance",))
    text = " ".join(" ".join(_read(report.html()).text).split())
    # Pasteur has 156 persons, Grant-White 145: no two groups of 160 remain
    assert "Invariance by school: not computed" in text and "fewer than two groups" in text
