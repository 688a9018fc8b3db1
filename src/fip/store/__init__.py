"""fip.store: an embedded DuckDB store of FIP datasets, with safe import and pseudonyms.

Quarterly exports are imported into one DuckDB file (default ``./fip.duckdb``): each import
is validated like ``fip validate``, screened for CPR numbers and formula-like text, and
merged in one transaction (idempotent; corrected rows replace earlier ones and the log
keeps the old values). :func:`load_store` gives back the normalised
:class:`~fip.data.Dataset`, so every analysis can read the store in place of a folder.
Details: docs/store.md.

Examples
--------
>>> import tempfile, pathlib
>>> from fip.data import write_dataset
>>> from fip.simulate import simulate_cohort
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> folder = write_dataset(simulate_cohort(40, seed=3), tmp / "2024q1")
>>> report = import_dataset(folder, tmp / "fip.duckdb", user="analyst")
>>> [(t.table, t.inserted) for t in report.tables][:1]
[('persons', 40)]
>>> len(load_store(tmp / "fip.duckdb").persons)
40
"""

from fip.store.connection import DEFAULT_STORE, DEFAULT_TIMEOUT, StoreBusyError
from fip.formulas import neutralise_formulas
from fip.store.export import EXPORT_FORMATS, export_store
from fip.store.importer import ImportReport, TableImport, import_dataset, migrate_store
from fip.store.pseudonymise import KEY_ENV, pseudonym, resolve_key
from fip.store.reader import import_log, load_store, replaced_rows
from fip.store.schema import SCHEMA_VERSION

__all__ = [
    "DEFAULT_STORE",
    "DEFAULT_TIMEOUT",
    "EXPORT_FORMATS",
    "ImportReport",
    "KEY_ENV",
    "SCHEMA_VERSION",
    "StoreBusyError",
    "TableImport",
    "export_store",
    "import_dataset",
    "import_log",
    "load_store",
    "migrate_store",
    "neutralise_formulas",
    "pseudonym",
    "replaced_rows",
    "resolve_key",
]
