"""The service's tables as a FIP dataset, and a FIP dataset into the service's tables.

:func:`service_dataset` reads persons (any queryset, e.g. one citizen or one
municipality) with their forms and outcomes into frames of the FIP dataset layout and
checks them with the library's validators (:func:`fip.data.dataset_from_frames`), so the
star, the job chance and the status note see exactly what the CLI sees for the same data.
"""

from __future__ import annotations

import json
from functools import lru_cache

import pandas as pd
from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from fip.data import Dataset, dataset_from_frames
from fip.data.dataset import DATE_DTYPE, INTEGER_DTYPE, MONTH_DTYPE, TEXT_DTYPE
from fip.instrument import Instrument, load_instrument
from fip.service.models import Caseworker, Form, Municipality, Outcome, Person

#: The caseworker's own assessment of the job chance: optional forms columns of the dataset
#: layout, present in :func:`service_dataset` only when some form of the selection has one
#: (as :func:`fip.data.load_dataset` has them only when the file has them).
ASSESSMENT_COLUMNS = ("caseworker_assessment", "assessment_reason")
PERSON_COLUMNS = ("gender", "birth_year", "origin", "education", "work_experience", "arrival_date",
                  "residence_ground")


@lru_cache(maxsize=1)
def instrument() -> Instrument:
    """The instrument of the service (configs/instrument.yaml)."""
    return load_instrument()


def translations() -> dict:
    """The translation files of the folder ``settings.FIP_TRANSLATIONS`` (:mod:`fip.translation`),
    keyed by (language, respondent); read once per folder."""
    from django.conf import settings

    return _translations(getattr(settings, "FIP_TRANSLATIONS", None))


@lru_cache(maxsize=8)
def _translations(folder):
    from fip.translation import load_translations

    return load_translations(folder, instrument())


def _fetch(qs: QuerySet) -> list[tuple]:
    """The rows of a ``values_list`` queryset straight from the database cursor: no model field
    converters run per value (~1 s of 5 for the 190,000 values of 10,000 persons)."""
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:          # e.g. Person.objects.none()
        return []
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _as_text(field: str) -> Cast:
    """A column as text in SQL: dates as ``YYYY-MM-DD`` and JSON as its text on every backend,
    parsed by pandas and :func:`json.loads` in bulk instead of value by value."""
    return Cast(field, output_field=TextField())


def _frame(qs: QuerySet, columns: list[str], blank_as_none=()) -> pd.DataFrame:
    """The rows of ``qs`` as a frame of Python values (object columns; ``blank_as_none``
    columns with "" as None, as an empty cell of a file reads)."""
    frame = pd.DataFrame.from_records(_fetch(qs), columns=columns, coerce_float=False)
    for c in blank_as_none:
        frame[c] = frame[c].astype(object).where(frame[c] != "", None)
    return frame


def stored_persons(persons: QuerySet[Person]) -> pd.DataFrame:
    """The persons of ``persons`` as stored (Python values, the dataset layout's columns), by id."""
    return _frame(persons.order_by("id").values_list("person_id", "municipality__code", *PERSON_COLUMNS),
                  ["person_id", "municipality", *PERSON_COLUMNS], blank_as_none=PERSON_COLUMNS)


def stored_forms(forms: QuerySet[Form], assessments: bool = True) -> pd.DataFrame:
    """The forms of ``forms`` as stored, by id: the dataset layout's columns, one per item;
    with :data:`ASSESSMENT_COLUMNS` when ``assessments`` and some form has one."""
    items = instrument().item_ids()
    kept = ASSESSMENT_COLUMNS if assessments else ()
    frame = _frame(forms.order_by("id").annotate(day=_as_text("answered_on"), answers_text=_as_text("answers"))
                   .values_list("person__person_id", "caseworker__caseworker_id", "respondent", "day", "language",
                                "visitation", *kept, "answers_text"),
                   ["person_id", "caseworker_id", "respondent", "answered_on", "language", "visitation", *kept,
                    "answers"], blank_as_none=("language", "visitation", *kept))
    answers = json.loads("[" + ",".join(frame.pop("answers")) + "]")
    frame = pd.concat([frame, pd.DataFrame({i: [a.get(i) for a in answers] for i in items}, columns=items,
                                           dtype=object)], axis=1)
    if kept and not frame[list(kept)].notna().any(axis=None):
        # as a file without these optional columns reads (fip.data.load_dataset)
        frame = frame.drop(columns=list(kept))
    return frame


