"""Write a Dataset as Stata ``.dta`` or SPSS ``.sav`` files (a FIP dataset folder that
:func:`fip.data.load_dataset` reads back).

Column types map as follows: ids, text and codes as strings (missing as the empty string,
which the loader reads as missing); whole numbers and scores as doubles with system
missing (Stata ``.``, SPSS sysmis), so a missing answer stays missing; proportions as
doubles; dates as Stata ``%td`` / SPSS ``DATE`` dates; months as ``yyyy-mm`` text; flags as
0/1. Item columns carry the instrument's English item text as variable label (cut to 80
characters, Stata's limit). Written into a staging folder that replaces the target in one
step (:func:`fip.data.writers.dataset_folder`).

Examples
--------
>>> import tempfile, pathlib
>>> from fip.data import load_dataset
>>> from fip.simulate import simulate_cohort
>>> ds = simulate_cohort(20, seed=1)
>>> out = write_stats_dataset(ds, pathlib.Path(tempfile.mkdtemp()) / "d", "dta")
>>> back = load_dataset(out)
>>> back.forms["c01"].equals(ds.forms["c01"]), len(back.outcomes) == len(ds.outcomes)
(True, True)
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from fip._options import check_option
from fip.data.dataset import TABLES, Dataset
from fip.data.schema import TableSpec, load_schema
from fip.data.writers import check_dataset_target, dataset_folder

__all__ = ["STATS_FORMATS", "stats_frame", "write_stats_dataset"]

#: Formats :func:`write_stats_dataset` writes.
STATS_FORMATS: tuple[str, ...] = ("dta", "sav")


def stats_frame(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """The table with columns typed for Stata and SPSS (see the module notes), schema order."""
    out = {}
    for c in spec.columns:
        if c.name not in frame.columns:
            continue
        col = frame[c.name].reset_index(drop=True)
        if c.type in ("id", "text", "code"):
            out[c.name] = col.astype(object).where(col.notna(), "").astype(str)
        elif c.type in ("integer", "score", "proportion"):
            out[c.name] = pd.to_numeric(col).astype("float64")
        elif c.type == "bool":
            out[c.name] = pd.array(col, dtype="boolean").astype("Float64").astype("float64")
        elif c.type == "date":
            out[c.name] = pd.to_datetime(col).astype("datetime64[ns]")
        elif c.type == "month":
            period = col if isinstance(col.dtype, pd.PeriodDtype) else col.astype("period[M]")
            out[c.name] = period.astype(str).where(period.notna(), "")
        else:  # pragma: no cover - every schema type is handled above
            raise AssertionError(c.type)
    return pd.DataFrame(out)


def _labels(dataset: Dataset, columns) -> dict[str, str]:
    inst = dataset.instrument
    ids = set(inst.item_ids())
    labels = {}
    for name in columns:
        if name in ids:
            text = inst.item(name).text
            labels[name] = str(text.get("en") or next(iter(text.values())))[:80]
    return labels


def write_stats_dataset(dataset: Dataset, folder: str | Path, format: str = "dta", *,  # noqa: A002
                        private: bool = True) -> Path:
    """Write ``persons``, ``forms`` and ``outcomes`` to ``folder`` as ``.dta`` or ``.sav``.

    Parameters
    ----------
    dataset : Dataset
    folder : str or Path
        New, empty, or an existing FIP dataset (as :func:`fip.data.write_dataset`).
    format : {"dta", "sav"}
    private : bool
        Create the files ``0o600`` (person-level data; the default).

    Returns
    -------
    Path
        The folder written.
    """
    fmt = check_option("format", format, STATS_FORMATS)
    check_dataset_target(folder)
    schema = load_schema(dataset.instrument)
    frames = {t: stats_frame(dataset.table(t), schema.table(t)) for t in TABLES}
    with dataset_folder(folder) as staging:
        for t, frame in frames.items():
            path = staging / f"{t}.{fmt}"
            labels = _labels(dataset, frame.columns)
            dates = [c.name for c in schema.table(t).columns if c.type == "date" and c.name in frame.columns]
            if fmt == "dta":
                frame.to_stata(path, write_index=False, version=118, convert_dates={d: "td" for d in dates},
                               variable_labels=labels)
            else:
                import pyreadstat

                pyreadstat.write_sav(frame, str(path), column_labels={k: labels.get(k) for k in frame.columns},
                                     variable_format={d: "DATE11" for d in dates})
            if private:
                os.chmod(path, 0o600)
    return Path(folder)
