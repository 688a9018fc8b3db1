"""The citizen page's cache (fip.service.citizen_cache): computed once per version of the
citizen's data; a new or edited form, an edited assessment or a newly deployed model give a
new version, and the page then shows what the new data give."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from fip.predict import Model
from fip.service import citizen_cache
from fip.service.chance import deploy
from fip.service.models import Form, Person

ME = "caseworker-kommune_03"


@pytest.fixture
def setup(service):
    c = Client()
    user = service.user(ME)
    c.force_login(user)
    from fip.service.access import visible_persons

    mine = visible_persons(user)
    person = next(p for p in mine.order_by("id") if Form.objects.filter(person=p).count() >= 2
                  and c.get(reverse("citizen", args=[p.pk])).status_code == 200
                  and c.get(reverse("star_svg", args=[p.pk])).status_code == 200)
    return c, person


def counted(monkeypatch):
    calls = []
    real = citizen_cache.service_dataset

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(citizen_cache, "service_dataset", spy)
    citizen_cache._prepared.cache_clear()
    return calls


def test_page_and_star_are_computed_once_per_version(setup, monkeypatch):
    c, person = setup
    from django.core.cache import cache

    cache.clear()
    calls = counted(monkeypatch)
    assert c.get(reverse("citizen", args=[person.pk])).status_code == 200
    assert len(calls) == 1
    assert c.get(reverse("citizen", args=[person.pk])).status_code == 200     # (its CSRF token differs)
    svg = c.get(reverse("star_svg", args=[person.pk])).content       # drawn with the page
    assert c.get(reverse("star_svg", args=[person.pk])).content == svg
    assert len(calls) == 1
    cache.clear()                       # another worker process: the star is drawn again, the same
    citizen_cache._prepared.cache_clear()
    assert c.get(reverse("star_svg", args=[person.pk])).content == svg
    assert len(calls) == 2


def test_version_changes_with_forms_assessments_and_models(setup, cohort):
    _, person = setup
    seen = {citizen_cache.version(person)}

    def changed():
        key = citizen_cache.version(Person.objects.get(pk=person.pk))
        assert key not in seen
        seen.add(key)

    assert citizen_cache.version(Person.objects.get(pk=person.pk)) in seen      # stable
    form = Form.objects.filter(person=person).order_by("id").first()
    item = next(iter(form.answers))
    Form.objects.filter(pk=form.pk).update(answers={**form.answers, item: form.answers[item] % 7 + 1})
    changed()                                              # an edited answer
    Form.objects.filter(pk=form.pk).update(caseworker_assessment="high", assessment_reason="x")
    changed()                                              # an edited assessment
    Form.objects.create(person=person, caseworker=form.caseworker, respondent=form.respondent,
                        answered_on=form.answered_on.replace(year=form.answered_on.year - 1),
                        answers=form.answers, submission_token=uuid.uuid4())
    changed()                                              # a new form
    intake = cohort[1][0]
    deploy(Model.from_content({**intake.content, "created_at": "2026-02-02T00:00:00Z"}))
    changed()                                              # a new model
    other = Person.objects.exclude(pk=person.pk).first()
    assert citizen_cache.version(other) not in seen        # another citizen


def test_page_shows_the_new_model_and_the_edited_answers(setup, cohort):
    c, person = setup
    url = reverse("citizen", args=[person.pk])
    before = c.get(url).content.decode()
    svg_before = c.get(reverse("star_svg", args=[person.pk])).content
    shown = next(m for m in cohort[1] if m.sha256[:12] in before)
    new = Model.from_content({**shown.content, "created_at": "2026-03-03T00:00:00Z"})
    deploy(new)
    after = c.get(url).content.decode()
    assert new.sha256[:12] in after and shown.sha256[:12] not in after
    for form in Form.objects.filter(person=person):
        Form.objects.filter(pk=form.pk).update(answers={k: v % 7 + 1 for k, v in form.answers.items()})
    svg_after = c.get(reverse("star_svg", args=[person.pk])).content
    assert svg_after != svg_before


def test_stored_rows_read_without_checking_are_the_checked_dataset(service):
    """service_dataset(validate=False), which the citizen page reads, gives the frames the
    library's validators give for the same stored rows: every citizen at once, one citizen,
    with outcomes and without, with an assessment on a form and without."""
    import pandas as pd

    from fip.service.data import service_dataset

    def same(qs, **kw):
        a, b = service_dataset(qs, validate=False, **kw), service_dataset(qs, **kw)
        for name in ("persons", "forms", "outcomes"):
            pd.testing.assert_frame_equal(a.table(name), b.table(name), check_dtype=True)
        return a

    everyone = Person.objects.all()
    full = same(everyone)
    assert len(full.forms) > 100 and len(full.outcomes) > 100
    one = Person.objects.filter(pk=Form.objects.order_by("id").first().person_id)
    same(one, outcomes=False)
    Form.objects.filter(pk=Form.objects.filter(respondent="caseworker").order_by("id").first().pk).update(
        caseworker_assessment="low", assessment_reason="Ønsker uddannelse først")
    assert "caseworker_assessment" in same(everyone, outcomes=False).forms.columns
    empty = same(Person.objects.none())
    assert len(empty.persons) == 0


def test_warm_up_fills_what_the_page_reads(setup, monkeypatch):
    """warm_citizen_page computes the page's data under the page's key: the page then reads the
    dataset no more and shows the same chance and star as a page computed on its own."""
    from django.core.cache import cache

    from fip.service.views import warm_citizen_page

    c, person = setup
    cache.clear()
    calls = counted(monkeypatch)
    warm_citizen_page(person.pk, "da")
    assert len(calls) == 1
    warm_page = c.get(reverse("citizen", args=[person.pk])).content.decode()
    warm_svg = c.get(reverse("star_svg", args=[person.pk])).content
    assert len(calls) == 1                                      # served from what the warm-up stored
    cache.clear()
    citizen_cache._prepared.cache_clear()
    cold_page = c.get(reverse("citizen", args=[person.pk])).content.decode()
    assert len(calls) == 2 and c.get(reverse("star_svg", args=[person.pk])).content == warm_svg
    strip = lambda page: "\n".join(l for l in page.splitlines() if "csrf" not in l)  # noqa: E731
    assert strip(warm_page) == strip(cold_page)


def test_a_saved_pair_schedules_one_warm_up_after_commit(service, django_capture_on_commit_callbacks, monkeypatch):
    import fip.service.views as views
    from test_service_caseworker import create_citizen, login, post_form

    import queue

    jobs = queue.SimpleQueue()
    monkeypatch.setattr(views, "_warm_queue", lambda: jobs)
    c = login(service)
    person = create_citizen(c)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_form(c, person, "citizen").status_code == 302
    assert jobs.empty()                                         # no measurement yet: nothing to warm
    with django_capture_on_commit_callbacks(execute=True):
        assert post_form(c, person, "caseworker", visitation="").status_code == 302
    assert jobs.qsize() == 1
    monkeypatch.setattr(views, "connection", type("C", (), {"close": lambda self: None})())  # keep the test's
    jobs.put(None)
    views.warm_up_worker(jobs)                                  # the warm-up itself, in this thread
    key = citizen_cache.version(Person.objects.get(pk=person.pk))
    from django.core.cache import cache

    assert cache.get(f"fip:citizen:{key}:da") is not None


def test_a_claimed_entry_is_awaited_not_computed_twice():
    """Single flight: while another process computes an entry (its claim is in the cache), a
    request waits for that value; when the claim is dropped without a value it computes itself."""
    import threading

    from django.core.cache import cache

    cache.clear()
    computed = []
    cache.add("fip:citizen:k1:da:computing", 1, 30)
    threading.Timer(0.2, lambda: cache.set("fip:citizen:k1:da", {"v": "other"}, 60)).start()
    assert citizen_cache.cached("citizen", "k1", "da", lambda: computed.append(1) or {"v": "mine"}) == {"v": "other"}
    assert computed == []
    cache.add("fip:citizen:k2:da:computing", 1, 30)
    threading.Timer(0.1, lambda: cache.delete("fip:citizen:k2:da:computing")).start()
    assert citizen_cache.cached("citizen", "k2", "da", lambda: computed.append(1) or {"v": "mine"}) == {"v": "mine"}
    assert computed == [1] and cache.get("fip:citizen:k2:da:computing") is None


def test_a_failed_warm_up_is_logged_without_person_data_and_the_next_runs(service, monkeypatch, caplog):
    import queue

    import fip.service.views as views
    from django.core.cache import cache

    person = Form.objects.filter(respondent="caseworker").order_by("id").first().person
    monkeypatch.setattr(views, "connection", type("C", (), {"close": lambda self: None})())
    jobs = queue.SimpleQueue()
    for job in ((10**9, "da"), (person.pk, "da"), None):     # no such citizen, then a real one
        jobs.put(job)
    views.warm_up_worker(jobs)
    assert "warm-up failed: DoesNotExist" in caplog.text and str(10**9) not in caplog.text
    assert person.person_id not in caplog.text
    assert cache.get(f"fip:citizen:{citizen_cache.version(person)}:da") is not None
