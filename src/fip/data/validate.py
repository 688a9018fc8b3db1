"""Check a FIP dataset against the schema and the instrument; load it normalised.

:func:`validate_dataset` lists every problem of a dataset folder (never raises for bad
data); :func:`load_dataset` returns the normalised :class:`~fip.data.dataset.Dataset` or
raises :class:`~fip.errors.InvalidDataError` listing every problem. Both read the files with
:func:`fip.data.readers.read_table` and check the cells column by column, vectorised over
the distinct values of each column, so a dataset of millions of rows checks in seconds.

Problems are reported with the spreadsheet row (header = row 1, first data row = 2), the
column, the offending value (CPR-like numbers masked) and what was expected instead. Rows
whose cells are all empty (trailing rows of spreadsheet exports) are skipped.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "persons.csv").write_text("person_id,municipality\\n1,Aarhus\\n")
>>> problems = validate_dataset(folder)
>>> print(problems[0])
persons.csv, column 'gender': expected a column with this name (the persons table needs it)
>>> print(problems[-1])
outcomes.*: expected one file outcomes.csv, outcomes.parquet, outcomes.xlsx, outcomes.dta or outcomes.sav
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fip.data.dataset import INTEGER_DTYPE, TABLES, TEXT_DTYPE, Dataset
from fip.data.readers import (
    EXTENSIONS,
    HEADER_SEARCH_ROWS,
    UnreadableFileError,
    as_text,
    find_table_files,
    parse_bool,
    parse_code,
    parse_date,
    parse_month,
    parse_number,
    read_table,
)
from fip.data.schema import ColumnSpec, Schema, TableSpec, load_schema
from fip.errors import InvalidDataError, Problem, mask_personal
from fip.instrument import Instrument, load_instrument

__all__ = ["KnownPersons", "dataset_from_frames", "load_dataset", "validate_dataset", "validate_frames"]

Today = _dt.date | _dt.datetime | pd.Timestamp | str | None


@dataclass(frozen=True)
class KnownPersons:
    """Persons listed outside the folder (e.g. already in a store), for a delta import.

    Attributes
    ----------
    contains : callable
        ``contains(person_ids)`` gets a string Series and returns a boolean array: which
        ids are known.
    where : str
        Where they are listed, for messages (e.g. ``"the store fip.duckdb"``).

    Examples
    --------
    >>> known = KnownPersons(lambda ids: ids.isin(["p1"]).to_numpy(), "the store")
    >>> known.contains(pd.Series(["p1", "p2"])).tolist()
    [True, False]
    """

    contains: Callable[[pd.Series], np.ndarray]
    where: str


def _today(today: Today) -> pd.Timestamp:
    return pd.Timestamp(_dt.date.today() if today is None else today).normalize()


def _is_text_like(col: pd.Series) -> bool:
    dtype = col.dtype
    return isinstance(dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    )


def _display(col: pd.Series, positions: np.ndarray) -> list[str]:
    """Cells at ``positions`` as text for messages (empty cells as ``""``, CPR-like masked)."""
    picked = col.iloc[positions]
    if isinstance(picked.dtype, pd.PeriodDtype):
        text = picked.astype(str)
    elif pd.api.types.is_datetime64_any_dtype(picked.dtype):
        text = picked.dt.strftime("%Y-%m-%d")
    else:
        text = as_text(picked)
    return [mask_personal(v) for v in text.fillna("").tolist()]


#: Columns whose values no problem shows: a person id is personal data even when pseudonymous
#: (the problem names the row and column instead).
_HIDDEN = frozenset({"person_id"})


@dataclass
class _Collector:
    """Problems of one file: whole-file and header problems first, then cells by row."""

    file: str
    order: dict[str, int]
    head: list[Problem] = field(default_factory=list)
    cells: list[tuple[int, int, int, Problem]] = field(default_factory=list)

    def add(self, row: int | None, column: str | None, value: str | None, expected: str) -> None:
        value = None if value is None or column in _HIDDEN else mask_personal(value)
        problem = Problem(self.file, row, column, value, expected)
        if row is None:
            self.head.append(problem)
        else:
            self.cells.append((row, self.order.get(column or "", -1), len(self.cells), problem))

    def add_cells(self, rows: np.ndarray, column: str | None, values: Sequence[str], expected: str | Sequence[str]) -> None:
        exp = [expected] * len(rows) if isinstance(expected, str) else list(expected)
        if column in _HIDDEN:
            values = [None] * len(rows)
        col = self.order.get(column or "", -1)
        start = len(self.cells)
        self.cells.extend(
            (int(r), col, start + k, Problem(self.file, int(r), column, v, e))
            for k, (r, v, e) in enumerate(zip(rows, values, exp))
        )

    def problems(self) -> list[Problem]:
        self.cells.sort(key=lambda t: t[:3])
        return self.head + [c[3] for c in self.cells]


@dataclass
class _Checked:
    """One table after checking: normalised frame (valid cells only), row numbers, problems."""

    frame: pd.DataFrame
    rows: np.ndarray
    collector: _Collector


def _labels_applied(col: pd.Series, labels: Mapping[Any, str] | None) -> pd.Series | None:
    if not labels:
        return None
    mapped = col.map(dict(labels))
    return mapped.where(mapped.notna(), col.astype(object))


def _whole_numbers(col: pd.Series, lo: float | None, hi: float | None,
                   empty: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """Int64 values of an integer or score column within [lo, hi], and the mask of bad
    non-empty cells."""
    if pd.api.types.is_integer_dtype(col.dtype) and not isinstance(col.dtype, pd.CategoricalDtype):
        # parquet/Stata integers: no text round trip, and no copy when every cell is fine
        ints = col.astype(INTEGER_DTYPE)
        data = ints.array._data
        ok = ~ints.array._mask
        if lo is not None:
            ok &= data >= lo
        if hi is not None:
            ok &= data <= hi
        bad = ~empty & ~ok
        return (ints if not bad.any() else ints.mask(bad)), bad
    num = parse_number(col).to_numpy()
    ok = np.isfinite(num) & (num == np.round(num))
    if lo is not None:
        ok &= num >= lo
    if hi is not None:
        ok &= num <= hi
    data = np.where(ok, num, 0).astype(np.int64)
    return pd.Series(pd.arrays.IntegerArray(data, ~ok), index=col.index), ~empty & ~ok


def _parse(col: pd.Series, spec: ColumnSpec, schema: Schema, labels: Mapping[Any, str] | None,
           empty: np.ndarray, today: pd.Timestamp) -> tuple[pd.Series, list[tuple[np.ndarray, str]]]:
    """Normalised values of one column and (mask, expected) pairs of bad non-empty cells."""
    t = spec.type
    if t in ("id", "text"):
        labelled = _labels_applied(col, labels) if t == "text" else None
        values = as_text(labelled if labelled is not None else col).astype(TEXT_DTYPE)
        return values, []
    if t in ("integer", "score"):
        hi = float(today.year) if spec.max_this_year else spec.max
        values, bad = _whole_numbers(col, spec.min, hi, empty)
        if t == "score":
            expected = f"empty or a whole number from {spec.min:g} to {hi:g} (the instrument's scale)"
        else:
            expected = f"a whole number from {spec.min:g} to {hi:g}" + (" (not after this year)" if spec.max_this_year else "")
        return values, [(bad, expected)]
    if t == "proportion":
        num = parse_number(col).to_numpy()
        ok = np.isfinite(num) & (num >= 0) & (num <= 1)
        values = pd.Series(np.where(ok, num, np.nan), index=col.index, dtype=float)
        return values, [(~empty & ~ok, "a number from 0 to 1 (decimal point or comma)")]
    if t == "date":
        values = parse_date(col)
        bad = ~empty & values.isna().to_numpy()
        future = (values > today).to_numpy(dtype=bool, na_value=False)
        early = np.zeros(len(values), dtype=bool) if spec.earliest is None else \
            (values < pd.Timestamp(spec.earliest)).to_numpy(dtype=bool, na_value=False)
        if future.any() or early.any():
            values = values.mask(future | early)
        first = "" if spec.earliest is None else f"{spec.earliest:%Y-%m-%d}"
        return values, [
            (bad, "a date dd-mm-yyyy or yyyy-mm-dd (also dd.mm.yyyy, dd/mm/yyyy)"),
            (future, f"a date not after today ({today:%Y-%m-%d})"),
            (early, f"a date from {first} on (an earlier date is a typo or a default date)"),
        ]
    if t == "month":
        values = parse_month(col)
        return values, [(~empty & values.isna().to_numpy(), "a month yyyy-mm")]
    if t == "bool":
        values = parse_bool(col, schema.booleans)
        labelled = _labels_applied(col, labels)
        if labelled is not None:
            values = values.fillna(parse_bool(labelled, schema.booleans))
        bad = ~empty & values.isna().to_numpy()
        if not values.isna().any():
            values = values.astype(bool)
        return values, [(bad, "1/0, true/false, yes/no, ja/nej or sand/falsk")]
    if t == "code":
        values = parse_code(col, spec.codes)
        labelled = _labels_applied(col, labels)
        if labelled is not None:
            values = parse_code(labelled, spec.codes).fillna(values)
        return values, [(~empty & values.isna().to_numpy(), spec.describe_codes())]
    raise AssertionError(f"unhandled column type {t!r}")  # schema.TYPES guards this


def _header(raw: pd.DataFrame, spec: TableSpec, schema: Schema, coll: _Collector) -> dict[str, int]:
    """Map schema column -> position in ``raw``; header problems into ``coll``."""
    known = set(spec.names)
    items = [c.name for c in spec.columns if c.type == "score"]
    found: dict[str, int] = {}
    for k, name in enumerate(map(str, raw.columns)):
        norm = name.replace("\ufeff", "").strip().casefold()
        if norm == "":
            if as_text(raw.iloc[:, k]).isna().all():
                continue  # trailing separators of a spreadsheet export
            coll.add(None, f"<column {k + 1}>", None, "a column name in the header row")
            continue
        if norm in found:
            coll.add(None, name, None, f"each column once (column {found[norm] + 1} has the same name)")
            continue
        if norm not in known:
            close = difflib.get_close_matches(norm, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            plain = [n for n in spec.names if n not in items]
            what = ", ".join(plain) + (f" and the item columns of instrument {schema.instrument.id}" if items else "")
            coll.add(None, name, None, f"a column of the {spec.name} table ({what}){hint}")
            continue
        found[norm] = k
    return found


def _empty(col: pd.Series) -> np.ndarray:
    if _is_text_like(col):
        return as_text(col).isna().to_numpy(dtype=bool)
    return col.isna().to_numpy(dtype=bool)


def _normalised_name(cell: Any) -> str:
    return "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else \
        str(cell).replace("\ufeff", "").strip().casefold()


def _looks_like_header(cells: Sequence[Any], known: set[str]) -> bool:
    """A row naming at least two columns of the table (or all of its non-empty cells)."""
    names = [n for n in map(_normalised_name, cells) if n]
    hits = sum(n in known for n in names)
    return hits >= 2 or (hits >= 1 and hits == len(names))


def _misplaced_header(raw: pd.DataFrame, spec: TableSpec) -> str:
    """What to say when row 1 names none of the table's columns: where the header is, if
    it is in one of the first rows of the first sheet or on another sheet of a workbook."""
    known = set(spec.names)
    required = [c.name for c in spec.columns if not c.optional and c.type != "score"]
    what = f"the header row ({', '.join(required)}, ...) as row 1"
    sheets = raw.attrs.get("other_sheets")
    if sheets is not None:
        what += " of the first sheet"
    found = None
    for k in range(min(len(raw), HEADER_SEARCH_ROWS)):
        if _looks_like_header(raw.iloc[k].tolist(), known):
            found = f"it is in row {k + 2}: delete the rows above it"
            break
    for title, rows in (sheets or {}).items():
        if found is not None:
            break
        for k, cells in enumerate(rows):
            if _looks_like_header(cells, known):
                found = f"it is in row {k + 1} of sheet {mask_personal(title)!r}: move that sheet first" + \
                        (" and delete the rows above the header" if k else "")
                break
    return f"{what} ({found or f'row 1 names none of the {spec.name} columns'})"


def _placeholders_emptied(col: pd.Series, placeholders: Sequence[str]) -> pd.Series:
    """``col`` with cells that hold only a placeholder such as ``-`` made empty."""
    hit = as_text(col).isin(list(placeholders)).to_numpy(dtype=bool)
    return col.mask(hit) if hit.any() else col


def _check_table(raw: pd.DataFrame, spec: TableSpec, schema: Schema, file: str, today: pd.Timestamp) -> _Checked:
    coll = _Collector(file, {n: k for k, n in enumerate(spec.names)})
    where = _header(raw, spec, schema, coll)
    if not where and raw.shape[1]:  # one hint instead of a problem per column
        coll.head.clear()
        coll.add(None, None, None, _misplaced_header(raw, spec))
        return _Checked(pd.DataFrame(index=pd.RangeIndex(0)), np.zeros(0, dtype=np.int64), coll)
    for c in spec.columns:
        if c.name not in where and not c.optional:
            coll.add(None, c.name, None, f"a column with this name (the {spec.name} table needs it)")

    cols = {c.name: raw.iloc[:, where[c.name]] for c in spec.columns if c.name in where}
    if schema.placeholders:
        for c in spec.columns:
            if c.name in cols and c.type in ("text", "code"):
                cols[c.name] = _placeholders_emptied(cols[c.name], schema.placeholders)
    empty = {n: _empty(c) for n, c in cols.items()}
    rows = np.arange(len(raw), dtype=np.int64) + 2
    if cols and len(raw):
        blank = np.logical_and.reduce(list(empty.values()))
        for k in range(raw.shape[1]):
            if k not in where.values() and blank.any():
                blank &= _empty(raw.iloc[:, k])
        if blank.any():
            keep = ~blank
            rows = rows[keep]
            cols = {n: c[keep].reset_index(drop=True) for n, c in cols.items()}
            empty = {n: e[keep] for n, e in empty.items()}
    if len(rows) < spec.min_rows:
        need = "one data row" if spec.min_rows == 1 else f"{spec.min_rows} data rows"
        coll.add(None, None, None, f"at least {need} below the header (the {spec.name} table has "
                                   f"{len(rows) or 'none'}: an export of an empty selection?)")
    labels = raw.attrs.get("value_labels", {}) or {}
    out: dict[str, pd.Series] = {}
    for spec_col in spec.columns:
        name = spec_col.name
        if name not in cols:
            continue
        col = cols[name]
        try:
            values, bad = _parse(col, spec_col, schema, labels.get(name), empty[name], today)
        except (TypeError, ValueError, ArithmeticError) as exc:  # e.g. a list-typed parquet column
            coll.add(None, name, str(col.dtype), f"cells of type {spec_col.type} (error: {str(exc).splitlines()[0]})")
            continue
        for mask, expected in bad:
            if mask.any():
                pos = np.flatnonzero(mask)
                coll.add_cells(rows[pos], name, _display(col, pos), expected)
        if spec_col.required:
            missing_value = values.isna().to_numpy() & empty[name]
            if missing_value.any():
                pos = np.flatnonzero(missing_value)
                coll.add_cells(rows[pos], name, [""] * len(pos), "a value (this column must not be empty)")
        out[name] = values if isinstance(values.index, pd.RangeIndex) and values.index.start == 0 else values.reset_index(drop=True)
    if "respondent" in out:
        _wrong_respondent_items(out["respondent"], spec, cols, empty, rows, coll)
    frame = pd.DataFrame(out, index=pd.RangeIndex(len(rows)), copy=False)
    checked = _Checked(frame, rows, coll)
    _duplicates(checked, spec)
    return checked


def _wrong_respondent_items(resp: pd.Series, spec: TableSpec, cols: Mapping[str, pd.Series],
                            empty: Mapping[str, np.ndarray], rows: np.ndarray, coll: _Collector) -> None:
    """Items filled in on a form of another respondent (a citizen form with caseworker items)."""
    known = resp.notna().to_numpy()
    for col in spec.columns:
        if col.type != "score" or col.name not in cols:
            continue
        wrong = ~empty[col.name] & known & (resp != col.respondent).to_numpy(dtype=bool, na_value=False)
        if wrong.any():
            pos = np.flatnonzero(wrong)
            expected = [f"an empty cell ({col.name} is a {col.respondent} item; this is a {r} form)"
                        for r in resp.iloc[pos].tolist()]
            coll.add_cells(rows[pos], col.name, _display(cols[col.name], pos), expected)


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes of a column's values (-1 for missing) and the number of distinct values."""
    if isinstance(values.dtype, pd.PeriodDtype):
        ordinals = values.array.asi8
        nat = values.isna().to_numpy()
        lo = ordinals[~nat].min() if (~nat).any() else 0
        return np.where(nat, -1, ordinals - lo), int(ordinals[~nat].max() - lo + 1) if (~nat).any() else 0
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64), len(uniques)


