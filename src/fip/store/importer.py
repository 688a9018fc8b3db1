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

**Delta imports**: into a store that already holds persons, a folder may leave out the
persons file (``forms`` and ``outcomes`` with the quarter's new rows); a form or outcome of
a person already in the store needs no row in ``persons``. A person neither in the store nor
in the folder's ``persons`` is still an error naming file, row and column.

**Faults**: a DuckDB error (damaged file, full disk) rolls the transaction back and raises
one :class:`~fip.store.connection.StoreError` line. A new store is built in a temporary
sibling file and given its name only once complete (``0o600``: it holds person-level data),
so a failed or killed first import leaves no store file behind; its leftovers are removed
by the next import.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fip._atomic import clean_leftovers, leftover_name, publish_new
from fip.data import TABLES, load_dataset
from fip.data.readers import find_table_files
from fip.data.schema import ColumnSpec, Schema, TableSpec, load_schema
from fip.data.validate import KnownPersons, Today
from fip.data.writers import table_to_arrow
from fip.errors import FipError, InvalidDataError, Problem, mask_personal
from fip.instrument import Instrument, load_instrument
from fip.store.connection import DEFAULT_STORE, DEFAULT_TIMEOUT, StoreError, open_store, store_error, store_name
from fip.store.pseudonymise import is_cpr, key_fingerprint, pseudonymise, resolve_key
from fip.store.schema import add_missing_columns, create_data_tables, instrument_signature, migrate, quote, schema_version
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
        One per table file imported, in the order persons, forms, outcomes (a delta import
        may leave out persons).
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
    finally:  # quietly: after a DuckDB error the transaction is aborted, and that error must show
        _quietly(con, lambda: con.execute("DROP VIEW IF EXISTS _stage"))
        _quietly(con, lambda: con.unregister("_incoming"))


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
    elif meta["instrument"] == signature:
        add_missing_columns(con, schema)   # optional columns newer than the store
    else:
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
        if t not in files:  # a delta import without a persons file
            continue
        spec = schema.table(t)
        optional = [c.name for c in spec.columns if c.optional and c.name in tables[t].columns]
        rows, inserted, replaced, unchanged = _merge(con, spec, tables, import_id)
        file, sha = files[t]
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
    clean_leftovers(store)  # of imports killed while building a new store
    paths = _table_files(folder)
    hashes = {t: _sha256(p) for t, p in paths.items()}
    resolved = resolve_key(key, key_file)
    stored = _stored_persons(store, name, timeout)
    known = None if stored is None else _known_persons(stored, resolved, name)
    dataset = load_dataset(folder, schema.instrument, today=today, known_persons=known,
                           optional_tables=("persons",) if known is not None else ())
    screened = screen_dataset(dataset, schema, resolved, paths)
    del dataset
    tables = dict(screened.tables)  # the only reference from here: _merge frees each table
    pseudonymised = screened.pseudonymised + _pseudonymise_delta(tables, resolved, paths)
    del screened
    files = {t: (mask_personal(paths[t].name), hashes[t]) for t in paths}
    source = mask_personal(folder.resolve().name or str(folder))
    who = _user(user)
    now = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    work = (schema, tables, resolved, pseudonymised, files, source, who, now)

    if store.exists():
        with open_store(store, read_only=False, timeout=timeout) as con:
            import_id, results = _transaction(con, name, work, "the store is unchanged")
    else:
        try:
            import_id, results = _new_store(store, name, work)
        except FileExistsError:  # another import created the store meanwhile: merge into it
            return import_dataset(folder, store, instrument=schema.instrument, key=resolved, user=user,
                                  today=today, timeout=timeout)
    return ImportReport(store=store, import_id=import_id, source=source, user=who,
                        imported_at=now.isoformat() + "Z", tables=tuple(results),
                        pseudonymised=pseudonymised)


def _stored_persons(store: Path, name: str, timeout: float):
    """The person ids in the store (an Arrow array), or None without a store or persons."""
    if not store.is_file():
        return None
    with open_store(store, read_only=True, timeout=timeout) as con:
        if schema_version(con, name) == 0 or "persons" not in {r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_tables()").fetchall()}:
            return None
        return con.sql("SELECT person_id FROM persons").to_arrow_table().column(0).combine_chunks()


def _known_persons(stored, key: bytes | None, name: str) -> KnownPersons:
    """Persons of the store, for validation: ids are compared as they would be stored
    (CPR-like ones pseudonymised with ``key``; without a key they pass here and
    :func:`_pseudonymise_delta` refuses them, naming the missing key)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def contains(ids: pd.Series) -> np.ndarray:
        if key is None:  # CPR-like ids cannot be matched: refused after screening, asking for the key
            cpr = is_cpr(ids)
        else:
            ids, cpr = pseudonymise(ids, key)[0], np.zeros(len(ids), dtype=bool)
        found = pc.is_in(pa.array(pd.Series(ids, dtype="str").array), value_set=stored)
        return found.to_numpy(zero_copy_only=False).astype(bool) | cpr

    return KnownPersons(contains, f"the store {name}")


def _pseudonymise_delta(tables: dict[str, pd.DataFrame], key: bytes | None, paths: dict[str, Path]) -> int:
    """CPR-like person ids of forms and outcomes that the screen left (persons already in the
    store, not in the folder's persons table): pseudonymised with ``key``, refused without."""
    problems, total = [], 0
    for t in TABLES[1:]:
        frame = tables[t]
        if "person_id" not in frame.columns or not len(frame):
            continue
        hit = is_cpr(frame["person_id"])
        if not hit.any():
            continue
        if key is None:
            file = paths[t].name if t in paths else t
            problems.append(Problem(mask_personal(file), None, "person_id", None,
                                    f"pseudonymous ids; {int(hit.sum()):,} rows hold CPR-like ids of persons "
                                    "not in the persons table (give the pseudonym key: --key-file or "
                                    "$FIP_PSEUDONYM_KEY)"))
            continue
        new, n = pseudonymise(frame["person_id"], key)
        tables[t] = frame.assign(person_id=new)
        total += n
    if problems:
        raise InvalidDataError(problems)
    return total


def _quietly(con, step) -> None:
    """Run a clean-up ``step``, ignoring DuckDB errors (the error that led here is the one to show)."""
    import duckdb

    try:
        step()
    except duckdb.Error:
        pass


def _rollback(con) -> None:
    """Roll back, quietly: after a DuckDB error there may be no transaction left to end."""
    _quietly(con, lambda: con.execute("ROLLBACK"))


def _transaction(con, name: str, work: tuple, outcome: str) -> tuple[int | None, list[TableImport]]:
    """Run the merge in one transaction; a DuckDB error rolls it back and becomes one line."""
    import duckdb

    con.execute("BEGIN TRANSACTION")
    try:
        import_id, results = _write(con, name, *work)
        con.execute("COMMIT" if import_id is not None else "ROLLBACK")
    except duckdb.Error as exc:
        _rollback(con)
        raise store_error(name, exc, outcome=outcome) from None
    except BaseException:
        _rollback(con)
        raise
    return import_id, results


def _new_store(store: Path, name: str, work: tuple) -> tuple[int | None, list[TableImport]]:
    """Build a new store in a temporary sibling and give it the store's name once complete.

    Raises
    ------
    FileExistsError
        Another process created the store meanwhile (nothing of this import is in it).
    """
    if not store.parent.is_dir():
        raise FipError(f"{name}: the folder {store_name(store.parent)} does not exist")
    tmp = leftover_name(store)
    side = [tmp, tmp.with_name(tmp.name + ".wal")]
    outcome = "no store was created"
    try:
        with open_store(tmp, read_only=False, timeout=0) as con:
            import_id, results = _transaction(con, name, work, outcome)
            if import_id is None:
                return None, results
            con.execute("CHECKPOINT")  # everything into the store file: the WAL stays behind
        if side[1].exists() and side[1].stat().st_size:
            raise StoreError(f"{name}: the new store could not be completed (its write-ahead log was not "
                             f"written back); {outcome}", "other")
        tmp.chmod(0o600)
        publish_new(tmp, store)
    except StoreError as exc:
        text = str(exc).replace(store_name(tmp), name)
        raise StoreError(text if outcome in text else f"{text}; {outcome}", exc.reason) from None
    finally:
        for path in side:
            path.unlink(missing_ok=True)
        shutil.rmtree(tmp.with_name(tmp.name + ".tmp"), ignore_errors=True)  # DuckDB's spill folder
    return import_id, results


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
