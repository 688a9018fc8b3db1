"""Read the store back: the normalised Dataset, and the import log.

:func:`load_store` returns the same tables, dtypes and row order as
:func:`fip.data.load_dataset` gives for the folder(s) imported: rows in the order they
first arrived (import, then file row), a replaced row keeping its place. Optional columns
(``residence_ground``, ``visitation``) are included when any import had them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from fip.data import TABLES, Dataset
from fip.data.dataset import DATE_DTYPE, MONTH_DTYPE, TEXT_DTYPE
from fip.data.schema import ColumnSpec, Schema, load_schema
from fip.errors import FipError
from fip.instrument import Instrument, load_instrument
from fip.store.connection import DEFAULT_STORE, DEFAULT_TIMEOUT, open_store, store_name
from fip.store.schema import SCHEMA_VERSION, instrument_signature, quote, schema_version

__all__ = ["import_log", "load_store", "replaced_rows"]


def _select(spec: ColumnSpec) -> str:
    """SQL giving a column in the Arrow type closest to its pandas dtype."""
    q = quote(spec.name)
    if spec.type == "date":
        return f"CAST({q} AS TIMESTAMP) AS {q}"  # timestamp[us] -> datetime64[us]
    if spec.type == "month":  # monthly period ordinal (months since 1970-01)
        return f"(year({q}) - 1970) * 12 + month({q}) - 1 AS {q}"
    return q


def _column(values, spec: ColumnSpec) -> pd.Series:
    """One Arrow column (chunked array) as the pandas dtype of the Dataset contract."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = spec.type
    if t in ("id", "text", "code"):
        if not len(values):
            return pd.Series([], dtype=TEXT_DTYPE)
        # a fresh contiguous copy: DuckDB's exported buffers belong to whole record batches,
        # and a zero-copy view would keep every other column of those batches alive
        fresh = pa.concat_arrays([c for c in values.chunks if len(c)] + [pa.array([], values.type)])
        return pd.Series(pd.array(fresh, dtype=TEXT_DTYPE), copy=False)
    nulls = values.is_null().to_numpy(zero_copy_only=False) if values.null_count else None
    if t in ("integer", "score"):
        data = pc.fill_null(values, 0).to_numpy().astype(np.int64, copy=False)
        mask = nulls if nulls is not None else np.zeros(len(data), dtype=bool)
        return pd.Series(pd.arrays.IntegerArray(data, mask), copy=False)
    if t == "proportion":
        return pd.Series(values.to_numpy(zero_copy_only=False).astype(float, copy=False))
    if t == "date":
        data = values.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False).astype(DATE_DTYPE, copy=False)
        return pd.Series(data)
    if t == "month":
        data = pc.fill_null(values, 0).to_numpy().astype(np.int64, copy=True)
        if nulls is not None:
            data[nulls] = np.iinfo(np.int64).min  # NaT
        return pd.Series(pd.arrays.PeriodArray(data, dtype=MONTH_DTYPE), copy=False)
    if t == "bool":
        if nulls is None:
            return pd.Series(values.to_numpy(zero_copy_only=False).astype(bool, copy=False))
        return pd.Series(pd.array(values.to_pylist(), dtype="boolean"))
    raise AssertionError(f"unhandled column type {t!r}")


def _check_version(con, name: str) -> None:
    version = schema_version(con, name)
    if version == 0:
        raise FipError(f"{name}: the store is empty (no import has completed)")
    if version > SCHEMA_VERSION:
        raise FipError(f"{name}: the store has schema version {version}, made by a newer fip "
                       f"(this fip knows up to {SCHEMA_VERSION}); upgrade fip to read it")
    if version < SCHEMA_VERSION:
        raise FipError(f"{name}: the store has schema version {version}; import into it once with "
                       f"this fip (or call fip.store.migrate_store) to upgrade it to {SCHEMA_VERSION}")


def _read_tables(con, name: str, schema: Schema) -> dict[str, pd.DataFrame]:
    meta = dict(con.execute("SELECT key, value FROM store_meta").fetchall())
    if "instrument" not in meta:
        raise FipError(f"{name}: the store is empty (no import has completed)")
    if meta["instrument"] != instrument_signature(schema.instrument):
        held = json.loads(meta["instrument"])
        inst = schema.instrument
        raise FipError(f"{name}: the store holds forms of instrument {held['id']} ({held['version']}); "
                       f"asked to read it as {inst.id} ({inst.version}); pass that instrument")
    import pyarrow as pa

    out: dict[str, pd.DataFrame] = {}
    for t in TABLES:
        spec = schema.table(t)
        seen = set(json.loads(meta.get(f"optional_columns.{t}", "[]")))
        cols = [c for c in spec.columns if not c.optional or c.name in seen]
        sql = f"SELECT {', '.join(_select(c) for c in cols)}, _first_import_id, _row FROM {quote(t)}"
        arrow = con.sql(sql).to_arrow_table()
        first = arrow.column("_first_import_id").to_numpy()
        row = arrow.column("_row").to_numpy()
        arrow = arrow.drop_columns(["_first_import_id", "_row"])
        n = arrow.num_rows
        # rows come in insertion order; sort only if the storage did not keep it
        ordered = len(row) < 2 or bool(np.all((first[1:] > first[:-1]) | ((first[1:] == first[:-1]) & (row[1:] > row[:-1]))))
        if not ordered:
            arrow = arrow.take(np.lexsort((row, first)))
        del first, row
        columns: dict[str, pd.Series] = {}
        for c in cols:  # convert column by column, releasing each Arrow column once converted
            columns[c.name] = _column(arrow.column(0), c)
            arrow = arrow.remove_column(0)
        out[t] = pd.DataFrame(columns, index=pd.RangeIndex(n), copy=False)
        del arrow, columns
        pa.default_memory_pool().release_unused()  # hand freed Arrow buffers back to the OS
    return out