def _key_codes(frame: pd.DataFrame, key: Sequence[str]) -> tuple[np.ndarray, int]:
    """One int64 code per row for the combination of ``key`` columns (-1 if any is missing),
    and an upper bound of the codes."""
    combined, n = _codes(frame[key[0]])
    for name in key[1:]:
        codes, m = _codes(frame[name])
        m = max(m, 1)
        bad = (combined < 0) | (codes < 0)
        if n * m >= 2**62:  # re-number the combinations seen so the product cannot overflow
            combined, n = _codes(pd.Series(np.where(bad, -1, combined)))
        combined = np.where(bad, -1, combined * m + codes)
        n = n * m
    return combined, n


def _duplicates(checked: _Checked, spec: TableSpec) -> None:
    """Rows repeating the table's key (naming the first row with that key)."""
    key = list(spec.key)
    if not key or any(k not in checked.frame.columns for k in key) or not len(checked.frame):
        return
    code, bound = _key_codes(checked.frame, key)
    complete = code >= 0
    if bound <= 8 * len(code) + 1024:  # dense codes: count with bincount
        counts = np.bincount(code[complete], minlength=bound)
        dup_any = np.zeros(len(code), dtype=bool)
        dup_any[complete] = counts[code[complete]] > 1
    else:
        dup_any = complete & pd.Series(code).duplicated(keep=False).to_numpy()
        dup_any &= complete
    if not dup_any.any():
        return
    pos_all = np.flatnonzero(dup_any)
    first_pos = pd.Series(pos_all).groupby(code[pos_all]).transform("min").to_numpy()
    later = pos_all != first_pos
    pos, first = pos_all[later], first_pos[later]
    first_rows = checked.rows[first]
    parts = [_display(checked.frame[k], pos) for k in key]
    if len(key) == 1:
        column, values, what = key[0], parts[0], f"a {key[0]} not used before in this file (row {{}} has it)"
    else:
        shown = [(k, part) for k, part in zip(key, parts) if k not in _HIDDEN]
        values = [", ".join(f"{k}={v}" for (k, _), v in zip(shown, vals)) for vals in zip(*(p for _, p in shown))]
        column, what = None, f"one row per {', '.join(key)} (row {{}} has the same)"
    checked.collector.add_cells(checked.rows[pos], column, values, [what.format(r) for r in first_rows])


