"""The manager's page: the municipality's status note (fip.report.status_note, every figure
through the disclosure policy), a caseload overview per caseworker, and when the data were
last updated. Managers see aggregates only."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import render

from fip._membership import isin
from fip.disclosure import DisclosurePolicy, Margin, protect
from fip.report.status_note import status_note
from fip.service.access import audit, profile, role_page
from fip.service.data import service_dataset
from fip.service.models import Form, Outcome, Person
from fip.service.views import _document, _lang
from fip.study import Study


def _version() -> tuple:
    """Changes whenever a person, form or outcome is added (the service never edits them)."""
    p = Person.objects.aggregate(n=Count("id"), last=Max("id"))
    f = Form.objects.aggregate(n=Count("id"), last=Max("id"))
    return p["n"], p["last"], f["n"], f["last"], Outcome.objects.count()


@lru_cache(maxsize=2)
def _all_data(version: tuple) -> Study:
    """Every municipality's data as a Study (paired once: the manager page and every status
    note of this data version share the pairing)."""
    # every row was checked when written: read into the dataset's dtypes without re-checking
    return Study(service_dataset(Person.objects.all(), validate=False))


def _quarters(measurements: pd.DataFrame, persons: pd.DataFrame, municipality: str) -> pd.Series:
    """Persons of the municipality measured per quarter, latest quarter first."""
    m = measurements[isin(measurements["person_id"], persons.loc[persons["municipality"] == municipality, "person_id"])]
    counts = m.groupby(m["measured_on"].dt.to_period("Q").astype(str))["person_id"].nunique()
    return counts.sort_index(ascending=False)


def _default_quarter(counts: pd.Series, policy: DisclosurePolicy) -> str | None:
    """The latest quarter with enough persons measured for figures to show, else the latest."""
    enough = counts[counts >= policy.threshold]
    return enough.index[0] if len(enough) else (counts.index[0] if len(counts) else None)


def caseload(municipality, quarter: str, measurements: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    """Citizens per caseworker of the municipality and how many were measured in ``quarter``,
    protected as shares with the municipality's total as margin (``caseworker`` "all")."""
    rows = list(Person.objects.filter(municipality=municipality, caseworker__isnull=False)
                .values_list("person_id", "caseworker__caseworker_id"))
    frame = pd.DataFrame(rows, columns=["person_id", "caseworker"])
    period = measurements["measured_on"].dt.to_period("Q").astype(str)
    measured = set(measurements.loc[period == quarter, "person_id"])
    frame["measured"] = isin(frame["person_id"], measured) if len(frame) else frame["person_id"].isin(measured)
    table = frame.groupby("caseworker").agg(n=("person_id", "size"), k=("measured", "sum")).reset_index()
    total = pd.DataFrame([{"caseworker": "all", "n": len(frame), "k": int(frame["measured"].sum())}])
    table = pd.concat([table, total], ignore_index=True)
    table["share"] = table["k"] / table["n"]
    table["measured_n"] = table["k"].astype(float)
    return protect(table, policy, values=["share", "measured_n"], k="k", margins=[Margin("caseworker", "all")])


@role_page("manager")
def manager(request):
    p = profile(request.user)
    study = _all_data(_version())
    measurements, policy = study.measurements, DisclosurePolicy.default()
    counts = _quarters(measurements, study.dataset.persons, p.municipality.code)
    quarters = list(counts.index)
    quarter = request.GET.get("quarter") or _default_quarter(counts, policy)
    if quarter is not None and quarter not in quarters:
        raise Http404
    table = caseload(p.municipality, quarter, measurements, policy) if quarter else None
    updated = Form.objects.aggregate(entered=Max("entered_at"), answered=Max("answered_on"))
    rows = [] if table is None else [
        {"caseworker": r.caseworker, "n": None if pd.isna(r.n) else int(r.n),
         "measured": None if pd.isna(r.measured_n) else int(r.measured_n),
         "share": None if pd.isna(r.share) else round(100 * r.share)}
        for r in table.itertuples(index=False)]
    return render(request, "fipservice/manager.html", {"quarters": quarters, "quarter": quarter, "rows": rows,
                                                       "updated": updated})


@role_page("manager")
def manager_note(request):
    p = profile(request.user)
    study = _all_data(_version())
    quarter = request.GET.get("quarter", "")
    if quarter not in _quarters(study.measurements, study.dataset.persons, p.municipality.code).index:
        raise Http404
    html = _note_html(_version(), p.municipality.code, quarter, _lang())
    audit(request, "status note", detail=f"{p.municipality.code} {quarter}")
    return _document(html, "text/html; charset=utf-8")


@lru_cache(maxsize=32)
def _note_html(version: tuple, municipality: str, quarter: str, lang: str) -> str:
    """The status note's page, computed once per data version (any new person, form or
    outcome changes ``version``), municipality, quarter and language: it takes about a second
    for a municipality of 10,000 persons (benchmarks/bench_service.py)."""
    return status_note(_all_data(version), municipality, quarter, lang=lang).html