def load_store(store: str | Path = DEFAULT_STORE, instrument: Instrument | None = None, *,
               timeout: float = DEFAULT_TIMEOUT) -> Dataset:
    """The dataset held in the store, normalised like :func:`fip.data.load_dataset`.

    Parameters
    ----------
    store : str or Path
        Store file (default ``./fip.duckdb``); opened read-only.
    instrument : Instrument, optional
        The instrument the store's forms follow (default: the FIP instrument); must match
        the one recorded at the first import.
    timeout : float
        Seconds to wait while an import holds the store.

    Returns
    -------
    Dataset
        ``source`` is the store path. Ids are as stored (pseudonyms where the import
        pseudonymised CPR-like ids).

    Raises
    ------
    FipError
        No store at ``store``, an empty or foreign file, another instrument, a store of
        another schema version; :class:`~fip.store.StoreBusyError` if locked too long.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fip.data import write_dataset
    >>> from fip.simulate import simulate_cohort
    >>> from fip.store import import_dataset
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = import_dataset(write_dataset(simulate_cohort(25, seed=2), tmp / "q1"), tmp / "s.duckdb")
    >>> len(load_store(tmp / "s.duckdb").persons)
    25
    """
    path = Path(store)
    name = store_name(path)
    schema = load_schema(instrument if instrument is not None else load_instrument())
    with open_store(path, read_only=True, timeout=timeout) as con:
        _check_version(con, name)
        tables = _read_tables(con, name, schema)
    return Dataset(**tables, instrument=schema.instrument, source=path)


def check_store_key(store: str | Path, key: bytes | None, *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Refuse ``key`` when it is not the key the store's imports pseudonymised with.

    A store keeps the fingerprint of its pseudonym key (never the key). Screening the ids
    of a store's data with another key would give a CPR-like id that reached the store
    another pseudonym than the imported ones, so exports and person-level outputs check the
    key first. Nothing happens without a key or when the store has no fingerprint (no
    import pseudonymised anything).

    Raises
    ------
    FipError
        The key's fingerprint differs from the store's.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fip.data import write_dataset
    >>> from fip.simulate import simulate_cohort
    >>> from fip.store import import_dataset
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = import_dataset(write_dataset(simulate_cohort(25, seed=2), tmp / "q1"), tmp / "s.duckdb")
    >>> check_store_key(tmp / "s.duckdb", b"a key of at least sixteen bytes")  # no fingerprint yet
    """
    if key is None:
        return
    from fip.store.pseudonymise import key_fingerprint

    path = Path(store)
    with open_store(path, read_only=True, timeout=timeout) as con:
        row = con.execute("SELECT value FROM store_meta WHERE key = 'key_fingerprint'").fetchall()
    if row and row[0][0] != key_fingerprint(key):
        raise FipError(f"{store_name(path)}: the pseudonym key is not the key of this store's imports; "
                       f"ids would get other pseudonyms than the imported ones. Give the store's key "
                       f"(--key-file or $FIP_PSEUDONYM_KEY)")


def import_log(store: str | Path = DEFAULT_STORE, *, timeout: float = DEFAULT_TIMEOUT) -> pd.DataFrame:
    """One row per table file of each import: who, when, which file (sha256), what changed.

    Columns: ``import_id``, ``imported_at`` (UTC), ``user_name``, ``source``, ``instrument``,
    ``pseudonymised``, ``table_name``, ``file_name``, ``sha256``, ``n_rows``, ``inserted``,
    ``replaced``, ``unchanged``; ordered by import and table.
    """
    path = Path(store)
    with open_store(path, read_only=True, timeout=timeout) as con:
        _check_version(con, store_name(path))
        return con.sql(
            "SELECT i.import_id, i.imported_at, i.user_name, i.source, i.instrument, i.pseudonymised, "
            "f.table_name, f.file_name, f.sha256, f.n_rows, f.inserted, f.replaced, f.unchanged "
            "FROM imports i JOIN import_files f USING (import_id) "
            "ORDER BY i.import_id, CASE f.table_name WHEN 'persons' THEN 0 WHEN 'forms' THEN 1 ELSE 2 END"
        ).df()


def replaced_rows(store: str | Path = DEFAULT_STORE, *, timeout: float = DEFAULT_TIMEOUT) -> pd.DataFrame:
    """Rows replaced by later imports: old and new values (JSON text) with who, when and which file.

    Columns: ``import_id``, ``imported_at``, ``user_name``, ``file_name``, ``sha256``,
    ``table_name``, ``row_key``, ``old_values``, ``new_values``, ``previous_import_id``.
    """
    path = Path(store)
    with open_store(path, read_only=True, timeout=timeout) as con:
        _check_version(con, store_name(path))
        return con.sql(
            "SELECT r.import_id, i.imported_at, i.user_name, f.file_name, f.sha256, r.table_name, "
            "r.row_key, r.old_values, r.new_values, r.previous_import_id "
            "FROM replaced_rows r JOIN imports i USING (import_id) "
            "JOIN import_files f ON f.import_id = r.import_id AND f.table_name = r.table_name "
            "ORDER BY r.import_id, r.rowid"
        ).df()