def _unknown_persons(checked: _Checked, persons: pd.Series | None, persons_file: str | None,
                     elsewhere: KnownPersons | None = None) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    if "person_id" not in checked.frame.columns:
        return
    ids = checked.frame["person_id"]
    unknown = ids.notna().to_numpy().copy()
    if persons is not None:
        known = pc.is_in(pa.array(ids.array), value_set=pa.array(persons.dropna().array))
        unknown &= ~known.to_numpy(zero_copy_only=False).astype(bool)
    if elsewhere is not None and unknown.any():
        pos = np.flatnonzero(unknown)
        unknown[pos[np.asarray(elsewhere.contains(ids.iloc[pos].reset_index(drop=True)), dtype=bool)]] = False
    if unknown.any():
        pos = np.flatnonzero(unknown)
        where = " or ".join(([f"listed in {persons_file}"] if persons_file else [])
                            + ([f"already in {elsewhere.where}"] if elsewhere is not None else []))
        checked.collector.add_cells(checked.rows[pos], "person_id", _display(ids, pos), f"a person_id {where}")


#: Columns the checks across tables use (kept when validating without keeping the tables).
_CROSS_COLUMNS = ("person_id", "birth_year", "arrival_date", "answered_on")


def _born_after_arrival(persons: _Checked) -> None:
    """A birth year after the year of arrival (either one is a typo)."""
    frame = persons.frame
    if "birth_year" not in frame.columns or "arrival_date" not in frame.columns:
        return
    arrival = frame["arrival_date"].dt.year.to_numpy(dtype=float, na_value=np.nan)
    born = frame["birth_year"].to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(born > arrival)
    if len(bad):
        dates = _display(frame["arrival_date"], bad)
        persons.collector.add_cells(persons.rows[bad], "birth_year", _display(frame["birth_year"], bad),
                                    [f"a birth year not after the arrival date ({d})" for d in dates])


