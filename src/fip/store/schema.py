"""The store's tables: versioned bookkeeping tables (migrations) and the three data tables.

Bookkeeping tables, created and upgraded by :func:`migrate` and recorded in
``schema_version``:

``schema_version``   one row per applied migration: ``version``, ``applied_at`` (UTC),
                     ``fip_version``.
``store_meta``       ``key`` -> ``value`` (JSON text): the instrument the forms follow, the
                     fingerprint of the pseudonym key, optional columns seen per table.
``imports``          one row per import that changed the store: ``import_id``,
                     ``imported_at`` (UTC), ``user_name``, ``source`` (folder name),
                     ``instrument``, ``pseudonymised`` (distinct ids hashed), ``fip_version``.
``import_files``     one row per table file of an import: ``file_name``, ``sha256``,
                     ``n_rows``, ``inserted``, ``replaced``, ``unchanged``.
``replaced_rows``    one row per row an import replaced: ``table_name``, ``row_key``,
                     ``old_values`` and ``new_values`` (JSON), ``previous_import_id``.

Data tables ``persons``, ``forms`` and ``outcomes`` follow ``configs/schema.yaml`` and the
instrument (one BIGINT column per item); they are created by the first import. Each data
row also carries ``_import_id`` (last import that wrote it), ``_first_import_id`` and
``_row`` (position in that import's file), which give the order :func:`fip.store.load_store`
returns. No primary-key indexes: keys are enforced by the importer (validated input,
anti-join on insert), and DuckDB's ART indexes would cost memory on 10^7-row tables.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from dataclasses import dataclass

from fip.data.schema import ColumnSpec, Schema, TableSpec
from fip.errors import FipError
from fip.instrument import Instrument

__all__ = [
    "BOOKKEEPING",
    "MIGRATIONS",
    "add_missing_columns",
    "Migration",
    "SCHEMA_VERSION",
    "create_data_tables",
    "instrument_signature",
    "migrate",
    "quote",
    "schema_version",
    "sql_type",
]

#: Columns every data row carries besides the dataset columns.
BOOKKEEPING: tuple[str, ...] = ("_import_id", "_first_import_id", "_row")

_SQL_TYPES = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "code": "VARCHAR",
    "integer": "BIGINT",
    "score": "BIGINT",
    "proportion": "DOUBLE",
    "date": "DATE",
    "month": "DATE",  # first day of the month
    "bool": "BOOLEAN",
}


def quote(name: str) -> str:
    """SQL identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def sql_type(spec: ColumnSpec) -> str:
    """DuckDB type of a dataset column (``month`` is stored as the month's first day)."""
    return _SQL_TYPES[spec.type]


@dataclass(frozen=True)
class Migration:
    """One step of the bookkeeping schema: ``apply(con)`` runs inside the migrating transaction."""

    version: int
    description: str
    apply: Callable[[object], None]


def _v1(con) -> None:
    con.execute("CREATE TABLE store_meta (key VARCHAR NOT NULL, value VARCHAR NOT NULL)")
    con.execute(
        "CREATE TABLE imports (import_id INTEGER NOT NULL, imported_at TIMESTAMP NOT NULL, "
        "user_name VARCHAR NOT NULL, source VARCHAR NOT NULL, instrument VARCHAR NOT NULL, "
        "pseudonymised BIGINT NOT NULL, fip_version VARCHAR NOT NULL)"
    )
    con.execute(
        "CREATE TABLE import_files (import_id INTEGER NOT NULL, table_name VARCHAR NOT NULL, "
        "file_name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, n_rows BIGINT NOT NULL, "
        "inserted BIGINT NOT NULL, replaced BIGINT NOT NULL, unchanged BIGINT NOT NULL)"
    )
    con.execute(
        "CREATE TABLE replaced_rows (import_id INTEGER NOT NULL, table_name VARCHAR NOT NULL, "
        "row_key VARCHAR NOT NULL, old_values VARCHAR NOT NULL, new_values VARCHAR NOT NULL, "
        "previous_import_id INTEGER NOT NULL)"
    )


