"""What the citizen page shows, computed once per version of the citizen's data.

The citizen page and ``star.svg`` need the citizen's dataset (:func:`fip.service.data.service_dataset`,
checked by the library's validators), its pairing into rounds and the job chance of the
deployed model: a few hundred milliseconds of pandas for one person. They are computed once
per :func:`version` of what they depend on and kept:

* the prepared dataset and measurements in this process (a small LRU keyed by version);
* the page's chance and the star's SVG in Django's cache (``settings.CACHES``: a folder in the
  data folder under ``fip serve``, shared by its worker processes; in memory otherwise), so the
  ``star.svg`` request that follows the page finds its figure whichever worker serves it.

:func:`version` is a SHA-256 over the citizen's row, every field of every form of the citizen
(a new form, an edited answer or assessment changes it), the active models that apply to the
citizen's municipality (a new or re-activated model changes it), the instrument's content and
fip's version. Nothing is invalidated by hand: changed data give a new key; old entries age out.
The keys hold no person id.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.core.cache import cache
from django.db.models import Q

from fip import __version__
from fip.data import Dataset, pair_forms
from fip.service import data as service_data
from fip.service.data import PERSON_COLUMNS, service_dataset
from fip.service.models import DeployedModel, Form, Person

_FORM_FIELDS = ("id", "respondent", "answered_on", "language", "visitation", "caseworker_assessment",
                "assessment_reason", "answers", "caseworker_id")
#: Cached entries live this long at most (seconds); a changed version makes them unreachable at once.
TIMEOUT = 3600


def version(person: Person) -> str:
    """Key of everything the citizen page computes for ``person`` (two small queries).

    Examples
    --------
    A new form of the citizen, an edited answer or assessment, a newly deployed model: each
    gives another key (``tests/service/test_service_citizen_cache.py``).
    """
    forms = list(Form.objects.filter(person_id=person.pk).order_by("id").values_list(*_FORM_FIELDS))
    models = list(DeployedModel.objects.filter(active=True)
                  .filter(Q(municipality__isnull=True) | Q(municipality_id=person.municipality_id))
                  .order_by("id").values_list("id", "kind", "municipality_id", "sha256"))
    head = [person.pk, person.person_id, person.municipality_id, *(getattr(person, c) for c in PERSON_COLUMNS)]
    # the instrument's whole content, not only its version: a translation added to the instrument
    # file (new labels, same version) changes what the page shows (~0.2 ms per request)
    inst = hashlib.sha256(repr(service_data.instrument()).encode()).hexdigest()
    text = json.dumps([__version__, inst, head, forms, models], default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@lru_cache(maxsize=64)
def _prepared(key: str, pk: int) -> tuple[Dataset, Any]:
    # stored rows were checked when written (fip.service.data.service_dataset, validate=False)
    dataset = service_dataset(Person.objects.filter(pk=pk), outcomes=False, validate=False)
    return dataset, pair_forms(dataset).measurements


def prepared(person: Person, key: str | None = None) -> tuple[Dataset, Any]:
    """The citizen's validated dataset (no outcomes) and measurements, computed once per version."""
    return _prepared(key or version(person), person.pk)


#: How long a request waits for another process's computation of the same entry (seconds) and
#: how long a claim to compute one lasts (a claimant that dies frees it after this).
WAIT_FOR_OTHER = 2.0
CLAIM_TIMEOUT = 30


def cached(what: str, key: str, lang: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per (``what``, version ``key``, ``lang``), kept in Django's cache.

    Single flight across worker processes: whoever computes first claims the entry
    (``cache.add``); a request that finds it claimed (e.g. the page opened while the warm-up
    after a save still runs) waits up to :data:`WAIT_FOR_OTHER` for that value instead of
    computing it a second time, then computes it itself.
    """
    name = f"fip:{what}:{key}:{lang}"
    value = cache.get(name)
    if value is not None:
        return value
    claim = f"{name}:computing"
    if not cache.add(claim, 1, CLAIM_TIMEOUT):
        deadline = time.monotonic() + WAIT_FOR_OTHER
        while time.monotonic() < deadline:
            time.sleep(0.01)
            value = cache.get(name)
            if value is not None:
                return value
            if cache.get(claim) is None:      # the other gave up without a value
                break
    try:
        value = compute()
        cache.set(name, value, TIMEOUT)
    finally:
        cache.delete(claim)
    return value


def put(what: str, key: str, lang: str, value: Any) -> None:
    """Store a value :func:`cached` would compute (e.g. the star, drawn with the page)."""
    cache.set(f"fip:{what}:{key}:{lang}", value, TIMEOUT)
