"""The manager pages' snapshot (fip.service.snapshot): brought up to date by appending the
rows added since, it holds exactly what a full read holds; a deletion makes it read in full."""

from __future__ import annotations

import datetime as dt
import uuid

import pandas as pd
import pytest

from fip.service import snapshot
from fip.service.data import ASSESSMENT_COLUMNS, service_dataset
from fip.service.models import Form, Outcome, Person


def _full_read():
    ds = service_dataset(Person.objects.all(), validate=False)
    return ds.persons, ds.forms.drop(columns=[c for c in ASSESSMENT_COLUMNS if c in ds.forms.columns]), ds.outcomes


def _same_as_full_read(study):
    for got, expected in zip((study.dataset.persons, study.dataset.forms, study.dataset.outcomes), _full_read()):
        pd.testing.assert_frame_equal(got, expected, check_dtype=True)


def _add_rows():
    """A new person with a form pair and an outcome month, and a new form of an old person."""
    old = Person.objects.order_by("id").first()
    new = Person.objects.create(person_id="snapshot-test-person", municipality=old.municipality, gender="female",
                                birth_year=1990, caseworker=old.caseworker)
    template = Form.objects.filter(person=old).order_by("id").first()
    for person, respondent in ((new, "citizen"), (new, "caseworker"), (old, template.respondent)):
        Form.objects.create(person=person, respondent=respondent, answered_on=dt.date(2019, 6, 3),
                            caseworker=template.caseworker, language="da", answers=template.answers,
                            submission_token=uuid.uuid4())
    Outcome.objects.create(person=new, month=dt.date(2019, 7, 1), employment_rate=0.5, ordinary_employment=True,
                           education=False)


def test_appended_rows_give_the_full_read(service, monkeypatch):
    marks, study = snapshot.current()
    _same_as_full_read(study)
    assert snapshot.current()[1] is study                   # unchanged data: the same Study
    _add_rows()
    read_all = []
    monkeypatch.setattr(snapshot, "_read_all", lambda now: read_all.append(now) or pytest.fail("read in full"))
    later, fresh = snapshot.current()
    assert fresh is not study and later != marks and not read_all
    _same_as_full_read(fresh)
    assert "snapshot-test-person" in set(fresh.measurements["person_id"])


def test_a_deleted_row_makes_a_full_read(service):
    _, study = snapshot.current()
    Outcome.objects.order_by("id").first().delete()
    _add_rows()                                             # the counts alone would not tell
    _, fresh = snapshot.current()
    _same_as_full_read(fresh)
    assert len(fresh.dataset.outcomes) == len(study.dataset.outcomes)      # one gone, one added


def test_assessments_are_not_in_the_snapshot(service):
    form = Form.objects.filter(respondent="caseworker").order_by("id").first()
    Form.objects.filter(pk=form.pk).update(caseworker_assessment="low", assessment_reason="reason")
    _, study = snapshot.current()
    assert not set(ASSESSMENT_COLUMNS) & set(study.dataset.forms.columns)
