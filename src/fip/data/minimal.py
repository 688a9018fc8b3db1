"""The smallest dataset layout: one ``forms`` file, an optional ``persons`` file.

For an instrument without a ``measurement`` section (:attr:`fip.instrument.Instrument.pairs_forms`
is ``False``), e.g. a public personality questionnaire or a battery of test scores:

* ``forms`` (required): ``person_id`` and one column per item, named as in the instrument
  (ids match as written, any case); a ``respondent`` column when the instrument has several
  respondents (one form per person and respondent). Any other column (a date, a group) is
  kept as it is. Likert answers are whole numbers on the instrument's scale; on a
  ``scale: continuous`` any finite number (decimal point or comma) is accepted.
* ``persons`` (optional): ``person_id`` and background columns of any name and coding
  (``gender`` coded 1/2, ``age``, ...), kept as they are: a column whose every cell is a
  number becomes numeric, any other stays text.
* ``outcomes`` is not read: commands that need outcomes, two rounds or caseworkers say so.

Without dates every person has one measurement (round 1). With an ``answered_on`` column
(ISO or Danish dates) a person may have several forms per respondent: the k-th form of each
respondent by date is round k, and the respondents' forms of round k make one measurement.
No caseworker, language, municipality or outcome is needed.

Examples
--------
>>> import tempfile, pathlib
>>> from fip.instrument import instrument_from_dict
>>> inst = instrument_from_dict({"instrument": {"id": "demo"}, "scale": {"min": 1, "max": 6},
...                              "items": ["A1", "A2"]})
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "forms.csv").write_text("person_id,A1,A2,age\\n1,3,4,20\\n2,6,,31\\n")
>>> ds = load_minimal_dataset(d, inst)
>>> ds.forms[["person_id", "A1", "A2", "age"]].to_dict("list")
{'person_id': ['1', '2'], 'A1': [3, 6], 'A2': [4, None], 'age': ['20', '31']}
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from fip.data.dataset import INTEGER_DTYPE, TEXT_DTYPE, Dataset
from fip.data.readers import (
    EXTENSIONS,
    UnreadableFileError,
    as_text,
    find_table_files,
    parse_date,
    parse_number,
    read_table,
)
from fip.errors import InvalidDataError, Problem
from fip.instrument import Instrument

__all__ = ["load_minimal_dataset", "minimal_measurements", "validate_minimal_dataset"]

_OUTCOME_COLUMNS = ("person_id", "month", "employment_rate", "ordinary_employment", "education")
MAX_CELL_PROBLEMS = 1000  # per column: beyond this the column is summarised in one line


def _read(candidates: list[Path], table: str, required: bool,
          problems: list[Problem]) -> tuple[pd.DataFrame | None, str]:
    if not candidates:
        if required:
            names = [f"{table}{e}" for e in EXTENSIONS]
            problems.append(Problem(f"{table}.*", None, None, None, f"one file {', '.join(names[:-1])} or {names[-1]}"))
        return None, table
    if len(candidates) > 1:
        problems.append(Problem(f"{table}.*", None, None, ", ".join(p.name for p in candidates),
                                f"exactly one file for the {table} table (remove or rename the others)"))
        return None, table
    path = candidates[0]
    try:
        frame = read_table(path)
    except UnreadableFileError as exc:
        if exc.rows:
            problems.extend(r.problem(path.name) for r in exc.rows)
        else:
            problems.append(Problem(path.name, None, None, None, f"a readable {exc.kind} file ({exc.detail})"))
        return None, path.name
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, path.name


def _cells(problems: list[Problem], file: str, column: str, rows: np.ndarray, values: pd.Series,
           expected: str) -> None:
    for k, r in enumerate(rows):
        if k == MAX_CELL_PROBLEMS:
            problems.append(Problem(file, None, column, None, f"{expected} (and {len(rows) - k} more cells)"))
            break
        problems.append(Problem(file, int(r) + 2, column, str(values.iloc[r]), expected))


def _background(col: pd.Series) -> pd.Series:
    """A persons column as it is: numeric when every non-empty cell is a number, else text."""
    text = as_text(col)
    num = parse_number(col)
    filled = text.notna().to_numpy()
    if filled.any() and np.isfinite(num.to_numpy()[filled]).all():
        values = num.to_numpy()
        if np.all(values[filled] == np.round(values[filled])):
            return pd.Series(pd.array(np.where(filled, values, 0).astype(np.int64), dtype=INTEGER_DTYPE).copy(),
                             index=col.index).mask(~filled)
        return pd.Series(values, index=col.index, dtype="float64")
    return text


def _check_ids(frame: pd.DataFrame, file: str, problems: list[Problem]) -> pd.Series | None:
    if "person_id" not in frame.columns:
        close = [c for c in frame.columns if c.casefold() == "person_id"]
        hint = f" (found {close[0]!r})" if close else ""
        problems.append(Problem(file, 1, "person_id", None, f"a column person_id{hint}"))
        return None
    ids = as_text(frame["person_id"])
    empty = np.flatnonzero(ids.isna().to_numpy())
    _cells(problems, file, "person_id", empty, frame["person_id"].astype(str), "a person id")
    return ids


def _collect(folder: str | Path, instrument: Instrument) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    path = Path(folder)
    if not path.is_dir():
        return {}, [Problem(path.name or str(path), None, None, None,
                            "a folder holding a forms table (and optionally persons) (no such folder)")]
    problems: list[Problem] = []
    found = find_table_files(path)
    forms_raw, forms_file = _read(found["forms"], "forms", True, problems)
    persons_raw, persons_file = _read(found["persons"], "persons", False, problems)
    tables: dict[str, pd.DataFrame] = {}

    persons = None
    if persons_raw is not None:
        ids = _check_ids(persons_raw, persons_file, problems)
        if len(persons_raw) == 0:
            problems.append(Problem(persons_file, None, None, None, "at least one data row"))
        if ids is not None:
            dup = ids.duplicated(keep="first") & ids.notna()
            first = {v: k for k, v in reversed(list(enumerate(ids)))}
            for r in np.flatnonzero(dup.to_numpy()):
                problems.append(Problem(persons_file, int(r) + 2, "person_id", None,
                                        f"one row per person (the same person_id as row {first[ids.iloc[r]] + 2})"))
            persons = pd.DataFrame({"person_id": ids.astype(TEXT_DTYPE)})
            for c in persons_raw.columns:
                if c != "person_id":
                    persons[c] = _background(persons_raw[c]).to_numpy()

    if forms_raw is not None:
        forms = _check_forms(forms_raw, forms_file, instrument, problems)
        if forms is not None:
            if persons is not None:
                known = set(persons["person_id"].dropna())
                unknown = np.flatnonzero(~forms["person_id"].isin(known).to_numpy() & forms["person_id"].notna().to_numpy())
                for r in unknown[:MAX_CELL_PROBLEMS]:
                    problems.append(Problem(forms_file, int(r) + 2, "person_id", None,
                                            f"a person listed in {persons_file}"))
            else:
                persons = pd.DataFrame({"person_id": pd.array(forms["person_id"].dropna().unique(), dtype=TEXT_DTYPE)})
            tables["forms"] = forms
    if persons is not None:
        tables["persons"] = persons
    tables["outcomes"] = pd.DataFrame({c: pd.Series([], dtype=TEXT_DTYPE if c == "person_id" else "float64")
                                       for c in _OUTCOME_COLUMNS})
    return tables, problems


def _check_forms(raw: pd.DataFrame, file: str, inst: Instrument, problems: list[Problem]) -> pd.DataFrame | None:
    if len(raw) == 0:
        problems.append(Problem(file, None, None, None, "at least one data row"))
    ids = _check_ids(raw, file, problems)
    folded = {c.casefold(): c for c in raw.columns}
    missing = [i for i in inst.item_ids() if i not in raw.columns]
    for item in missing:
        hint = f" (found {folded[item.casefold()]!r}: ids match the data as written)" if item.casefold() in folded else ""
        problems.append(Problem(file, 1, item, None, f"a column for item {item!r} of instrument {inst.id!r}{hint}"))
    several = len(inst.respondents) > 1
    resp = None
    if several:
        if "respondent" not in raw.columns:
            problems.append(Problem(file, 1, "respondent", None,
                                    f"a column respondent ({', '.join(inst.respondent_ids)}): the instrument has several"))
        else:
            resp = as_text(raw["respondent"])
            bad = np.flatnonzero(~resp.isin(inst.respondent_ids).to_numpy())
            _cells(problems, file, "respondent", bad, raw["respondent"].astype(str),
                   f"one of {', '.join(inst.respondent_ids)}")
    if ids is None or missing or (several and resp is None):
        return None
    respondent = resp if resp is not None else pd.Series(inst.respondent_ids[0], index=raw.index, dtype=TEXT_DTYPE)
    out = pd.DataFrame({"person_id": ids.astype(TEXT_DTYPE), "respondent": respondent.astype(TEXT_DTYPE)})
    key = pd.DataFrame({"p": out["person_id"], "r": out["respondent"]})
    dated = "answered_on" in raw.columns
    if dated:
        dates = parse_date(raw["answered_on"])
        bad = np.flatnonzero(dates.isna().to_numpy())
        _cells(problems, file, "answered_on", bad, raw["answered_on"].astype(str),
               "a date like 2018-12-31 or 31-12-2018 (the forms have dates: every form needs one)")
        out["answered_on"] = dates.to_numpy()
        key["d"] = dates
    dup = key.duplicated(keep="first").to_numpy() & out["person_id"].notna().to_numpy()
    if dup.any():
        first = key.reset_index().groupby(list(key.columns), sort=False)["index"].transform("min").to_numpy()
        what = ("one form per person, respondent and date" if dated else
                "one form per person and respondent")
        why = "" if dated else "; without an answered_on column this layout has one measurement per person"
        for r in np.flatnonzero(dup)[:MAX_CELL_PROBLEMS]:
            problems.append(Problem(file, int(r) + 2, "person_id", None,
                                    f"{what} (the same as row {first[r] + 2}){why}"))
    scale = inst.scale
    rof = inst.respondent_of()
    for item in inst.item_ids():
        col = raw[item]
        empty = as_text(col).isna().to_numpy()
        num = parse_number(col).to_numpy()
        ok = np.isfinite(num)
        if scale.continuous:
            expected = "a number (or an empty cell)"
        else:
            ok &= (num == np.round(num)) & (num >= scale.min) & (num <= scale.max)
            expected = f"a whole number from {scale.min} to {scale.max} (or an empty cell)"
        bad = np.flatnonzero(~empty & ~ok)
        _cells(problems, file, item, bad, col.astype(str), expected)
        if several:
            other = np.flatnonzero(ok & ~empty & (respondent.to_numpy() != rof[item]))
            _cells(problems, file, item, other, col.astype(str), f"an empty cell on a form that is not a {rof[item]} form")
        if scale.continuous:
            out[item] = np.where(ok, num, np.nan)
        else:
            out[item] = pd.arrays.IntegerArray(np.where(ok, num, 0).astype(np.int64), ~ok)
    for c in raw.columns:  # other columns kept as they are
        if c not in out.columns:
            out[c] = as_text(raw[c]).to_numpy()
    return out


def validate_minimal_dataset(folder: str | Path, instrument: Instrument) -> list[Problem]:
    """Every problem of a dataset in the smallest layout (empty list when clean).

    Problems name file, row (the header is row 1) and column, never a person id: a missing
    ``forms`` file or ``person_id`` column, an item column missing (with a hint when only its
    case differs), answers off the scale (or not numbers on a continuous scale), a second
    form of a person and respondent, a form's person missing from ``persons``.
    """
    return _collect(folder, instrument)[1]


def load_minimal_dataset(folder: str | Path, instrument: Instrument) -> Dataset:
    """Read and check a dataset in the smallest layout (see the module docstring).

    Returns
    -------
    Dataset
        ``forms``: ``person_id``, ``respondent``, the items (Int64 on a Likert scale, float64
        on a continuous one), then the file's other columns as text; ``persons``:
        ``person_id`` and the file's background columns (numeric where every cell is a
        number), or just the ids of the forms; ``outcomes``: empty.

    Raises
    ------
    InvalidDataError
        Listing every problem of :func:`validate_minimal_dataset`.
    """
    tables, problems = _collect(folder, instrument)
    if problems:
        raise InvalidDataError(problems)
    return Dataset(persons=tables["persons"], forms=tables["forms"], outcomes=tables["outcomes"],
                   instrument=instrument, source=Path(folder))


def minimal_measurements(dataset: Dataset) -> pd.DataFrame:
    """Measurements of the smallest layout: ``person_id``, ``round``, then every item.

    Without ``answered_on`` one per person (round 1); with it, the k-th form by date of each
    respondent is round k (and ``measured_on`` is the earliest date of the round's forms). A
    person's forms of the several respondents of a round are joined; items of a respondent
    without a form are missing. Sorted by ``person_id`` and ``round``.
    """
    inst = dataset.instrument
    forms = dataset.forms[dataset.forms["person_id"].notna()].copy()
    dated = "answered_on" in forms.columns
    if dated:
        forms = forms.sort_values(["person_id", "respondent", "answered_on"], kind="stable")
        forms["round"] = forms.groupby(["person_id", "respondent"]).cumcount().astype(np.int64) + 1
    else:
        forms["round"] = np.int64(1)
    keys = forms[["person_id", "round"]].drop_duplicates().sort_values(["person_id", "round"], kind="stable")
    index = pd.MultiIndex.from_frame(keys)
    m = pd.DataFrame({"person_id": pd.array(keys["person_id"], dtype=TEXT_DTYPE),
                      "round": keys["round"].to_numpy(dtype=np.int64)})
    if dated:
        first = forms.groupby(["person_id", "round"])["answered_on"].min()
        m["measured_on"] = first.reindex(index).to_numpy()
    dtype = "float64" if inst.scale.continuous else INTEGER_DTYPE
    for r in inst.respondent_ids:
        f = forms[forms["respondent"] == r].drop_duplicates(["person_id", "round"], keep="last")
        f = f.set_index(["person_id", "round"])
        for item in inst.item_ids(r):
            values = f[item].reindex(index) if item in f.columns else pd.Series(np.nan, index=index)
            m[item] = values.astype(dtype).to_numpy()
    return m
