"""The validity report's IRT section (issue 14, item 9): numbers on the page = the library's fits.

The fits themselves are checked against R in tests/test_irt.py (GRM) and tests/test_irt_lrdif.py
(likelihood-ratio DIF); here the page shows them (3 decimals: tolerance half a unit in the last
place), states n and method, names small groups and withholds sizes that would reveal them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fip.cfa.invariance import SIZES_WITHHELD
from fip.cli import app
from fip.data import load_dataset
from fip.disclosure import DisclosurePolicy
from fip.indices import load_index_definitions
from fip.instrument import load_instrument
from fip.irt import eap_scores, fit_grm, item_information
from fip.irt.lrdif import lr_dif
from fip.report.validity import ValidityOptions, validity_report
from fip.study import Study
from test_report_validity import HALF, _find, _read

DATA = Path(__file__).resolve().parents[1] / "examples" / "data"
N_ITEMS = ("N1", "N2", "N3", "N4", "N5")
OPTIONS = ValidityOptions(n_iter=5, items=N_ITEMS, invariance_by=("gender",))


def _study(folder: Path, policy: DisclosurePolicy | None = None) -> Study:
    dataset = load_dataset(folder, load_instrument(folder / "instrument.yaml"))
    return Study(dataset, definitions=load_index_definitions(folder / "indices.yaml", instrument=dataset.instrument),
                 policy=policy)


@pytest.fixture(scope="module")
def bfi_page():
    report = validity_report(_study(DATA / "bfi"), OPTIONS, sections=("irt",))
    return report, _read(report.html())


@pytest.fixture(scope="module")
def neuroticism():
    forms = pd.read_csv(DATA / "bfi" / "forms.csv").set_index("person_id")
    persons = pd.read_csv(DATA / "bfi" / "persons.csv").set_index("person_id")
    frame = forms[list(N_ITEMS)].astype(float)
    frame.index = frame.index.astype(str)
    frame = frame.dropna()  # the report's default nan policy: listwise
    gender = persons["gender"].set_axis(persons.index.astype(str))
    return frame, gender.reindex(frame.index)


def _close(shown: pd.Series, expected, what: str) -> None:
    """Shown figures equal ``expected`` to the shown precision; a blank cell where ``expected`` is NaN."""
    shown = pd.to_numeric(shown.replace("", np.nan)).astype(float).to_numpy()
    expected = np.asarray(expected, dtype=float)
    assert np.array_equal(np.isnan(shown), np.isnan(expected)), (what, shown, expected)
    ok = np.isnan(expected) | (np.abs(shown - expected) <= HALF + 1e-9 * np.abs(expected))
    assert ok.all(), (what, shown, expected)


def test_parameters_fit_and_information_equal_the_library(bfi_page, neuroticism):
    report, reader = bfi_page
    frame, _ = neuroticism
    lib = fit_grm(frame)
    params = _find(reader, "irt", "GRM item parameters of neuroticism").set_index("item")
    tidy = lib.tidy().set_index(["item", "parameter"])
    for item in N_ITEMS:
        assert params.loc[item, "reversed"] == "no"
        _close(params.loc[[item], "a"], [tidy.loc[(item, "a1"), "estimate"]], f"{item} a")
        _close(params.loc[[item], "SE of a"], [tidy.loc[(item, "a1"), "se"]], f"{item} SE a")
        for k in range(1, 6):
            _close(params.loc[[item], f"b{k}"], [tidy.loc[(item, f"b{k}"), "estimate"]], f"{item} b{k}")
            _close(params.loc[[item], f"SE of b{k}"], [tidy.loc[(item, f"b{k}"), "se"]], f"{item} SE b{k}")
    fit = _find(reader, "irt", "GRM fit per index")
    assert int(fit["n"].iloc[0]) == lib.n_obs == 2694
    _close(fit["log-likelihood"], [lib.loglik], "loglik")
    _close(fit["marginal reliability"], [eap_scores(lib, frame).reliability], "reliability")
    info = _find(reader, "irt", "Test information")
    expected = item_information(lib, np.arange(-3.0, 3.5, 1.0))["test"]
    _close(info["neuroticism: information"], expected, "information")
    _close(info["neuroticism: SE(θ)"], 1 / np.sqrt(expected), "SE(theta)")
    assert report.tidy()["n"].notna().all()


def test_dif_table_equals_lr_dif(bfi_page, neuroticism):
    _, reader = bfi_page
    frame, gender = neuroticism
    lib = lr_dif(frame, gender, purify=True).tidy().set_index("item")
    found = [t for t in reader.tables if t["caption"].startswith("DIF of neuroticism by gender")]
    assert len(found) == 1
    caption = " ".join(found[0]["caption"].split())
    assert "1: n = 889, 2: n = 1805" in caption and "n = 2694" in caption and "IRTLRDIF" in caption
    shown = _find(reader, "irt", "DIF of neuroticism by gender").set_index("item")
    for col, lib_col in (("χ²", "chi2"), ("SIDN", "sidn"), ("UIDN", "uidn"), ("ESSD", "essd")):
        _close(shown[col], lib.loc[shown.index, lib_col], col)
    assert (shown["df"].astype(int) == 6).all()
    assert float(shown.loc["N5", "χ²"]) > 50                      # as tests/test_irt_lrdif shows
    # N2, the purified rounds' only anchor, is not tested (freeing it leaves the model unidentified)
    assert shown.loc["N2", "χ²"] == "" and shown.loc["N2", "anchor"] == "yes"
    assert list(shown["anchor"]) == ["yes" if a else "no" for a in lib.loc[shown.index, "anchor"]]
    assert "purified" in caption or "no purification round" in caption


def test_small_group_named_and_sizes_withheld(tmp_path):
    data = tmp_path / "bfi"
    data.mkdir()
    for f in (DATA / "bfi").iterdir():
        (data / f.name).write_bytes(f.read_bytes())
    persons = pd.read_csv(DATA / "bfi" / "persons.csv")
    persons.loc[persons.index[:3], "gender"] = 3  # 3 persons: below the threshold of 5
    persons.to_csv(data / "persons.csv", index=False)
    report = validity_report(_study(data), OPTIONS, sections=("irt",))
    reader = _read(report.html())
    cap = " ".join(next(t["caption"] for t in reader.tables if t["caption"].startswith("DIF of")).split())
    assert "left out (fewer than 5 persons): 3" in cap
    assert SIZES_WITHHELD in cap and "n = 2694" not in cap  # 2694 − analysed would reveal the 3 (or fewer)


def test_no_two_groups_above_the_threshold_is_said():
    report = validity_report(_study(DATA / "bfi", DisclosurePolicy(threshold=1000)), OPTIONS, sections=("irt",))
    text = " ".join(" ".join(_read(report.html()).text).split())
    assert "DIF of neuroticism by gender: not computed (fewer than two groups of 1000 or more persons" in text
    assert "left out (fewer than 1000 persons): 1" in text  # 889 women: named, not counted


def test_continuous_scale_and_no_irt_say_why():
    hs = validity_report(_study(DATA / "holzinger"), ValidityOptions(n_iter=5), sections=("irt",))
    text = " ".join(" ".join(_read(hs.html()).text).split())
    assert "Item response theory does not apply: the items are on a continuous scale" in text
    off = validity_report(_study(DATA / "bfi"), ValidityOptions(n_iter=5, irt=False), sections=("irt",))
    assert "left out on request (fip validity --no-irt)" in " ".join(off.html().split())
    assert off.tables == {}


def test_the_command_no_irt(tmp_path):
    out = tmp_path / "v.html"
    folder = DATA / "bfi"
    res = CliRunner().invoke(app, ["validity", str(folder), "--instrument", str(folder / "instrument.yaml"),
                                   "--items", "N1,N2,N3", "--out", str(out), "--n-iter", "5", "--no-irt"],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "left out on request (fip validity --no-irt)" in " ".join(out.read_text().split())
