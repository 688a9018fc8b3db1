"""The analyst's export page: the service's data as a FIP dataset in one click, as CSV,
XLSX, Stata ``.dta`` or SPSS ``.sav`` (a zip of the three tables ``persons``, ``forms``,
``outcomes``, which ``fip validate`` and every fip command read after unzipping).

* An analyst exports the own municipality's persons (ids as the service holds them:
  pseudonyms); a researcher exports all municipalities with person and caseworker ids
  pseudonymised once more (:func:`research_ids`: a keyed hash with the service's pseudonym
  key under a label of its own), so a researcher's file cannot be joined to the service's
  rows or to another export of the analysts.
* The library's writers do the work: :func:`fip.data.write_dataset` (CSV),
  :func:`fip.store.export._write_xlsx` (Excel), :func:`fip.data.stats_writers.write_stats_dataset`
  (Stata, SPSS); ids are screened as ``fip export`` does (:func:`fip.store.screen.screen_ids`)
  and text cells a spreadsheet would run as a formula are neutralised in CSV and XLSX
  (:func:`fip.store.export.neutralise_dataset`, OWASP).
* The file is built whole in a temporary folder and sent from memory; nothing half-written
  is ever served or left behind. Every export is in the audit log (who, format, scope, rows).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fip.data import Dataset, write_dataset
from fip.data.schema import load_schema
from fip.data.stats_writers import write_stats_dataset
from fip.errors import FipError
from fip.service.access import audit, profile, role_page
from fip.service.data import service_dataset
from fip.service.models import Person
from fip.store.export import _write_xlsx, neutralise_dataset
from fip.store.pseudonymise import keyed_hash, resolve_key
from fip.store.screen import screen_ids

__all__ = ["EXPORT_FORMATS", "build_export", "export_zip", "research_ids"]

#: Formats of the export page: label and file extension.
EXPORT_FORMATS: dict[str, str] = {"csv": "CSV", "xlsx": "Excel (XLSX)", "dta": "Stata (.dta)", "sav": "SPSS (.sav)"}
_RESEARCH_LABEL = "fip researcher export v1\n"


def research_ids(dataset: Dataset, key: bytes) -> Dataset:
    """The dataset with ``person_id`` and ``caseworker_id`` replaced by keyed hashes (32
    letters, as :func:`fip.store.pseudonymise.pseudonym`) under the researcher label.

    Examples
    --------
    >>> from fip.simulate import simulate_cohort
    >>> ds = simulate_cohort(10, seed=1)
    >>> out = research_ids(ds, b"0123456789abcdef")
    >>> set(out.persons["person_id"]) & set(ds.persons["person_id"])
    set()
    >>> set(out.forms["person_id"]) <= set(out.persons["person_id"])
    True
    """
    def remap(values: pd.Series) -> pd.Series:
        codes = {v: keyed_hash(_RESEARCH_LABEL + str(v), key)[:32] for v in values.dropna().unique()}
        return values.map(codes).astype(values.dtype)

    persons = dataset.persons.assign(person_id=remap(dataset.persons["person_id"]))
    forms = dataset.forms.assign(person_id=remap(dataset.forms["person_id"]),
                                 caseworker_id=remap(dataset.forms["caseworker_id"]))
    outcomes = dataset.outcomes.assign(person_id=remap(dataset.outcomes["person_id"]))
    return replace(dataset, persons=persons, forms=forms, outcomes=outcomes)


def export_zip(dataset: Dataset, fmt: str) -> bytes:
    """The dataset's three tables in ``fmt`` (a key of :data:`EXPORT_FORMATS`), zipped."""
    if fmt in ("csv", "xlsx"):
        dataset = neutralise_dataset(dataset, load_schema(dataset.instrument))
    with tempfile.TemporaryDirectory(prefix="fip-export-") as tmp:
        folder = Path(tmp) / "export"
        if fmt == "csv":
            write_dataset(dataset, folder, "csv", private=True)
        elif fmt == "xlsx":
            _write_xlsx(dataset, load_schema(dataset.instrument), folder)
        else:
            write_stats_dataset(dataset, folder, fmt)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.iterdir()):
                archive.write(path, path.name)
    return buffer.getvalue()


def _scope(user):
    p = profile(user)
    if p.role == "researcher":
        return Person.objects.all(), "all municipalities", True
    return Person.objects.filter(municipality=p.municipality), p.municipality.code, False


def build_export(request, fmt: str) -> tuple[bytes, str]:
    """The zip of the user's export in ``fmt`` and its file name; audited.

    Raises
    ------
    FipError
        Without the service's pseudonym key.
    """
    persons, scope, research = _scope(request.user)
    key = resolve_key()
    if key is None and research:
        raise FipError("no pseudonym key")
    dataset = screen_ids(service_dataset(persons), key)
    if research:
        dataset = research_ids(dataset, key)
    body = export_zip(dataset, fmt)
    rows = f"persons {len(dataset.persons)}, forms {len(dataset.forms)}, outcomes {len(dataset.outcomes)}"
    audit(request, "export", detail=f"{fmt}, {scope}{', research ids' if research else ''}: {rows}")
    return body, f"fip-{'all' if research else scope}-{timezone.localdate():%Y%m%d}-{fmt}.zip"


def zip_response(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@role_page("analyst", "researcher")
@require_http_methods(["GET", "POST"])
def export(request):
    persons, scope, research = _scope(request.user)
    context = {"formats": list(EXPORT_FORMATS.items()), "scope": scope, "research": research,
               "n_persons": persons.count()}
    if request.method == "GET":
        return render(request, "fipservice/export.html", context)
    fmt = request.POST.get("format", "")
    if fmt not in EXPORT_FORMATS:
        context["problem"] = _("Choose one of the formats.")
        return render(request, "fipservice/export.html", context, status=400)
    try:
        body, name = build_export(request, fmt)
    except FipError:
        context["problem"] = _("The export needs the service's pseudonym key (FIP_PSEUDONYM_KEY). Ask an "
                               "administrator.")
        return render(request, "fipservice/export.html", context, status=503)
    return zip_response(body, name)