#: Migrations in order; a store records each one it has applied in ``schema_version``.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "bookkeeping tables: store_meta, imports, import_files, replaced_rows", _v1),
)
#: Schema version this fip writes (the last migration's).
SCHEMA_VERSION: int = MIGRATIONS[-1].version


def _tables(con) -> set[str]:
    rows = con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
    return {r[0] for r in rows}


def schema_version(con, store: str = "store") -> int:
    """Schema version of an open store (0 for an empty DuckDB file).

    Raises
    ------
    FipError
        If the file holds tables but no ``schema_version`` table (not a fip store).
    """
    tables = _tables(con)
    if "schema_version" not in tables:
        if tables:
            raise FipError(f"{store}: this DuckDB file is not a fip store (it has tables "
                           f"but no schema_version table); choose another path")
        return 0
    return int(con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0])


def migrate(con, store: str = "store", migrations: tuple[Migration, ...] | None = None, *,
            in_transaction: bool = False) -> int:
    """Create or upgrade the bookkeeping tables of an open (writable) store; return its version.

    All pending migrations run in one transaction: a store is at one version or the next,
    never in between. With ``in_transaction=True`` they run in the caller's open transaction
    (an import creates a new store and fills it in one transaction).

    Raises
    ------
    FipError
        If the store was made by a newer fip (higher version than this fip knows) or is not
        a fip store.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> migrate(con), migrate(con)
    (1, 1)
    """
    from fip import __version__

    steps = MIGRATIONS if migrations is None else migrations
    latest = steps[-1].version
    current = schema_version(con, store)
    if current > latest:
        raise FipError(f"{store}: the store has schema version {current}, made by a newer fip "
                       f"(this fip knows up to {latest}); upgrade fip to use it")
    pending = [m for m in steps if m.version > current]
    if not pending:
        return current
    if not in_transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        if current == 0:
            con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, "
                        "applied_at TIMESTAMP NOT NULL, fip_version VARCHAR NOT NULL)")
        now = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
        for m in pending:
            m.apply(con)
            con.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [m.version, now, __version__])
        if not in_transaction:
            con.execute("COMMIT")
    except BaseException:
        if not in_transaction:
            con.execute("ROLLBACK")
        raise
    return pending[-1].version


def instrument_signature(instrument: Instrument) -> str:
    """JSON text identifying the instrument a store's forms follow (id, version, items, scale).

    Examples
    --------
    >>> from fip.instrument import load_instrument
    >>> json.loads(instrument_signature(load_instrument()))["items"][:2]
    ['c01', 'c02']
    """
    return json.dumps(
        {
            "id": instrument.id,
            "version": instrument.version,
            "respondents": list(instrument.respondent_ids),
            "items": list(instrument.item_ids()),
            "scale": [instrument.scale.min, instrument.scale.max],
        },
        sort_keys=True,
    )


def _create_table(con, spec: TableSpec) -> None:
    cols = [f"{quote(c.name)} {sql_type(c)}" + (" NOT NULL" if c.required else "") for c in spec.columns]
    cols += ["_import_id INTEGER NOT NULL", "_first_import_id INTEGER NOT NULL", "_row BIGINT NOT NULL"]
    con.execute(f"CREATE TABLE {quote(spec.name)} ({', '.join(cols)})")


def add_missing_columns(con, schema: Schema) -> list[str]:
    """Add the optional columns of ``schema`` that an existing data table lacks (nullable).

    A store made before an optional column joined ``configs/schema.yaml`` (e.g. the forms'
    ``caseworker_assessment``) takes it on its next import; rows already stored read it as
    empty. Runs inside the caller's transaction; returns the added ``table.column`` names.
    """
    added = []
    tables = _tables(con)
    for spec in schema.tables.values():
        if spec.name not in tables:
            continue
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [spec.name]).fetchall()}
        for c in spec.columns:
            if c.name not in have and c.optional:
                con.execute(f"ALTER TABLE {quote(spec.name)} ADD COLUMN {quote(c.name)} {sql_type(c)}")
                added.append(f"{spec.name}.{c.name}")
    return added


def create_data_tables(con, schema: Schema) -> None:
    """Create ``persons``, ``forms`` and ``outcomes`` for ``schema`` (inside the caller's transaction)."""
    for spec in schema.tables.values():
        _create_table(con, spec)