def stored_outcomes(outcomes: QuerySet[Outcome]) -> pd.DataFrame:
    """The outcome months of ``outcomes`` as stored (``month`` as ``YYYY-MM``), by id."""
    frame = _frame(outcomes.order_by("id").annotate(day=_as_text("month"))
                   .values_list("person__person_id", "day", "employment_rate", "ordinary_employment", "education"),
                   ["person_id", "month", "employment_rate", "ordinary_employment", "education"])
    frame["month"] = frame["month"].str[:7] if len(frame) else frame["month"]
    # SQLite gives booleans as 0/1
    return frame.astype({"employment_rate": "float64", "ordinary_employment": "bool", "education": "bool"})


def service_dataset(persons: QuerySet[Person], *, outcomes: bool = True, validate: bool = True) -> Dataset:
    """The persons of ``persons`` with their forms (and outcomes) as a validated Dataset.

    The forms carry ``caseworker_assessment`` and ``assessment_reason`` when any of the
    selected forms has an assessment or a reason (:data:`ASSESSMENT_COLUMNS`).

    ``validate=False`` reads what the service stored (every row was checked by the library's
    rules when it was written: imports and new citizens by :func:`dataset_from_frames`, forms
    by :func:`fip.data.form_row.check_form_row`) into the dataset's dtypes without checking it
    again: the same frames (``tests/service/test_service_citizen_cache.py``), without the
    validator's fixed cost (~0.1 s for one citizen). For reading, never for checking a write.
    """
    inst = instrument()
    selected = persons.order_by().values("id")
    frames = (stored_persons(persons), stored_forms(Form.objects.filter(person__in=selected)),
              stored_outcomes(Outcome.objects.filter(person__in=selected) if outcomes else Outcome.objects.none()))
    if not validate:
        return Dataset(persons=typed_persons(frames[0]), forms=typed_forms(frames[1]),
                       outcomes=typed_outcomes(frames[2]), instrument=inst, source=None)
    return dataset_from_frames(*frames, inst)


def _text_column(col: pd.Series) -> pd.Series:
    return col.astype(object).where(col.notna(), None).astype(TEXT_DTYPE)


def typed_persons(persons: pd.DataFrame) -> pd.DataFrame:
    """Stored (already checked) persons in the dtypes of the dataset layout."""
    p = persons.copy()
    for c in p.columns:
        if c == "birth_year":
            p[c] = pd.array(p[c].tolist(), dtype=INTEGER_DTYPE)
        elif c == "arrival_date":
            p[c] = pd.to_datetime(p[c]).astype(DATE_DTYPE)
        else:
            p[c] = _text_column(p[c])
    return p


def typed_forms(forms: pd.DataFrame) -> pd.DataFrame:
    """Stored (already checked) forms in the dtypes of the dataset layout."""
    f = forms.copy()
    known = set(instrument().item_ids())
    items = [c for c in f.columns if c in known]
    for c in f.columns:
        if c == "answered_on":
            f[c] = pd.to_datetime(f[c]).astype(DATE_DTYPE)
        elif c not in items:
            f[c] = _text_column(f[c])
    if items:           # the answers in one block: whole numbers 1-7 or None
        f[items] = f[items].astype("float64").astype(INTEGER_DTYPE)
    return f