def _arrival_after_forms(persons: _Checked, forms: _Checked, forms_file: str) -> None:
    """An arrival date after the person's first form (a form is filled in in Denmark)."""
    p, f = persons.frame, forms.frame
    if not {"person_id", "arrival_date"} <= set(p.columns) or not {"person_id", "answered_on"} <= set(f.columns):
        return
    answered = f[["person_id", "answered_on"]].assign(_row=forms.rows).dropna()
    if not len(answered):
        return
    first = answered.sort_values(["answered_on", "_row"]).drop_duplicates("person_id").set_index("person_id")
    when = p["person_id"].map(first["answered_on"])
    bad = np.flatnonzero((p["arrival_date"] > when).to_numpy(dtype=bool, na_value=False))
    if len(bad):
        shown = _display(pd.Series(when.to_numpy(), dtype=p["arrival_date"].dtype), bad)
        form_rows = p["person_id"].iloc[bad].map(first["_row"]).tolist()
        persons.collector.add_cells(
            persons.rows[bad], "arrival_date", _display(p["arrival_date"], bad),
            [f"an arrival date not after the person's first form ({d}, {forms_file} row {r})"
             for d, r in zip(shown, form_rows)])


Source = tuple[str, Callable[[], pd.DataFrame], str]
#: Raw tables of at least this many cells are freed at once once checked (see _release_memory).
_RELEASE_CELLS = 1_000_000


