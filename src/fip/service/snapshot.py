"""Every municipality's data as one Study for the manager pages, refreshed by appending.

The manager's page and status note need the whole service's data (a note sets a municipality
beside all municipalities): for 12,000 persons reading it from the database takes most of a
second (:func:`fip.service.data.service_dataset`). Caseworkers keep adding forms, so a
snapshot keyed by the data's version would be rebuilt from scratch after every saved form.
Instead the snapshot of this process is brought up to date by reading only the rows added
since it was taken: persons, forms and outcome months are only ever added by the service
(imports and saved forms insert; nothing deletes them), so the rows with an id above the
snapshot's highest id, appended, give the frames a full read gives (tested). Each table's
``(count, highest id)`` is checked: when the count is not the old count plus the rows read,
something was deleted and the snapshot is read in full.

The caseworkers' own assessments of the chance (the only fields the service edits) are not
in the snapshot: the manager pages do not show them.

Examples
--------
>>> from fip.service.snapshot import current  # doctest: +SKIP
>>> version, study = current()  # doctest: +SKIP
>>> study.measurements.groupby("round").size()  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pandas as pd
from django.db.models import Count, Max

from fip.data import Dataset
from fip.service import data as stored
from fip.service.models import Form, Outcome, Person
from fip.study import Study

__all__ = ["Marks", "current", "forget", "marks"]


@dataclass(frozen=True)
class Marks:
    """``(count, highest id)`` of persons, forms and outcome months: the data's version."""

    persons: tuple[int, int]
    forms: tuple[int, int]
    outcomes: tuple[int, int]


def _mark(model) -> tuple[int, int]:
    row = model.objects.aggregate(n=Count("id"), last=Max("id"))
    return row["n"], row["last"] or 0


def marks() -> Marks:
    """The current :class:`Marks` (three aggregate queries)."""
    return Marks(**{name: _mark(model) for name, model, _, _ in _TABLES})


@dataclass(frozen=True)
class _Snapshot:
    marks: Marks
    persons: pd.DataFrame
    forms: pd.DataFrame
    outcomes: pd.DataFrame
    study: Study


_lock = threading.Lock()
_snapshot: _Snapshot | None = None


def _study(persons: pd.DataFrame, forms: pd.DataFrame, outcomes: pd.DataFrame) -> Study:
    return Study(Dataset(persons=persons, forms=forms, outcomes=outcomes, instrument=stored.instrument(),
                         source=None))


#: The snapshot's tables: name (a field of Marks and of _Snapshot), model, reader (stored values)
#: and typer (the dataset's dtypes). Forms without the assessments: the manager pages do not show them.
_TABLES = (("persons", Person, stored.stored_persons, stored.typed_persons),
           ("forms", Form, lambda qs: stored.stored_forms(qs, assessments=False), stored.typed_forms),
           ("outcomes", Outcome, stored.stored_outcomes, stored.typed_outcomes))


def _snapshot_of(now: Marks, parts: dict[str, pd.DataFrame]) -> _Snapshot:
    return _Snapshot(now, **parts, study=_study(**parts))


def _read_all(now: Marks) -> _Snapshot:
    # rows with an id up to the marks: a row added while reading waits for the next refresh
    return _snapshot_of(now, {name: typed(read(model.objects.filter(id__lte=getattr(now, name)[1])))
                              for name, model, read, typed in _TABLES})


def _added(old: _Snapshot, now: Marks) -> _Snapshot | None:
    """``old`` with the rows added since, or None when rows were deleted (read in full)."""
    parts = {}
    for name, model, read, typed in _TABLES:
        (n_old, last_old), (n_now, last_now) = getattr(old.marks, name), getattr(now, name)
        frame = getattr(old, name)
        if (n_now, last_now) != (n_old, last_old):
            new = read(model.objects.filter(id__gt=last_old, id__lte=last_now))
            if n_old + len(new) != n_now:
                return None
            frame = pd.concat([frame, typed(new)], ignore_index=True)
        parts[name] = frame
    return _snapshot_of(now, parts)


def forget() -> None:
    """Drop this process's snapshot (tests: a rolled-back transaction can reuse ids)."""
    global _snapshot
    with _lock:
        _snapshot = None


def current() -> tuple[Marks, Study]:
    """The service's data now and its marks, the Study paired once per version.

    The same Study object is returned until a person, form or outcome month is added; one
    refresh at a time per process (others wait for it rather than read the same rows).
    """
    global _snapshot
    now = marks()
    with _lock:
        old = _snapshot
        if old is not None and old.marks == now:
            return now, old.study
        fresh = _added(old, now) if old is not None else None
        _snapshot = fresh if fresh is not None else _read_all(now)
        return _snapshot.marks, _snapshot.study
