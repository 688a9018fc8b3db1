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
def deploy(model: Model, user=None) -> DeployedModel:
    """Make ``model`` the active model of its kind (the previous one is kept, inactive)."""
    kind = model.content["kind"]
    DeployedModel.objects.filter(kind=kind, active=True).update(active=False)
    return DeployedModel.objects.create(kind=kind, sha256=model.sha256, content=model.to_json(), deployed_by=user)


def active_model(kind: str) -> Model | None:
    row = DeployedModel.objects.filter(kind=kind, active=True).first()
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
    for kind in kinds:
        model = active_model(kind)
        if model is None:
            continue
        try:
            table = score(measurements, model, persons=dataset.persons, instrument=dataset.instrument, lang=lang)
        except FipError:
            continue
        hit = table[table["person_id"] == person_id]
        if len(hit):
            return Chance(hit.iloc[0].to_dict(), model.sha256)
    return None