def _release_memory() -> None:
    """Free a dropped raw table now: pandas objects sit in reference cycles until the garbage
    collector runs, and Arrow's pool keeps freed memory unless asked to return it."""
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()


def _check_sources(sources: Sequence[Source], schema: Schema, today: Today,
                   head: Mapping[str, list[Problem]] | None = None,
                   keep_tables: bool = True,
                   known_persons: KnownPersons | None = None) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read (via each loader) and check tables one at a time, then across tables.

    Each raw table is dropped once checked, so memory holds one raw table at a time; with
    ``keep_tables=False`` (validation only) the normalised tables keep just ``person_id``.
    """
    day = _today(today)
    head = {k: list(v) for k, v in (head or {}).items()}
    checked: dict[str, _Checked] = {}
    files: dict[str, str] = {}
    for name, load, file in sources:
        try:
            raw = load()
        except UnreadableFileError as exc:
            head.setdefault(name, []).extend(
                [r.problem(exc.file) for r in exc.rows] if exc.rows else
                [Problem(exc.file, None, None, None, f"a readable {exc.kind} file (error: {exc.detail})")])
            continue
        checked[name] = _check_table(raw, schema.table(name), schema, file, day)
        files[name] = file
        if not keep_tables:
            frame = checked[name].frame
            checked[name].frame = frame[[c for c in _CROSS_COLUMNS if c in frame.columns]]
            del frame
        cells = raw.size
        del raw
        if cells >= _RELEASE_CELLS:   # a full collection costs ~0.1 s: not for a one-person table
            _release_memory()
    persons = checked.get("persons")
    if persons is not None and "person_id" in persons.frame.columns:
        for name in ("forms", "outcomes"):
            if name in checked:
                _unknown_persons(checked[name], persons.frame["person_id"], files["persons"], known_persons)
    elif persons is None and known_persons is not None:  # a delta import without a persons file
        for name in ("forms", "outcomes"):
            if name in checked:
                _unknown_persons(checked[name], None, None, known_persons)
    if persons is not None:
        _born_after_arrival(persons)
        if "forms" in checked:
            _arrival_after_forms(persons, checked["forms"], files["forms"])
    problems: list[Problem] = []
    names = list(dict.fromkeys([t for t in TABLES if t in checked or t in head] + list(checked) + list(head)))
    for name in names:
        problems.extend(head.get(name, []))
        if name in checked:
            problems.extend(checked[name].collector.problems())
    return {n: c.frame for n, c in checked.items()}, problems


def validate_frames(
    frames: Mapping[str, tuple[pd.DataFrame, str]],
    schema: Schema,
    *,
    today: Today = None,
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Check raw tables against ``schema``; return the normalised tables and every problem.

    Parameters
    ----------
    frames : Mapping[str, (DataFrame, str)]
        Table name -> (raw cells as :func:`~fip.data.readers.read_table` gives them, or
        typed columns; file name used in problems). Tables absent from the mapping are not
        checked (the caller reports them), and checks across tables skip them.
    schema : Schema
        From :func:`fip.data.schema.load_schema`.
    today : date, optional
        Dates after this day are problems (default: today).

    Returns
    -------
    tables : dict[str, DataFrame]
        Normalised tables (schema columns present in the file, in schema order; invalid
        cells missing). Meaningful only when ``problems`` is empty.
    problems : list of Problem
        Per table in the order persons, forms, outcomes; within a file, header problems
        first, then cell problems by row and column.
    """
    sources = [(name, (lambda f=frame: f), file) for name, (frame, file) in frames.items()]
    return _check_sources(sources, schema, today)


