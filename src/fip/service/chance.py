"""Deployed job-chance models (:mod:`fip.predict`) and the chance of one citizen."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from django.db import transaction

from fip.data import Dataset
from fip.errors import FipError
from fip.predict import Model, model_from_json, score
from fip.service.models import DeployedModel


@lru_cache(maxsize=8)
def _parsed(sha256: str, content: str) -> Model:
    return model_from_json(content, source=f"deployed model {sha256[:12]}")


@transaction.atomic
def deploy(model: Model, user=None, municipality=None) -> DeployedModel:
    """Make ``model`` the active model of its kind for ``municipality`` (a
    :class:`~fip.service.models.Municipality`; None: for every municipality without a model
    of its own). The previous one is kept, inactive."""
    kind = model.content["kind"]
    DeployedModel.objects.filter(kind=kind, municipality=municipality, active=True).update(active=False)
    return DeployedModel.objects.create(kind=kind, municipality=municipality, sha256=model.sha256,
                                        content=model.to_json(), deployed_by=user)


@transaction.atomic
def activate(row: DeployedModel) -> DeployedModel:
    """Make an earlier deployed model the active one of its kind and municipality again."""
    DeployedModel.objects.filter(kind=row.kind, municipality=row.municipality, active=True).update(active=False)
    DeployedModel.objects.filter(pk=row.pk).update(active=True)
    row.refresh_from_db()
    return row


def active_row(kind: str, municipality: str | None = None) -> DeployedModel | None:
    """The active model record of ``kind`` for the municipality code (its own, else the one
    of every municipality)."""
    active = DeployedModel.objects.filter(kind=kind, active=True)
    own = active.filter(municipality__code=municipality).first() if municipality else None
    return own or active.filter(municipality__isnull=True).first()


def parse_active_models() -> int:
    """Parse every active model now (checked as a model file; a second or more for a large one),
    so that worker processes forked afterwards find them parsed. Returns how many."""
    rows = list(DeployedModel.objects.filter(active=True))
    for row in rows:
        _parsed(row.sha256, row.content)
    return len(rows)


def active_model(kind: str, municipality: str | None = None) -> Model | None:
    row = active_row(kind, municipality)
    return None if row is None else _parsed(row.sha256, row.content)


@dataclass(frozen=True)
class Chance:
    """One citizen's job chance: the row of :func:`fip.predict.score` and the model used."""

    row: dict
    model_sha256: str


def person_chance(dataset: Dataset, measurements: pd.DataFrame, person_id: str, lang: str) -> Chance | None:
    """The chance of ``person_id`` from the progression model when the person has two rounds
    and one is deployed, else from the intake model; None without a model or a measurement."""
    rounds = measurements.loc[measurements["person_id"] == person_id, "round"]
    kinds = ["progression", "intake"] if (rounds >= 2).any() else ["intake"]
    where = dataset.persons.loc[dataset.persons["person_id"] == person_id, "municipality"]
    municipality = str(where.iloc[0]) if len(where) else None
    for kind in kinds:
        model = active_model(kind, municipality)
        if model is None:
            continue
        try:
            # one citizen: no drift report (a comparison of a cohort with the training data)
            table = score(measurements, model, persons=dataset.persons, instrument=dataset.instrument, lang=lang,
                          drift=False)
        except FipError:
            continue
        hit = table[table["person_id"] == person_id]
        if len(hit):
            return Chance(hit.iloc[0].to_dict(), model.sha256)
    return None
