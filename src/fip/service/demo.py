"""``fip serve --demo``: a synthetic cohort, deployed job-chance models and demo users."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

from fip.errors import FipError
from fip.service.chance import deploy
from fip.service.data import instrument, load_into_service
from fip.service.models import Caseworker, Municipality, Person, Profile

#: Persons of the demo cohort (fip.simulate; its largest two municipalities get demo users).
DEMO_PERSONS = 1000


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    municipality: str | None


def _user(username: str, role: str, municipality=None, caseworker=None) -> DemoLogin:
    password = secrets.token_urlsafe(12)
    user = get_user_model().objects.create_user(username, password=password,
                                                is_staff=role == "administrator",
                                                is_superuser=role == "administrator")
    Profile.objects.create(user=user, role=role, municipality=municipality, caseworker=caseworker)
    return DemoLogin(username, password, role, municipality.code if municipality else None)


def train_and_deploy(dataset, seed: int = 0, created_at: str | None = None) -> list[str]:
    """Train both job-chance models on ``dataset`` and deploy them; one line per model."""
    from fip.predict import train

    notes = []
    for kind in ("intake", "progression"):
        try:
            result = train(dataset, kind, compare=False, seed=seed, created_at=created_at)
        except FipError as exc:
            notes.append(f"{kind} model not trained: {exc}")
            continue
        deploy(result.model)
        auc = result.validation.metrics.loc["logistic", "auc"]
        notes.append(f"{kind} model deployed (sha256 {result.model.sha256[:12]}, cross-validated AUC {auc:.2f})")
    return notes


def create_demo_users() -> list[DemoLogin]:
    """A caseworker, a manager and an analyst for each of the two largest municipalities, a
    researcher and an administrator, with random passwords. The caseworker is the
    municipality's caseworker with the most citizens."""
    logins = []
    for m in Municipality.objects.annotate(n=Count("persons")).order_by("-n", "code")[:2]:
        cw = (Caseworker.objects.filter(municipality=m).annotate(n=Count("persons")).order_by("-n", "caseworker_id")
              .first())
        logins.append(_user(f"caseworker-{m.code}", "caseworker", m, cw))
        logins.append(_user(f"manager-{m.code}", "manager", m))
        logins.append(_user(f"analyst-{m.code}", "analyst", m))
    logins.append(_user("researcher", "researcher"))
    logins.append(_user("admin", "administrator"))
    return logins


@transaction.atomic
def load_demo(n_persons: int = DEMO_PERSONS, seed: int = 0, *, created_at: str | None = None) -> tuple[list[DemoLogin], list[str]]:
    """Load a synthetic cohort, train and deploy both job-chance models, create demo users.

    Refused (``FipError``) when the service already holds persons. Returns the logins
    (random passwords) and one line per model deployed or not trainable.
    """
    from fip.simulate import simulate_cohort

    if Person.objects.exists():
        raise FipError("the service already holds data; --demo needs an empty database (a new data folder)")
    dataset = simulate_cohort(n_persons, seed=seed, instrument=instrument())
    load_into_service(dataset)
    notes = train_and_deploy(dataset, seed, created_at)
    return create_demo_users(), notes