def _instrument(instrument: Instrument | None) -> Instrument:
    return instrument if instrument is not None else load_instrument()


def _collect(folder: str | Path, instrument: Instrument | None, today: Today,
             keep_tables: bool = True, known_persons: KnownPersons | None = None,
             optional_tables: Sequence[str] = ()) -> tuple[dict[str, pd.DataFrame], list[Problem], Schema]:
    schema = load_schema(_instrument(instrument))
    path = Path(folder)
    if not path.is_dir():
        what = "a folder holding the tables persons, forms and outcomes"
        return {}, [Problem(path.name or str(path), None, None, None, f"{what} (no such folder)")], schema
    head: dict[str, list[Problem]] = {t: [] for t in TABLES}
    sources: list[Source] = []
    found = find_table_files(path)
    for table, candidates in found.items():
        if not candidates and table in optional_tables and any(found.values()):
            continue
        if not candidates:
            names = [f"{table}{e}" for e in EXTENSIONS]
            head[table].append(Problem(f"{table}.*", None, None, None,
                                       f"one file {', '.join(names[:-1])} or {names[-1]}"))
        elif len(candidates) > 1:
            head[table].append(Problem(f"{table}.*", None, None, ", ".join(p.name for p in candidates),
                                       f"exactly one file for the {table} table (remove or rename the others)"))
        else:
            sources.append((table, (lambda p=candidates[0]: read_table(p)), candidates[0].name))
    tables, problems = _check_sources(sources, schema, today, head, keep_tables, known_persons)
    for table in optional_tables:
        if table not in tables and not found.get(table):  # absent: an empty table of the schema's columns
            spec = schema.table(table)
            empty = pd.DataFrame({c.name: pd.Series([], dtype=object) for c in spec.columns if not c.optional})
            tables[table] = _check_table(empty, spec, schema, table, _today(today)).frame
    return tables, problems, schema


