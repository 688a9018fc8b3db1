"""fip.data: read, validate, normalise, pair and write FIP datasets.

A FIP dataset is a folder with three tables, ``persons``, ``forms`` and ``outcomes``
(``configs/schema.yaml``; CSV, Parquet, Excel, Stata or SPSS files).

Examples
--------
>>> from fip.data import TABLES, load_dataset, pair_forms, validate_dataset
>>> TABLES
('persons', 'forms', 'outcomes')
>>> validate_dataset("no/such/folder")[0].expected
'a folder holding the tables persons, forms and outcomes (no such folder)'

Typical use: ``problems = validate_dataset(folder)``; ``dataset = load_dataset(folder)``;
``pairing = pair_forms(dataset)``; ``write_dataset(dataset, out, format="parquet")``.
"""

from fip.data.dataset import TABLES, Dataset
from fip.data.pairing import Pairing, pair_forms
from fip.data.readers import read_table
from fip.data.validate import dataset_from_frames, load_dataset, validate_dataset
from fip.data.writers import write_dataset

__all__ = [
    "TABLES",
    "Dataset",
    "Pairing",
    "dataset_from_frames",
    "load_dataset",
    "pair_forms",
    "read_table",
    "validate_dataset",
    "write_dataset",
]
