"""The in-memory FIP dataset: three normalised tables and the instrument they follow."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from fip.instrument import Instrument

__all__ = ["DATE_DTYPE", "Dataset", "INTEGER_DTYPE", "MONTH_DTYPE", "TABLES", "TEXT_DTYPE", "iso_date"]

#: The tables of a FIP dataset, in the order they are read and validated.
TABLES: tuple[str, ...] = ("persons", "forms", "outcomes")

#: dtypes of the normalised columns (what :func:`fip.data.load_dataset` returns): ids, codes
#: and text use pandas' default string dtype, dates are midnight timestamps in microseconds
#: (pandas 3's default resolution), months are monthly periods, items and whole numbers are
#: nullable integers. ``employment_rate`` is float64 and the outcome flags are numpy bool.
TEXT_DTYPE = "str"
DATE_DTYPE = "datetime64[us]"
MONTH_DTYPE = "period[M]"
INTEGER_DTYPE = "Int64"


def iso_date(value: object, name: str) -> str:
    """``value`` as an ISO date (``"2018-12-31"``); ``ValueError`` naming ``name`` otherwise.

    Examples
    --------
    >>> iso_date("2018-12-31", "until")
    '2018-12-31'
    """
    try:
        return pd.Timestamp(value).date().isoformat()
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a date like 2018-12-31; got {value!r}") from None


@dataclass(frozen=True)
class Dataset:
    """A FIP dataset after loading and validation (or fresh from :mod:`fip.simulate`).

    Attributes
    ----------
    persons : DataFrame
        One row per citizen: ``person_id`` (str), ``municipality`` (str), ``gender``
        (``"female"``/``"male"``), ``birth_year`` (Int64), ``origin`` (str), ``education``
        (``primary``/``beyond_primary``/``none``/``unknown``), ``work_experience``
        (``yes``/``no``/``unknown``), ``arrival_date`` (datetime64), optionally
        ``residence_ground``.
    forms : DataFrame
        One row per form: ``person_id``, ``caseworker_id``, ``respondent`` (an instrument
        respondent id), ``answered_on`` (datetime64), ``language``, optionally
        ``visitation`` (``job_ready``/``activity_ready``/``unknown``), then one Int64 column
        per instrument item (missing where the item belongs to another respondent or was
        not answered).
    outcomes : DataFrame
        Monthly panel: ``person_id``, ``month`` (``period[M]``), ``employment_rate``
        (float in [0, 1]), ``ordinary_employment`` (bool), ``education`` (bool).
    instrument : Instrument
        The questionnaire the forms follow.
    source : Path or None
        Folder the dataset was read from (``None`` when simulated).
    """

    persons: pd.DataFrame
    forms: pd.DataFrame
    outcomes: pd.DataFrame
    instrument: Instrument
    source: Path | None = None

    def forms_between(self, first: str | None = None, last: str | None = None) -> Dataset:
        """The dataset with only the forms answered from ``first`` to ``last`` (ISO dates, inclusive).

        The study's regressions used only measurements made in 2017 and 2018:
        ``dataset.forms_between(last="2018-12-31")``. Persons and outcomes are kept whole.

        Examples
        --------
        >>> from fip.simulate import simulate_cohort
        >>> ds = simulate_cohort(200, seed=1)
        >>> int(ds.forms_between(last="2018-12-31").forms["answered_on"].max().year)
        2018
        """
        keep = pd.Series(True, index=self.forms.index)
        if first is not None:
            keep &= self.forms["answered_on"] >= pd.Timestamp(iso_date(first, "first"))
        if last is not None:
            keep &= self.forms["answered_on"] <= pd.Timestamp(iso_date(last, "last"))
        return replace(self, forms=self.forms[keep].reset_index(drop=True))

    def table(self, name: str) -> pd.DataFrame:
        """One of the tables by name (``persons``, ``forms`` or ``outcomes``)."""
        if name not in TABLES:
            raise ValueError(f"table must be one of {TABLES}; got {name!r}")
        return getattr(self, name)