def validate_dataset(folder: str | Path, instrument: Instrument | None = None, *, today: Today = None) -> list[Problem]:
    """Every problem of the dataset in ``folder`` (an empty list when it is clean).

    Parameters
    ----------
    folder : str or Path
        Folder with one file per table: ``persons``, ``forms``, ``outcomes`` (``.csv``,
        ``.parquet``, ``.xlsx``, ``.dta`` or ``.sav``).
    instrument : Instrument, optional
        The questionnaire the forms follow (default: the FIP instrument).
    today : date, optional
        Dates after this day are problems (default: today's date).

    Returns
    -------
    list of Problem
        Missing or duplicate table files, unreadable files and unreadable rows of a file,
        a header that is not row 1 of the first sheet (one problem saying where it is),
        tables with fewer rows than the schema's ``min_rows``, missing and unknown columns,
        empty required cells (a placeholder such as ``-`` counts as empty), values that do
        not parse or are out of range (scores off the instrument's scale, future dates or
        dates before the schema's ``min``, rates outside [0, 1], unknown codes), a birth
        year after the arrival, an arrival after the person's first form, items filled in
        on another respondent's form, duplicate keys (naming the earlier row) and persons
        missing from ``persons``. Person ids are never shown. Never raises for bad data;
        nothing is capped.

    Examples
    --------
    >>> validate_dataset("/no/such/folder")[0].expected
    'a folder holding the tables persons, forms and outcomes (no such folder)'
    """
    inst = _instrument(instrument)
    if not inst.pairs_forms:  # the smallest layout: forms (+ persons), no dates or caseworkers
        from fip.data.minimal import validate_minimal_dataset

        return validate_minimal_dataset(folder, inst)
    return _collect(folder, instrument, today, keep_tables=False)[1]


