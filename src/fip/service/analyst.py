"""The analyst's upload page: a FIP dataset (persons, forms, outcomes as CSV, XLSX or
Parquet) read and checked by the library's validators (:func:`fip.data.load_dataset`) and
screened like a store import (:func:`fip.store.screen.screen_dataset`: CPR-like ids
pseudonymised with the service's key, CPR numbers in text and formula-like text refused);
every problem is listed by file, row and column. A clean dataset of the analyst's own
municipality is added in one transaction, or nothing is."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path

from django import forms as djforms
from django.db import IntegrityError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fip.data import TABLES, load_dataset
from fip.data.schema import load_schema
from fip.errors import FipError, InvalidDataError, Problem, mask_personal
from fip.service.access import audit, profile, role_page
from fip.service.data import instrument, load_into_service
from fip.store.pseudonymise import resolve_key
from fip.store.screen import screen_dataset

#: Largest file accepted per table, in bytes (FIP_UPLOAD_MAX_BYTES, default 20 MB).
UPLOAD_MAX_BYTES = int(os.environ.get("FIP_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
EXTENSIONS = (".csv", ".xlsx", ".parquet")


class UploadForm(djforms.Form):
    persons = djforms.FileField(label=gettext_lazy("Persons"))
    forms = djforms.FileField(label=gettext_lazy("Forms"))
    outcomes = djforms.FileField(label=gettext_lazy("Outcomes"))


def _problem(file: str, expected: str) -> Problem:
    return Problem(mask_personal(file), None, None, None, expected)


def _save(uploads: dict, folder: Path) -> list[Problem]:
    """Write each upload as ``<table><ext>`` into ``folder``; problems for wrong types and sizes."""
    problems = []
    for table in TABLES:
        f = uploads[table]
        ext = Path(f.name).suffix.lower()
        if ext not in EXTENSIONS:
            problems.append(_problem(f.name, _("a .csv, .xlsx or .parquet file for the %(table)s table") % {"table": table}))
        elif f.size > UPLOAD_MAX_BYTES:
            problems.append(_problem(f.name, _("a file of at most %(mb)d MB") % {"mb": UPLOAD_MAX_BYTES // 2**20}))
        else:
            with open(folder / f"{table}{ext}", "wb") as out:
                for chunk in f.chunks():
                    out.write(chunk)
    return problems


def import_upload(uploads: dict, municipality: str) -> tuple[dict[str, int] | None, list[Problem]]:
    """Validate, screen and add the uploaded dataset; (rows added, []) or (None, problems)."""
    with tempfile.TemporaryDirectory(prefix="fip-upload-") as tmp:
        folder = Path(tmp)
        problems = _save(uploads, folder)
        if problems:
            return None, problems
        inst = instrument()
        try:
            dataset = load_dataset(folder, inst)
            files = {t: next(folder.glob(f"{t}.*")) for t in TABLES}
            screened = screen_dataset(dataset, load_schema(inst), resolve_key(), files)
        except InvalidDataError as exc:
            return None, list(exc.problems)
        except FipError as exc:
            return None, [_problem("-", str(exc))]
    dataset = replace(dataset, **screened.tables)
    others = sorted(set(dataset.persons["municipality"].astype(str)) - {municipality})
    if others:
        return None, [Problem(files["persons"].name, None, "municipality", mask_personal(", ".join(others[:5])),
                              _("persons of your municipality (%(m)s) only") % {"m": municipality})]
    try:
        return load_into_service(dataset), []
    except IntegrityError:
        return None, [Problem(files["persons"].name, None, "person_id", None,
                              _("persons not yet in the service (some are already there; nothing was imported)"))]


@role_page("analyst")
def upload(request):
    p = profile(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    added, problems, status = None, [], 200
    if request.method == "POST":
        if form.is_valid():
            added, problems = import_upload(form.cleaned_data, p.municipality.code)
            audit(request, "import" if added else "import refused",
                  detail=", ".join(f"{t}: {n}" for t, n in (added or {}).items()) or f"{len(problems)} problems")
        status = 200 if added else 400
    return render(request, "fipservice/upload.html", {"form": form, "added": added, "problems": problems,
                                                      "max_mb": UPLOAD_MAX_BYTES // 2**20}, status=status)
