"""Fixtures of the service tests: a small synthetic cohort (200 persons, seed 3: its largest
municipalities get demo users) loaded into the test database, models trained once.

The database is SQLite, or PostgreSQL when FIP_DATABASE_URL is set (.ci/run runs these
tests both ways)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
#: The pseudonym key of the tests (fip.store.pseudonymise reads FIP_PSEUDONYM_KEY).
TEST_KEY = "service test pseudonym key 0123456789"


@dataclass
class Service:
    logins: dict            # username -> DemoLogin
    persons_by_municipality: dict

    def user(self, username):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.get(username=username)


@pytest.fixture(scope="session")
def cohort():
    from fip.predict import train
    from fip.simulate import simulate_cohort

    dataset = simulate_cohort(200, seed=3)
    # the models learn from a larger cohort: 200 persons give the progression model fewer than
    # MIN_EVENTS persons with a job
    learning = simulate_cohort(600, seed=3)
    models = [train(learning, kind, compare=False, created_at="2026-01-01T00:00:00Z").model
              for kind in ("intake", "progression")]
    return dataset, models


def _populate(cohort) -> Service:
    from fip.service.chance import deploy
    from fip.service.data import load_into_service
    from fip.service.demo import create_demo_users
    from fip.service.models import Person

    dataset, models = cohort
    load_into_service(dataset)
    for model in models:
        deploy(model)
    logins = {d.username: d for d in create_demo_users()}
    by_mun = {}
    for p in Person.objects.select_related("municipality"):
        by_mun.setdefault(p.municipality.code, []).append(p)
    return Service(logins, by_mun)


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test starts without the process's manager snapshot and cached pages: the tests'
    rolled-back transactions reuse ids, so a version (counts, highest ids) can come back with
    other rows behind it, which cannot happen to committed data."""
    yield
    from django.core.cache import cache

    from fip.service import snapshot

    snapshot.forget()
    cache.clear()


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("FIP_PSEUDONYM_KEY", TEST_KEY)
    return TEST_KEY.encode()


@pytest.fixture
def fast_hasher(settings):
    """A fast password hash for the demo users of the tests (the service's default is PBKDF2,
    tested in test_service_security)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def service(db, cohort, key, fast_hasher):
    return _populate(cohort)


@pytest.fixture
def live_service(transactional_db, cohort, key, fast_hasher):
    return _populate(cohort)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """No persistent connections in tests (the live server's thread would keep the test
    database open at teardown)."""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
