"""The manager's page: the municipality's status note (fip.report.status_note, every figure
through the disclosure policy), a caseload overview per caseworker, and when the data were
last updated. Managers see aggregates only."""

from __future__ import annotations

import hashlib

import pandas as pd
from django.db.models import Max
from django.http import Http404
from django.shortcuts import render

from fip._membership import isin
from fip.disclosure import DisclosurePolicy, Margin, protect
from fip.report.status_note import status_note
from fip.service import citizen_cache, snapshot
from fip.service.access import audit, profile, role_page
from fip.service.models import Form, Person
from fip.service.views import _document, _lang
from fip.study import Study


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
    _, study = snapshot.current()
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
    version, study = snapshot.current()
    quarter = request.GET.get("quarter", "")
    if quarter not in _quarters(study.measurements, study.dataset.persons, p.municipality.code).index:
        raise Http404
    html = _note_html(version, study, p.municipality.code, quarter, _lang())
    audit(request, "status note", detail=f"{p.municipality.code} {quarter}")
    return _document(html, "text/html; charset=utf-8")


def _note_html(version: snapshot.Marks, study: Study, municipality: str, quarter: str, lang: str) -> str:
    """The status note's page, computed once per data version (any new person, form or
    outcome month changes ``version``), municipality, quarter and language and kept in Django's
    cache (shared by the worker processes of ``fip serve``)."""
    key = hashlib.sha256(repr((version, municipality, quarter, lang)).encode()).hexdigest()
    return citizen_cache.cached("note", key, lang, lambda: status_note(study, municipality, quarter, lang=lang).html)
