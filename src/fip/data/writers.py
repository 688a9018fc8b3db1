"""Write a Dataset to a folder as CSV or Parquet: canonical, deterministic and atomic.

Canonical CSV: UTF-8 without BOM, separator ``,``, ``\\n`` line ends, a header row, dates
``yyyy-mm-dd``, months ``yyyy-mm``, booleans ``1``/``0``, numbers with a decimal point
(shortest text that reads back to the same float), missing values as empty cells; text
values are quoted only if some value of the table needs quoting (then every text value
is). Canonical Parquet: text as strings, dates as ``date32``, months as ``yyyy-mm``
strings, whole numbers as int64, booleans as bool; no pandas metadata. Both read back with
:func:`fip.data.load_dataset` to an equal Dataset, and the same Dataset always gives the
same bytes (with the same pyarrow version: Parquet files record the writer's version).
Text is written as it is; the loader strips surrounding spaces, so a normalised Dataset
(whose text has none) is what round-trips exactly.

The tables are written into a temporary sibling folder that then takes the place of the
target in one step (:func:`fip._atomic.replace_folder`), so an interrupted write leaves
the old folder (or nothing), never half a dataset; a killed write's leftovers are removed
by the next write to the same folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from fip._atomic import check_output_folder, replace_folder
from fip._options import check_option
from fip.data.dataset import TABLES, TEXT_DTYPE, Dataset
from fip.data.readers import find_table_files
from fip.data.schema import ColumnSpec, TableSpec, load_schema
from fip.errors import FipError

__all__ = ["FORMATS", "check_dataset_target", "dataset_folder", "looks_like_dataset", "table_to_arrow",
           "write_dataset"]

#: Formats :func:`write_dataset` writes.
FORMATS: tuple[str, ...] = ("csv", "parquet")


def _months_as_text(values: pd.Series):
    import pyarrow as pa
    import pyarrow.compute as pc

    period = values if isinstance(values.dtype, pd.PeriodDtype) else pd.Series(values).astype("period[M]")
    ordinals = period.array.asi8
    codes, uniques = pd.factorize(ordinals, sort=True)
    nat = np.iinfo(np.int64).min
    labels = [None if o == nat else f"{o // 12 + 1970:04d}-{o % 12 + 1:02d}" for o in uniques]
    return pc.take(pa.array(labels, type=pa.string()), pa.array(np.where(codes < 0, 0, codes), mask=codes < 0))


def _column_to_arrow(values: pd.Series, spec: ColumnSpec, fmt: str):
    import pyarrow as pa

    t = spec.type
    if t in ("id", "text", "code"):
        text = values if values.dtype == TEXT_DTYPE else values.astype(TEXT_DTYPE)
        arr = pa.array(text.array)
        return arr if arr.type == pa.string() else arr.cast(pa.string())
    if t in ("integer", "score"):
        ints = pd.array(values, dtype="Int64")
        return pa.array(ints.to_numpy(dtype=np.int64, na_value=0), type=pa.int64(), mask=ints.isna())
    if t == "proportion":
        num = pd.to_numeric(values).to_numpy(dtype=float, na_value=np.nan)
        return pa.array(num, type=pa.float64(), mask=np.isnan(num))
    if t == "date":
        days = pd.to_datetime(values).to_numpy().astype("datetime64[D]")
        return pa.array(days.astype(np.int64).astype(np.int32), type=pa.int32(), mask=np.isnat(days)).cast(pa.date32())
    if t == "month":
        return _months_as_text(values)
    if t == "bool":
        flags = pd.array(values, dtype="boolean")
        mask = flags.isna()
        data = flags.to_numpy(dtype=bool, na_value=False)
        if fmt == "csv":
            return pa.array(data.astype(np.int8), type=pa.int8(), mask=mask)
        return pa.array(data, type=pa.bool_(), mask=mask)
    raise AssertionError(f"unhandled column type {t!r}")


def table_to_arrow(frame: pd.DataFrame, spec: TableSpec, fmt: str = "parquet"):
    """The canonical Arrow table of one normalised table (schema column order).

    Raises
    ------
    FipError
        If ``frame`` has columns the table does not have, or lacks required columns.
    """
    import pyarrow as pa

    fmt = check_option("format", fmt, FORMATS)
    unknown = [c for c in frame.columns if c not in spec.names]
    if unknown:
        raise FipError(f"{spec.name}: column(s) {unknown} are not part of the {spec.name} table; "
                       f"expected some of {list(spec.names)}")
    absent = [c.name for c in spec.columns if not c.optional and c.name not in frame.columns]
    if absent:
        raise FipError(f"{spec.name}: missing column(s) {absent}")
    cols = [c for c in spec.columns if c.name in frame.columns]
    arrays = [_column_to_arrow(frame[c.name].reset_index(drop=True), c, fmt) for c in cols]
    return pa.Table.from_arrays(arrays, names=[c.name for c in cols])


def _needs_quotes(table) -> bool:
    import pyarrow as pa
    import pyarrow.compute as pc

    for col in table.columns:
        if pa.types.is_string(col.type):
            hit = pc.any(pc.match_substring_regex(col, r'[,"\r\n]')).as_py()
            if hit:
                return True
    return any(any(ch in name for ch in ',"\r\n') for name in table.column_names)


def _write_csv(table, path: Path) -> None:
    import pyarrow.csv as pcsv

    style = "needed" if _needs_quotes(table) else "none"
    quote = (lambda n: '"' + n.replace('"', '""') + '"') if style == "needed" else (lambda n: n)
    with path.open("wb") as handle:  # pyarrow quotes header names always; write them plainly
        handle.write((",".join(quote(n) for n in table.column_names) + "\n").encode("utf-8"))
        pcsv.write_csv(table, handle, write_options=pcsv.WriteOptions(
            include_header=False, quoting_style=style, delimiter=","))


def _write_parquet(table, path: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, str(path), compression="zstd", write_statistics=True, store_schema=False)


def _is_table_file(p: Path) -> bool:
    from fip.data.readers import EXTENSIONS

    return p.is_file() and p.stem.casefold() in TABLES and p.suffix.lower() in EXTENSIONS


def looks_like_dataset(folder: Path) -> str | None:
    """``None`` if ``folder`` holds a FIP dataset (a file per table), else what it lacks
    (a check for :func:`fip._atomic.replace_folder`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> looks_like_dataset(pathlib.Path(tempfile.mkdtemp()))
    'it lacks persons, forms, outcomes'
    """
    found = find_table_files(folder)
    if not all(found.values()):
        return f"it lacks {', '.join(t for t, v in found.items() if not v)}"
    return None


def check_dataset_target(folder: str | Path, option: str | None = None) -> Path:
    """Check before computing that ``folder`` may receive a dataset: new, empty, or a FIP
    dataset; return it with symlinks resolved (:func:`fip._atomic.check_output_folder`)."""
    return check_output_folder(folder, looks_like_dataset, "a FIP dataset", option)


@contextmanager
def dataset_folder(folder: str | Path) -> Iterator[Path]:
    """A staging folder that replaces ``folder`` (new, empty or a FIP dataset) when the block
    ends; the old folder's files other than table files are carried over."""
    with replace_folder(folder, looks_like=looks_like_dataset, what="a FIP dataset",
                        keep=lambda entry: not _is_table_file(entry)) as staging:
        yield staging


def write_dataset(dataset: Dataset, folder: str | Path, format: str = "csv", *,  # noqa: A002
                  private: bool = False) -> Path:
    """Write ``persons``, ``forms`` and ``outcomes`` to ``folder`` as CSV or Parquet.

    Parameters
    ----------
    dataset : Dataset
        Normalised tables (as :func:`fip.data.load_dataset` or the simulator give them).
    folder : str or Path
        Target folder: new, empty, or an existing FIP dataset (its table files are
        replaced; other files in it are kept).
    format : {"csv", "parquet"}
    private : bool
        Create the table files ``0o600`` (person-level data, e.g. an export of a store).

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    FipError
        If ``folder`` is a file, or a non-empty folder that is not a FIP dataset (nothing
        is written), or a table has columns outside the schema.
    ValueError
        If ``format`` is not one of :data:`FORMATS`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> from fip.data import dataset_from_frames, load_dataset
    >>> from fip.instrument import load_instrument
    >>> persons = pd.DataFrame({"person_id": ["007"], "municipality": ["Aarhus"], "gender": ["K"],
    ...     "birth_year": [1990], "origin": ["Syrien"], "education": ["ingen"],
    ...     "work_experience": ["ja"], "arrival_date": ["01-02-2016"]})
    >>> items = load_instrument().item_ids()
    >>> forms = pd.DataFrame([["007", "k1", "citizen", "2017-01-10", "ar", *[4] * 11, *[None] * 11]],
    ...     columns=["person_id", "caseworker_id", "respondent", "answered_on", "language", *items])
    >>> outcomes = pd.DataFrame({"person_id": ["007"], "month": ["2017-01"],
    ...     "employment_rate": [0.5], "ordinary_employment": [True], "education": [False]})
    >>> dataset = dataset_from_frames(persons, forms, outcomes)
    >>> out = write_dataset(dataset, pathlib.Path(tempfile.mkdtemp()) / "copy")
    >>> sorted(p.name for p in out.iterdir())
    ['forms.csv', 'outcomes.csv', 'persons.csv']
    >>> print((out / "persons.csv").read_text(encoding="utf-8"), end="")
    person_id,municipality,gender,birth_year,origin,education,work_experience,arrival_date
    007,Aarhus,female,1990,Syrien,none,yes,2016-02-01
    >>> load_dataset(out).persons.equals(dataset.persons)
    True
    """
    fmt = check_option("format", format, FORMATS)
    check_dataset_target(folder)
    schema = load_schema(dataset.instrument)
    tables = {t: table_to_arrow(dataset.table(t), schema.table(t), fmt) for t in TABLES}
    with dataset_folder(folder) as staging:
        for name, table in tables.items():
            path = staging / f"{name}.{fmt}"
            (_write_csv if fmt == "csv" else _write_parquet)(table, path)
            if private:
                os.chmod(path, 0o600)
    return Path(folder)

