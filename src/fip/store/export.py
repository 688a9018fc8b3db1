"""Write the store back out as a FIP dataset folder (CSV, Parquet or Excel).

CSV and Excel files are opened by spreadsheets, which run a cell starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return as a formula (CSV/formula injection; the rule is
:func:`fip.formulas.is_formula_like`). Following OWASP, :func:`export_store` prefixes such
text cells with an apostrophe in those two formats (``neutralise=True``, the default),
through the one formula-safe writer :func:`fip.formulas.formula_safe`. This is one-way:
:func:`fip.data.load_dataset` reads the apostrophe as part of the value (and :func:`fip.store.import_dataset` refuses the
original value anyway). Parquet is written unchanged and round-trips exactly; use it (or
``neutralise=False``) to move data between stores.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

from fip._options import check_option
from fip.data import TABLES, Dataset, write_dataset
from fip.data.dataset import TEXT_DTYPE
from fip.data.schema import Schema, TableSpec, load_schema
from fip.data.writers import check_dataset_target, dataset_folder
from fip.errors import FipError
from fip.formulas import formula_safe, neutralise_formulas
from fip.instrument import Instrument
from fip.store.connection import DEFAULT_STORE, DEFAULT_TIMEOUT
from fip.store.pseudonymise import resolve_key
from fip.store.reader import check_store_key, load_store
from fip.store.screen import screen_ids

__all__ = ["EXPORT_FORMATS", "export_store", "neutralise_dataset", "neutralise_formulas"]

#: Formats :func:`export_store` writes.
EXPORT_FORMATS: tuple[str, ...] = ("csv", "parquet", "xlsx", "dta", "sav")


def neutralise_dataset(dataset: Dataset, schema: Schema | None = None) -> Dataset:
    """The dataset with every text, id and code cell passed through :func:`fip.formulas.formula_safe`."""
    schema = schema or load_schema(dataset.instrument)
    tables = {}
    for t in TABLES:
        frame = dataset.table(t)
        text = [c.name for c in schema.table(t).columns if c.type in ("id", "text", "code") and c.name in frame.columns]
        tables[t] = frame.assign(**formula_safe(frame[text])) if text else frame
    return Dataset(**tables, instrument=dataset.instrument, source=dataset.source)


def _cells(frame: pd.DataFrame, spec: TableSpec) -> list[list]:
    """Rows of Python values for openpyxl: text, int, float, datetime, ``yyyy-mm`` months, 1/0 flags."""
    columns = []
    for c in spec.columns:
        if c.name not in frame.columns:
            continue
        col = frame[c.name]
        if c.type == "month":
            vals = col.astype(str).where(col.notna(), None).tolist()
        elif c.type == "date":
            vals = [None if pd.isna(v) else _dt.datetime(v.year, v.month, v.day) for v in col]
        elif c.type in ("integer", "score"):
            vals = [None if pd.isna(v) else int(v) for v in col.astype(object)]
        elif c.type == "bool":
            vals = [None if pd.isna(v) else int(bool(v)) for v in col.astype(object)]
        elif c.type == "proportion":
            vals = [None if np.isnan(v) else float(v) for v in col.to_numpy(dtype=float, na_value=np.nan)]
        else:
            vals = [None if pd.isna(v) else str(v) for v in col.astype(object)]
        columns.append(vals)
    return [list(r) for r in zip(*columns)] if columns else []


def _write_xlsx(dataset: Dataset, schema: Schema, folder: Path) -> Path:
    import openpyxl

    with dataset_folder(folder) as staging:
        for t in TABLES:
            spec = schema.table(t)
            frame = dataset.table(t)
            book = openpyxl.Workbook(write_only=True)
            sheet = book.create_sheet(t)
            sheet.append([c.name for c in spec.columns if c.name in frame.columns])
            for row in _cells(frame, spec):
                sheet.append(row)
            book.save(staging / f"{t}.xlsx")
            os.chmod(staging / f"{t}.xlsx", 0o600)
    return folder


def export_store(
    store: str | Path = DEFAULT_STORE,
    folder: str | Path = "export",
    format: str = "csv",  # noqa: A002
    *,
    instrument: Instrument | None = None,
    neutralise: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    key: bytes | None = None,
    key_file: str | Path | None = None,
) -> Path:
    """Write the store's dataset to ``folder`` (atomically) as CSV, Parquet, Excel, Stata or SPSS.

    Parameters
    ----------
    store : str or Path
        Store file (default ``./fip.duckdb``).
    folder : str or Path
        Target folder: new, empty, or an existing FIP dataset (an earlier export, in any
        format). It is replaced in one step when the new export is complete (the old table
        files go, other files are kept, as :func:`fip.data.write_dataset`); the table files
        are created ``0o600`` (person-level data).
    format : {"csv", "parquet", "xlsx", "dta", "sav"}
        Stata and SPSS files as :func:`fip.data.stats_writers.write_stats_dataset` writes them.
    instrument : Instrument, optional
        As in :func:`load_store`.
    neutralise : bool
        CSV and Excel only: prefix formula-like text with ``'`` (one-way; see the module notes).
    key, key_file : optional
        Pseudonym key (default ``$FIP_PSEUDONYM_KEY``). Ids are screened as on import
        (:func:`fip.store.screen.screen_ids`): a CPR-like id that reached the store (an older
        fip, a manual edit) is pseudonymised with the key, or the export is refused.

    Returns
    -------
    Path
        The folder written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fip.data import load_dataset, write_dataset
    >>> from fip.simulate import simulate_cohort
    >>> from fip.store import import_dataset
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = import_dataset(write_dataset(simulate_cohort(25, seed=2), tmp / "q1"), tmp / "s.duckdb")
    >>> out = export_store(tmp / "s.duckdb", tmp / "out", "parquet")
    >>> len(load_dataset(out).forms) == len(load_dataset(tmp / "q1").forms)
    True
    """
    fmt = check_option("format", format, EXPORT_FORMATS)
    check_dataset_target(folder)
    resolved = resolve_key(key, key_file)
    check_store_key(store, resolved, timeout=timeout)
    dataset = screen_ids(load_store(store, instrument, timeout=timeout), resolved)
    schema = load_schema(dataset.instrument)
    if neutralise and fmt in ("csv", "xlsx"):
        dataset = neutralise_dataset(dataset, schema)
    if fmt == "xlsx":
        return _write_xlsx(dataset, schema, Path(folder))
    if fmt in ("dta", "sav"):
        from fip.data.stats_writers import write_stats_dataset

        return write_stats_dataset(dataset, folder, fmt, private=True)
    return write_dataset(dataset, folder, format=fmt, private=True)