def load_dataset(folder: str | Path, instrument: Instrument | None = None, *, today: Today = None,
                 known_persons: KnownPersons | None = None, optional_tables: Sequence[str] = ()) -> Dataset:
    """Read, check and normalise the dataset in ``folder``.

    Parameters
    ----------
    folder, instrument, today
        As in :func:`validate_dataset`.
    known_persons : KnownPersons, optional
        Persons listed elsewhere (a store, for a delta import): a form or outcome of one of
        them needs no row in ``persons``.
    optional_tables : sequence of str
        Tables whose file may be absent (an empty table then); at least one file must be
        there. For delta imports.

    Returns
    -------
    Dataset
        Tables with the column contract of :class:`~fip.data.dataset.Dataset`: ids, codes
        and text as strings, dates ``datetime64[us]`` at midnight, months ``period[M]``,
        items and ``birth_year`` ``Int64``, ``employment_rate`` float64, outcome flags bool;
        rows in file order (blank rows dropped).

    Raises
    ------
    InvalidDataError
        Listing every problem :func:`validate_dataset` finds.

    Examples
    --------
    >>> load_dataset("/no/such/folder")
    Traceback (most recent call last):
    ...
    fip.errors.InvalidDataError: folder: expected a folder holding the tables persons, forms and outcomes (no such folder)
    """
    if instrument is not None and not instrument.pairs_forms:
        from fip.data.minimal import load_minimal_dataset

        return load_minimal_dataset(folder, instrument)
    tables, problems, schema = _collect(folder, instrument, today, known_persons=known_persons,
                                        optional_tables=optional_tables)
    if problems:
        raise InvalidDataError(problems)
    return Dataset(**{t: tables[t] for t in TABLES}, instrument=schema.instrument, source=Path(folder))


def dataset_from_frames(
    persons: pd.DataFrame,
    forms: pd.DataFrame,
    outcomes: pd.DataFrame,
    instrument: Instrument | None = None,
    *,
    today: Today = None,
    require_rows: bool = False,
) -> Dataset:
    """Check and normalise in-memory tables (e.g. a simulated cohort) like :func:`load_dataset`.

    Cells may be raw text or already typed. Problems name the tables ``persons``,
    ``forms`` and ``outcomes`` in place of files; rows count as in a spreadsheet (the
    first row of the frame is row 2). A table without rows is allowed (a new person has no
    forms yet) unless ``require_rows``, which applies the schema's ``min_rows`` as the file
    readers do (a header-only file is an export of an empty selection).

    Raises
    ------
    InvalidDataError
        Listing every problem.

    Examples
    --------
    >>> p = pd.DataFrame({"person_id": ["a"], "municipality": ["Aarhus"], "gender": ["K"],
    ...     "birth_year": ["1990"], "origin": ["Syrien"], "education": [""],
    ...     "work_experience": ["ja"], "arrival_date": ["01-02-2016"]})
    >>> items = load_instrument().item_ids()
    >>> f = pd.DataFrame([["a", "k1", "Borger", "10-01-2017", "ar", *[4] * 11, *[None] * 11]],
    ...     columns=["person_id", "caseworker_id", "respondent", "answered_on", "language", *items])
    >>> o = pd.DataFrame({"person_id": ["a"], "month": ["2017-01"], "employment_rate": ["0,5"],
    ...     "ordinary_employment": ["1"], "education": ["nej"]})
    >>> d = dataset_from_frames(p, f, o)
    >>> d.persons.loc[0, ["gender", "education", "work_experience"]].tolist()
    ['female', 'unknown', 'yes']
    >>> d.forms.loc[0, "respondent"], int(d.forms.loc[0, "c01"])
    ('citizen', 4)
    """
    schema = load_schema(_instrument(instrument))
    if not require_rows:
        schema = replace(schema, tables={n: replace(t, min_rows=0) for n, t in schema.tables.items()})
    raw = {"persons": (persons, "persons"), "forms": (forms, "forms"), "outcomes": (outcomes, "outcomes")}
    tables, problems = validate_frames(raw, schema, today=today)
    if problems:
        raise InvalidDataError(problems)
    return Dataset(**{t: tables[t] for t in TABLES}, instrument=schema.instrument, source=None)
