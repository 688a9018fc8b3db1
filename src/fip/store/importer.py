"""Import a FIP dataset folder into the store: validate, screen, then merge in one transaction.

Order of work: hash the table files (sha256), :func:`fip.data.load_dataset` (the checks of
``fip validate``), :func:`fip.store.screen.screen_dataset` (CPR numbers, formula-like text,
pseudonyms), and only then open the store. The merge runs in one DuckDB transaction, so a
killed process leaves the store with all of the import or none of it. Per table, rows are
matched on the table's key (``configs/schema.yaml``: persons by ``person_id``, forms by
``person_id, respondent, answered_on``, outcomes by ``person_id, month``):

* a key not in the store is inserted;
* a key whose values are equal is left alone (re-importing a file changes nothing: when no
  row is inserted or replaced, the transaction is rolled back and no log entry is made);
* a key with different values is replaced, and ``replaced_rows`` keeps the old and the new
  values, linked to the import (who, when, which files with their sha256).

Columns a file lacks (optional ones such as ``visitation``) keep their stored values.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fip.data import TABLES, load_dataset
from fip.data.readers import find_table_files
from fip.data.schema import ColumnSpec, Schema, TableSpec, load_schema
from fip.data.validate import Today
from fip.data.writers import table_to_arrow
from fip.errors import FipError, mask_personal
from fip.instrument import Instrument, load_instrument
from fip.store.connection import DEFAULT_STORE, DEFAULT_TIMEOUT, open_store, store_name
from fip.store.pseudonymise import key_fingerprint, resolve_key
from fip.store.schema import create_data_tables, instrument_signature, migrate, quote
from fip.store.screen import screen_dataset

__all__ = ["ImportReport", "TableImport", "import_dataset", "migrate_store"]


@dataclass(frozen=True)
class TableImport:
    """What one table file did to the store.

    Attributes
    ----------
    table, file, sha256 : str
        Table name, file name and the file's SHA-256 (hex).
    rows : int
        Rows in the file (blank rows not counted).
    inserted, replaced, unchanged : int
        Rows new to the store, rows replacing a stored row with other values, rows equal to
        the stored row.
    """

    table: str
    file: str
    sha256: str
    rows: int
    inserted: int
    replaced: int
    unchanged: int


@dataclass(frozen=True)
class ImportReport:
    """The result of :func:`import_dataset`.

    Attributes
    ----------
    store : Path
    import_id : int or None
        Number of the import in the store's log; ``None`` when nothing changed (no log entry).
    source : str
        Name of the imported folder (CPR-like numbers masked).
    user : str
    imported_at : str
        UTC time, ISO 8601.
    tables : tuple of TableImport
        One per table, in the order persons, forms, outcomes.
    pseudonymised : int
        Distinct CPR-like ids replaced by keyed hashes.
    """

    store: Path
    import_id: int | None
    source: str
    user: str
    imported_at: str
    tables: tuple[TableImport, ...]
    pseudonymised: int

    @property
    def changed(self) -> bool:
        """True if the import inserted or replaced any row."""
        return self.import_id is not None

    def lines(self) -> list[str]:
        """The report as text lines for a terminal (no personal data)."""
        head = (f"import {self.import_id} into {store_name(self.store)}" if self.changed
                else f"nothing new for {store_name(self.store)}: every row is already stored")
        out = [f"{head} (from {self.source}, by {self.user}, {self.imported_at})"]
        for t in self.tables:
            out.append(f"  {t.file}: {t.rows:,} rows: {t.inserted:,} new, {t.replaced:,} replaced, "
                       f"{t.unchanged:,} unchanged (sha256 {t.sha256[:12]}...)")
        if self.pseudonymised:
            out.append(f"  {self.pseudonymised:,} CPR-like ids replaced by keyed pseudonyms")
        return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _table_files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {t: c[0] for t, c in find_table_files(folder).items() if len(c) == 1}


def _user(user: str | None) -> str:
    if user is None:
        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name (containers): record that
            user = "unknown"
    return mask_personal(user)


# --------------------------------------------------------------------------- merge


def _struct(alias: str, cols: list[ColumnSpec]) -> str:
    if not cols:
        return "'{}'"
    return "to_json(struct_pack(" + ", ".join(f"{quote(c.name)} := {alias}.{quote(c.name)}" for c in cols) + "))"


def _to_arrow(frame: pd.DataFrame, spec: TableSpec):
    """The canonical Arrow table of ``frame`` (months as date32 first days) plus ``_row``.

    Columns are popped from ``frame`` as they are converted, so memory holds one copy.
    """
    import pyarrow as pa

    present = [c for c in spec.columns if c.name in frame.columns]
    n = len(frame)
    arrays, names = [], []
    for c in present:
        col = frame.pop(c.name)
        if c.type == "month":  # period ordinals -> first day of the month, no text round trip
            period = col if isinstance(col.dtype, pd.PeriodDtype) else col.astype("period[M]")
            nat = period.isna().to_numpy()
            days = period.array.asi8.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
            arrays.append(pa.array(days.astype(np.int32), type=pa.int32(), mask=nat).cast(pa.date32()))
        else:
            one = pd.DataFrame({c.name: col}, copy=False)
            arrays.append(table_to_arrow(one, TableSpec(spec.name, (), (c,)), "parquet").column(0))
        del col
        names.append(c.name)
    arrays.append(pa.array(np.arange(n, dtype=np.int64)))
    return pa.Table.from_arrays(arrays, names=names + ["_row"]), present


def _merge(con, spec: TableSpec, frames: dict[str, pd.DataFrame], import_id: int) -> tuple[int, int, int, int]:
    """Merge one normalised table (popped from ``frames`` to free it early) into its store
    table; return (rows, inserted, replaced, unchanged)."""
    arrow, present = _to_arrow(frames.pop(spec.name), spec)
    n_rows = arrow.num_rows
    table = quote(spec.name)
    names = ", ".join(quote(c.name) for c in present)
    con.register("_incoming", arrow)
    try:
        con.execute("CREATE OR REPLACE TEMP VIEW _stage AS SELECT * FROM _incoming")
        stored = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        if stored == 0:
            con.execute(f"INSERT INTO {table} ({names}, _import_id, _first_import_id, _row) "
                        f"SELECT {names}, ?, ?, _row FROM _stage", [import_id, import_id])
            return n_rows, n_rows, 0, 0
        keys = [c for c in present if c.name in spec.key]
        values = [c for c in present if c.name not in spec.key]
        on = " AND ".join(f"m.{quote(c.name)} = s.{quote(c.name)}" for c in keys)
        differ = " OR ".join(f"m.{quote(c.name)} IS DISTINCT FROM s.{quote(c.name)}" for c in values) or "FALSE"
        matched = con.execute(f"SELECT count(*) FROM _stage s JOIN {table} m ON {on}").fetchall()[0][0]
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _changed AS SELECT s.*, m._import_id AS _previous, "
            f"{_struct('s', keys)} AS _key, {_struct('m', values)} AS _old, {_struct('s', values)} AS _new "
            f"FROM _stage s JOIN {table} m ON {on} WHERE {differ}"
        )
        replaced = con.execute("SELECT count(*) FROM _changed").fetchall()[0][0]
        if replaced:
            con.execute("INSERT INTO replaced_rows SELECT ?, ?, _key, _old, _new, _previous "
                        "FROM _changed ORDER BY _row", [import_id, spec.name])
            sets = ", ".join(f"{quote(c.name)} = s.{quote(c.name)}" for c in values)
            con.execute(f"UPDATE {table} AS m SET {sets}, _import_id = ? FROM _changed AS s WHERE {on}",
                        [import_id])
        con.execute("DROP TABLE _changed")
        inserted = n_rows - matched
        if inserted:
            con.execute(f"INSERT INTO {table} ({names}, _import_id, _first_import_id, _row) "
                        f"SELECT {names}, ?, ?, _row FROM _stage s "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {table} m WHERE {on}) ORDER BY _row",
                        [import_id, import_id])  # file order (load_store reads in insertion order)
        return n_rows, inserted, replaced, matched - replaced
    finally:
        con.execute("DROP VIEW IF EXISTS _stage")
        con.unregister("_incoming")


def _meta(con) -> dict[str, str]:
    return dict(con.execute("SELECT key, value FROM store_meta").fetchall())


def _set_meta(con, key: str, value: str) -> None:
    con.execute("DELETE FROM store_meta WHERE key = ?", [key])
    con.execute("INSERT INTO store_meta VALUES (?, ?)", [key, value])


def _write(con, name: str, schema: Schema, tables: dict[str, pd.DataFrame], key: bytes | None,
           pseudonymised: int, files: dict[str, tuple[str, str]], source: str, user: str,
           now: _dt.datetime) -> tuple[int | None, list[TableImport]]:
    from fip import __version__

    instrument = schema.instrument
    migrate(con, name, in_transaction=True)
    meta = _meta(con)
    signature = instrument_signature(instrument)
    if "instrument" not in meta:
        create_data_tables(con, schema)
        _set_meta(con, "instrument", signature)
    elif meta["instrument"] != signature:
        held = json.loads(meta["instrument"])
        raise FipError(f"{name}: the store holds forms of instrument {held['id']} ({held['version']}); "
                       f"this dataset follows {instrument.id} ({instrument.version}); "
                       f"use another store or the same instrument")
    if pseudonymised:
        fingerprint = key_fingerprint(key)  # type: ignore[arg-type]
        if meta.get("key_fingerprint", fingerprint) != fingerprint:
            raise FipError(f"{name}: the pseudonym key differs from the key of earlier imports; the same "
                           f"person would get another pseudonym. Use the store's key (or a new store)")
        _set_meta(con, "key_fingerprint", fingerprint)
    import_id = int(con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchall()[0][0])
    results = []
    for t in TABLES:
        spec = schema.table(t)
        optional = [c.name for c in spec.columns if c.optional and c.name in tables[t].columns]
        rows, inserted, replaced, unchanged = _merge(con, spec, tables, import_id)
        file, sha = files.get(t, (t, ""))
        results.append(TableImport(t, file, sha, rows, inserted, replaced, unchanged))
        seen = json.loads(meta.get(f"optional_columns.{t}", "[]"))
        if set(optional) - set(seen):
            _set_meta(con, f"optional_columns.{t}", json.dumps(sorted(set(seen) | set(optional))))
    if not any(r.inserted or r.replaced for r in results):
        return None, results
    con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?)",
                [import_id, now, user, source, f"{instrument.id} {instrument.version}", pseudonymised, __version__])
    for r in results:
        con.execute("INSERT INTO import_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [import_id, r.table, r.file, r.sha256, r.rows, r.inserted, r.replaced, r.unchanged])
    return import_id, results


def import_dataset(
    folder: str | Path,
    store: str | Path = DEFAULT_STORE,
    *,
    instrument: Instrument | None = None,
    key: bytes | None = None,
    key_file: str | Path | None = None,
    user: str | None = None,
    today: Today = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> ImportReport:
    """Validate the dataset in ``folder`` and merge it into the store in one transaction.

    Parameters
    ----------
    folder : str or Path
        A FIP dataset folder (persons, forms, outcomes; any supported format).
    store : str or Path
        Store file (DuckDB), created if absent. Default ``./fip.duckdb``.
    instrument : Instrument, optional
        Questionnaire of the forms (default: the FIP instrument). A store holds one instrument.
    key, key_file : optional
        Pseudonym key (bytes) or a file holding it; default ``$FIP_PSEUDONYM_KEY``. Needed
        only if ids are CPR-like; never stored.
    user : str, optional
        Name recorded in the import log (default: the login name).
    today : date, optional
        Dates after this day are invalid (default: today), as in ``load_dataset``.
    timeout : float
        Seconds to wait while another process holds the store.

    Returns
    -------
    ImportReport

    Raises
    ------
    InvalidDataError
        Every problem of the dataset (validation, CPR numbers, formula-like text); nothing
        is written, the store file is not even created.
    StoreBusyError
        If another process held the store for ``timeout`` seconds.
    FipError
        If the store is not a fip store, holds another instrument, or was pseudonymised with
        another key (nothing is written).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fip.data import write_dataset
    >>> from fip.simulate import simulate_cohort
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> folder = write_dataset(simulate_cohort(30, seed=1), tmp / "q1")
    >>> report = import_dataset(folder, tmp / "fip.duckdb", user="analyst")
    >>> report.import_id, report.tables[0].inserted
    (1, 30)
    >>> import_dataset(folder, tmp / "fip.duckdb", user="analyst").changed
    False
    """
    folder = Path(folder)
    store = Path(store)
    name = store_name(store)
    schema = load_schema(instrument if instrument is not None else load_instrument())
    paths = _table_files(folder)
    hashes = {t: _sha256(p) for t, p in paths.items()}
    dataset = load_dataset(folder, schema.instrument, today=today)
    resolved = resolve_key(key, key_file)
    screened = screen_dataset(dataset, schema, resolved, paths)
    del dataset
    tables = dict(screened.tables)  # the only reference from here: _merge frees each table
    pseudonymised = screened.pseudonymised
    del screened
    files = {t: (mask_personal(paths[t].name), hashes[t]) for t in paths}
    source = mask_personal(folder.resolve().name or str(folder))
    who = _user(user)
    now = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None, microsecond=0)

    with open_store(store, read_only=False, timeout=timeout) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            import_id, results = _write(con, name, schema, tables, resolved,
                                        pseudonymised, files, source, who, now)
            con.execute("COMMIT" if import_id is not None else "ROLLBACK")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return ImportReport(store=store, import_id=import_id, source=source, user=who,
                        imported_at=now.isoformat() + "Z", tables=tuple(results),
                        pseudonymised=pseudonymised)


def migrate_store(store: str | Path = DEFAULT_STORE, *, timeout: float = DEFAULT_TIMEOUT) -> int:
    """Create or upgrade the store's bookkeeping tables; return the schema version.

    Imports do this themselves; call it to upgrade a store that is only read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> migrate_store(pathlib.Path(tempfile.mkdtemp()) / "s.duckdb")
    1
    """
    store = Path(store)
    with open_store(store, read_only=False, timeout=timeout) as con:
        return migrate(con, store_name(store))