def typed_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Stored outcome months in the dtypes of the dataset layout."""
    o = outcomes.copy()
    o["person_id"] = _text_column(o["person_id"])
    o["month"] = pd.to_datetime(o["month"], format="%Y-%m").dt.to_period("M").astype(MONTH_DTYPE)
    return o.astype({"employment_rate": "float64", "ordinary_employment": "bool", "education": "bool"})


def _text(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _caseworker_municipality(dataset: Dataset) -> dict[str, str]:
    """Caseworker id -> the municipality of most of the persons on their forms."""
    f = dataset.forms[["person_id", "caseworker_id"]].merge(dataset.persons[["person_id", "municipality"]])
    counts = f.groupby(["caseworker_id", "municipality"]).size().reset_index(name="n")
    counts = counts.sort_values(["caseworker_id", "n", "municipality"], ascending=[True, False, True])
    return dict(counts.drop_duplicates("caseworker_id")[["caseworker_id", "municipality"]].itertuples(index=False))


@transaction.atomic
def load_into_service(dataset: Dataset) -> dict[str, int]:
    """Add a validated dataset to the service's tables, in one transaction (all or nothing).

    Persons already in the service are refused by the database's unique key (the whole
    load is then rolled back). Returns the number of rows added per table.
    """
    inst = dataset.instrument
    p = dataset.persons
    municipalities = {m.code: m for m in Municipality.objects.all()}
    for code in sorted(set(p["municipality"].astype(str))):
        if code not in municipalities:
            municipalities[code] = Municipality.objects.create(code=code)
    cw_mun = _caseworker_municipality(dataset)
    caseworkers = {c.caseworker_id: c for c in Caseworker.objects.all()}
    Caseworker.objects.bulk_create([Caseworker(caseworker_id=c, municipality=municipalities[m])
                                    for c, m in sorted(cw_mun.items()) if c not in caseworkers])
    caseworkers = {c.caseworker_id: c for c in Caseworker.objects.all()}
    f = dataset.forms
    own = f[f["respondent"] == inst.caseworker_from].sort_values("answered_on", kind="stable")
    responsible = dict(own.drop_duplicates("person_id")[["person_id", "caseworker_id"]].itertuples(index=False))
    has_ground = "residence_ground" in p.columns
    Person.objects.bulk_create([
        Person(person_id=r.person_id, municipality=municipalities[r.municipality],
               caseworker=caseworkers.get(responsible.get(r.person_id)), gender=r.gender,
               birth_year=None if pd.isna(r.birth_year) else int(r.birth_year), origin=_text(r.origin),
               education=_text(r.education), work_experience=_text(r.work_experience),
               arrival_date=None if pd.isna(r.arrival_date) else r.arrival_date.date(),
               residence_ground=_text(r.residence_ground) if has_ground else "")
        for r in p.itertuples(index=False)], batch_size=2000)
    pk = dict(Person.objects.filter(person_id__in=list(p["person_id"])).values_list("person_id", "id"))
    items = [i for i in inst.item_ids() if i in f.columns]
    values = f[items].to_numpy(dtype=object)
    has_visit = "visitation" in f.columns
    none = pd.Series(None, index=f.index, dtype=object)
    judgement, reason = (f[c] if c in f.columns else none for c in ASSESSMENT_COLUMNS)
    Form.objects.bulk_create([
        Form(person_id=pk[r.person_id], caseworker=caseworkers[r.caseworker_id], respondent=r.respondent,
             answered_on=r.answered_on.date(), language=_text(r.language),
             visitation=_text(r.visitation) if has_visit else "",
             caseworker_assessment=_text(judgement.iat[k]), assessment_reason=_text(reason.iat[k]),
             answers={i: int(v) for i, v in zip(items, values[k]) if not pd.isna(v)})
        for k, r in enumerate(f.itertuples(index=False))], batch_size=2000)
    o = dataset.outcomes
    Outcome.objects.bulk_create([
        Outcome(person_id=pk[r.person_id], month=r.month.to_timestamp().date(), employment_rate=float(r.employment_rate),
                ordinary_employment=bool(r.ordinary_employment), education=bool(r.education))
        for r in o.itertuples(index=False)], batch_size=5000)
    return {"persons": len(p), "forms": len(f), "outcomes": len(o)}


def store_assessment(person: Person, target: Form, level: str, reason: str) -> bool:
    """Store the caseworker's own assessment (``level``, ``reason``) on ``target``, a caseworker
    form of ``person``, checked by the library's validators in the same transaction.

    Returns False when the form already holds these values (a double click, a resent request:
    nothing changes, nothing is to be logged). Raises :class:`fip.errors.InvalidDataError`, with
    nothing stored, when the validators refuse the values. Used by the page and the API.
    """
    if (target.caseworker_assessment, target.assessment_reason) == (level, reason):
        return False
    with transaction.atomic():
        Form.objects.filter(pk=target.pk).update(caseworker_assessment=level, assessment_reason=reason)
        service_dataset(Person.objects.filter(pk=person.pk), outcomes=False)
    return True
