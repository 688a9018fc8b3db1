"""Checks a dataset must pass before it enters the store, beyond :func:`fip.data.load_dataset`.

* **CPR numbers** (as :mod:`fip.personal`, the one detector, defines them: any common
  separator, a lost leading zero): an id cell that is a CPR-like number is pseudonymised
  with the key, or refused without one; a CPR-like number anywhere else (inside an id, in
  free text) is refused. Messages name the file, column and rows, never the number.
  :func:`screen_ids` does this id part alone, for the commands that write person-level
  rows (``fip score``, ``fip indices --scores``, ``fip star``, ``fip export``).
* **Formula injection**: formula-like text (:func:`fip.formulas.is_formula_like`: starting
  with ``=``, ``+``, ``-``, ``@``, tab or carriage return, but not a lone ``-`` or a plain
  signed number) is refused; a spreadsheet opening an export would run it.
* **Binary junk and runaway cells**: text with control characters (other than tab, line
  feed, carriage return) or longer than :data:`MAX_TEXT` characters (ids: :data:`MAX_ID`)
  is refused: it is a sign of a broken export, and spreadsheets choke on it.
* **Keys after pseudonymisation**: two spellings of one CPR number (``010190-1234`` and
  ``0101901234``) become one id; a table key that then repeats is refused.

Rows are spreadsheet rows (header = 1), found by re-reading the file on the error path only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fip.data.dataset import TABLES, Dataset
from fip.data.readers import as_text, find_table_files, read_table
from fip.data.schema import Schema, load_schema
from fip.errors import InvalidDataError, Problem, mask_personal
from fip.formulas import FORMULA_TRIGGERS, formula_like
from fip.personal import contains_cpr, is_cpr
from fip.store.pseudonymise import KEY_ENV, pseudonymise

__all__ = ["FORMULA_TRIGGERS", "MAX_ID", "MAX_TEXT", "Screened", "cpr_id_counts", "formula_like",
           "screen_dataset", "screen_ids"]

#: Longest id and text cell accepted, in characters.
MAX_ID = 100
MAX_TEXT = 1000
_CPR_IDS = ("pseudonymous ids, not CPR numbers (CPR-like ids: {n}, {rows}; give a pseudonym key "
            "file or set " + KEY_ENV + " to replace them by keyed hashes)")
_CPR_INSIDE = ("ids without a CPR number inside (ids with one: {n}, {rows}; only an id that is exactly "
               "a CPR number can be pseudonymised)")
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


@dataclass(frozen=True)
class Screened:
    """Tables ready for the store and the number of distinct CPR numbers pseudonymised."""

    tables: Mapping[str, pd.DataFrame]
    pseudonymised: int


def _rows_text(rows: np.ndarray, limit: int = 8) -> str:
    """``rows 2-5, 9`` style list of spreadsheet rows (at most ``limit`` ranges)."""
    rows = np.unique(rows)
    ranges: list[tuple[int, int]] = []
    for r in rows.tolist():
        if ranges and r == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], r)
        else:
            ranges.append((r, r))
    parts = [f"{a}" if a == b else f"{a}-{b}" for a, b in ranges[:limit]]
    more = f" and {len(ranges) - limit} more ranges" if len(ranges) > limit else ""
    return ("row " if len(rows) == 1 else "rows ") + ", ".join(parts) + more


def _raw_rows(path: Path | None, n: int) -> np.ndarray:
    """Spreadsheet row of each row of a normalised table (blank rows were dropped by the loader)."""
    if path is None:
        return np.arange(n) + 2
    raw = read_table(path)
    blank = np.ones(len(raw), dtype=bool)
    for k in range(raw.shape[1]):
        col = raw.iloc[:, k]
        text_like = not (pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype)
                         or pd.api.types.is_datetime64_any_dtype(col.dtype))
        blank &= (as_text(col).isna() if text_like else col.isna()).to_numpy(dtype=bool)
    rows = np.flatnonzero(~blank) + 2
    return rows if len(rows) == n else np.arange(n) + 2  # file changed since loading: plain numbering


class _Problems:
    def __init__(self, files: Mapping[str, Path | None], names: Mapping[str, str]):
        self.files, self.names = files, names
        self.items: list[Problem] = []
        self._rows: dict[str, np.ndarray] = {}

    def rows(self, table: str, n: int) -> np.ndarray:
        if table not in self._rows:
            self._rows[table] = _raw_rows(self.files.get(table), n)
        return self._rows[table]

    def add_summary(self, table: str, column: str, mask: np.ndarray, what: str) -> None:
        rows = self.rows(table, len(mask))[mask]
        self.items.append(Problem(self.names[table], None, column, None,
                                  what.format(n=int(mask.sum()), rows=_rows_text(rows))))


def _check_table(name: str, frame: pd.DataFrame, schema: Schema, key: bytes | None,
                 problems: _Problems, skip_ids: bool, ids_only: bool = False) -> None:
    spec = schema.table(name)
    for col in spec.columns:
        if col.type not in (("id",) if ids_only else ("id", "text")) or col.name not in frame.columns:
            continue
        if skip_ids and col.name == "person_id":
            continue  # the same ids as persons.person_id (validated), checked there
        values = frame[col.name]
        if not ids_only:
            _check_text(name, col.name, col.type, values, problems)
        inside = contains_cpr(values)
        if not inside.any():
            continue
        if col.type == "id":
            whole = is_cpr(values)
            if key is None and whole.any():
                problems.add_summary(name, col.name, whole, _CPR_IDS)
            inside &= ~whole
            if inside.any():
                problems.add_summary(name, col.name, inside, _CPR_INSIDE)
        else:
            problems.add_summary(name, col.name, inside,
                                 "text without CPR numbers (cells with a CPR-like number: {n}, {rows}; "
                                 "remove it in the source system before importing)")


def _check_text(name: str, column: str, kind: str, values: pd.Series, problems: _Problems) -> None:
    """Control characters, runaway length and formula-like text of one column."""
    control = values.str.contains(_CONTROL, regex=True).to_numpy(dtype=bool, na_value=False)
    if control.any():
        problems.add_summary(name, column, control,
                             "text without control characters (cells with some: {n}, {rows}; "
                             "binary data or a broken export?)")
    limit = MAX_ID if kind == "id" else MAX_TEXT
    long = (values.str.len() > limit).to_numpy(dtype=bool, na_value=False)
    if long.any():
        problems.add_summary(name, column, long, f"at most {limit} characters (longer cells: {{n}}, {{rows}})")
    formula = formula_like(values)
    if formula.any():
        pos = np.flatnonzero(formula)
        rows = problems.rows(name, len(values))[pos]
        for r, v in zip(rows.tolist(), values.iloc[pos].tolist()):
            shown = mask_personal(v)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            problems.items.append(Problem(
                problems.names[name], r, column, shown,
                "text not starting with =, +, -, @ (a spreadsheet would run it as a formula: formula "
                "injection; a lone - or a plain number is fine); correct the value in the source system"))


def _duplicate_keys(name: str, frame: pd.DataFrame, schema: Schema, problems: _Problems) -> None:
    key = [k for k in schema.table(name).key if k in frame.columns]
    if not key or not len(frame):
        return
    dup = frame.duplicated(key, keep="first").to_numpy()
    if not dup.any():
        return
    first = frame.groupby(key, sort=False, dropna=False).ngroup().to_numpy()
    first_pos = pd.Series(np.arange(len(frame))).groupby(first).transform("min").to_numpy()
    rows = problems.rows(name, len(frame))
    for p in np.flatnonzero(dup).tolist():
        problems.items.append(Problem(
            problems.names[name], int(rows[p]), None, None,
            f"one row per {', '.join(key)} (row {int(rows[first_pos[p]])} has the same CPR number "
            f"written another way, e.g. with and without the hyphen)"))


def screen_dataset(dataset: Dataset, schema: Schema, key: bytes | None,
                   files: Mapping[str, Path] | None = None) -> Screened:
    """Check ``dataset`` for CPR numbers and formula-like text; pseudonymise CPR-like ids.

    Parameters
    ----------
    dataset : Dataset
        Validated tables (from :func:`fip.data.load_dataset`).
    schema : Schema
        The dataset layout (``id`` and ``text`` columns are screened).
    key : bytes or None
        Pseudonym key; without one, CPR-like ids are refused.
    files : Mapping[str, Path], optional
        Table -> file the table was read from (for row numbers and file names in problems).

    Returns
    -------
    Screened
        The tables with CPR-like ids replaced, and how many distinct numbers were hashed.

    Raises
    ------
    InvalidDataError
        Listing every problem; no message contains a CPR number.

    Examples
    --------
    >>> from fip.data.schema import load_schema
    >>> from fip.simulate import simulate_cohort
    >>> ds = simulate_cohort(20, seed=1)
    >>> screen_dataset(ds, load_schema(ds.instrument), None).pseudonymised
    0
    """
    return _screen(dataset, schema, key, files, ids_only=False)


def _screen(dataset: Dataset, schema: Schema, key: bytes | None, files: Mapping[str, Path] | None,
            ids_only: bool) -> Screened:
    files = dict(files or {})
    names = {t: (files[t].name if t in files else t) for t in TABLES}
    problems = _Problems(files, names)
    for name in TABLES:
        _check_table(name, dataset.table(name), schema, key, problems, skip_ids=name != "persons",
                     ids_only=ids_only)
    persons_cpr = "person_id" in dataset.persons and is_cpr(dataset.persons["person_id"]).any()
    if persons_cpr and key is None:  # show where else the refused ids are
        for name in TABLES[1:]:
            frame = dataset.table(name)
            if "person_id" in frame and len(frame):
                whole = is_cpr(frame["person_id"])
                if whole.any():
                    problems.add_summary(name, "person_id", whole,
                                         _CPR_IDS)
    if problems.items:
        raise InvalidDataError(problems.items)

    tables = {t: dataset.table(t) for t in TABLES}
    if key is None:
        return Screened(tables, 0)
    collide = False  # two spellings of one CPR number (with and without hyphen) in persons
    out: dict[str, pd.DataFrame] = {}
    total = 0
    cache: dict[str, str] = {}
    for name in TABLES:
        frame = tables[name]
        changed = {}
        for col in schema.table(name).columns:
            if col.type != "id" or col.name not in frame.columns:
                continue
            if name != "persons" and col.name == "person_id" and not persons_cpr:
                continue
            new, n = pseudonymise(frame[col.name], key, cache)
            if n:
                changed[col.name] = new
                if name == "persons" or col.name != "person_id":
                    total += n  # forms' and outcomes' person ids repeat the persons table's
                if name == "persons" and col.name == "person_id":
                    raw = frame[col.name]
                    collide = raw[is_cpr(raw)].nunique() != n
        if changed:
            frame = frame.assign(**changed)
        out[name] = frame
    if collide:  # person_id is part of every table's key: only then can a key repeat
        for name in TABLES:
            _duplicate_keys(name, out[name], schema, problems)
        if problems.items:
            raise InvalidDataError(problems.items)
    return Screened(out, total)


def screen_ids(dataset: Dataset, key: bytes | None, files: Mapping[str, Path] | None = None) -> Dataset:
    """The dataset with CPR-like ids pseudonymised with ``key``, as :func:`fip.store.import_dataset` does.

    For the commands that write person-level rows from a folder (``fip score``, ``fip
    indices --scores``, ``fip star``, ``fip export``): an id cell (``person_id``,
    ``caseworker_id``) that is a CPR-like number (:mod:`fip.personal`) becomes its keyed
    pseudonym (:func:`fip.store.pseudonymise.pseudonym`); without a key it is refused.
    Unlike :func:`screen_dataset`, free text and formula-like ids are left alone (outputs
    neutralise formulas with :func:`fip.formulas.formula_safe`).

    Parameters
    ----------
    dataset : Dataset
    key : bytes or None
        Pseudonym key (:func:`fip.store.pseudonymise.resolve_key`).
    files : Mapping[str, Path], optional
        Table -> file, for file names and row numbers in problems; default: the table files
        of ``dataset.source`` when it is a folder.

    Returns
    -------
    Dataset
        ``dataset`` itself when no id is CPR-like.

    Raises
    ------
    InvalidDataError
        Without a key, one line per table and column with CPR-like ids (counts and rows,
        never a number); an id with a CPR number inside; two spellings of one number that
        become one id.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> ds = simulate_cohort(20, seed=1)
    >>> screen_ids(ds, None) is ds
    True
    """
    schema = load_schema(dataset.instrument)
    if not any(contains_cpr(dataset.table(t)[c.name]).any() for t in TABLES
               for c in schema.table(t).columns if c.type == "id" and c.name in dataset.table(t).columns):
        return dataset
    if files is None and dataset.source is not None and Path(dataset.source).is_dir():
        files = {t: c[0] for t, c in find_table_files(dataset.source).items() if len(c) == 1}
    screened = _screen(dataset, schema, key, files, ids_only=True)
    return Dataset(**screened.tables, instrument=dataset.instrument, source=dataset.source)


def cpr_id_counts(dataset: Dataset) -> dict[str, int]:
    """Number of id cells per ``table.column`` that are CPR-like (columns without any left out).

    For ``fip validate``'s warning: counts only, never a value.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> cpr_id_counts(simulate_cohort(20, seed=1))
    {}
    """
    schema = load_schema(dataset.instrument)
    counts = {}
    for t in TABLES:
        frame = dataset.table(t)
        for c in schema.table(t).columns:
            if c.type == "id" and c.name in frame.columns:
                n = int(is_cpr(frame[c.name]).sum())
                if n:
                    counts[f"{t}.{c.name}"] = n
    return counts
