"""The analyst's model and import-log pages.

``/analyst/models/``: upload a job-chance model file; :func:`fip.predict.model_from_json`
checks it (checksum, structure, instrument) and its one-line problems are shown, nothing is
deployed then. A good file is shown with its model card (checksum, kind, window, training
period and sample, cross-validated metrics) and becomes the active model of its kind for
the analyst's municipality; an earlier one can be made active again. Analysts see and change
their own municipality's models only; the models of every municipality (deployed by an
administrator or ``fip serve --demo``) are shown read-only, as the fallback.

``/analyst/imports/``: the municipality's import log: every upload by its analysts (the
audit events ``import`` and ``import refused``: who, when, rows added or problems).
"""

from __future__ import annotations

from django import forms as djforms
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fip.errors import FipError
from fip.predict import Model, model_from_json
from fip.predict.score import check_compatible
from fip.service.access import audit, profile, role_page
from fip.service.chance import activate, deploy
from fip.service.data import instrument
from fip.service.models import AuditEvent, DeployedModel

__all__ = ["MAX_MODEL_BYTES", "model_card"]

#: Largest model file accepted, in bytes.
MAX_MODEL_BYTES = 2 * 1024 * 1024


class ModelUploadForm(djforms.Form):
    model_file = djforms.FileField(label=gettext_lazy("Model file (JSON)"))


def model_card(model: Model) -> dict:
    """What the page shows of a model: checksum, kind, window, training period and sample,
    cross-validated metrics of the logistic model (AUC, Brier score, calibration slope).

    Examples
    --------
    >>> from fip.predict import Model
    >>> model_card(Model.from_content({"kind": "intake"}))["kind"]
    'intake'
    """
    c = model.content
    window = c.get("window") or {}
    training = c.get("training") or {}
    metrics = next((m for m in (c.get("validation") or {}).get("metrics", []) if m.get("learner") == "logistic"), {})

    def num(x, digits=2):
        return None if x is None else round(float(x), digits)

    return {"sha256": model.sha256, "kind": c.get("kind"), "created_at": c.get("created_at"),
            "window": f"{window['months']} months after {str(window['after']).replace('_', ' ')}" if window else None,
            "first_month": training.get("first_month"), "last_month": training.get("last_month"),
            "n_persons": training.get("n_persons"), "n_events": training.get("n_events"),
            "auc": num(metrics.get("auc")), "brier": num(metrics.get("brier"), 3),
            "calibration_slope": num(metrics.get("calibration_slope")),
            "instrument": (c.get("instrument") or {}).get("version")}


def _visible(p):
    return DeployedModel.objects.filter(Q(municipality=p.municipality) | Q(municipality__isnull=True)).select_related(
        "municipality", "deployed_by")


def _parse(upload) -> tuple[Model | None, list[str]]:
    if upload.size > MAX_MODEL_BYTES:
        return None, [_("%(name)s: a model file of at most %(mb)d MB") % {"name": upload.name[:100],
                                                                            "mb": MAX_MODEL_BYTES // 2**20}]
    raw = upload.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [_("%(name)s: not a UTF-8 JSON model file") % {"name": upload.name[:100]}]
    try:
        model = model_from_json(text, source=upload.name[:100])
        check_compatible(model, instrument())
    except FipError as exc:
        return None, str(exc).splitlines()[:20]
    return model, []


@role_page("analyst")
def models(request):
    p = profile(request.user)
    form = ModelUploadForm(request.POST or None, request.FILES or None)
    problems, status = [], 200
    if request.method == "POST" and "activate" in request.POST:
        try:
            row = DeployedModel.objects.get(pk=int(request.POST["activate"]), municipality=p.municipality)
        except (ValueError, DeployedModel.DoesNotExist):
            raise Http404 from None
        activate(row)
        audit(request, "activate model", detail=f"{row.kind} {row.sha256} for {p.municipality.code}")
        return redirect("models")
    if request.method == "POST":
        if form.is_valid():
            model, problems = _parse(form.cleaned_data["model_file"])
            if model is not None:
                deploy(model, request.user, p.municipality)
                audit(request, "deploy model", detail=f"{model.kind} {model.sha256} for {p.municipality.code}")
                return redirect("models")
            audit(request, "deploy refused", detail=f"{len(problems)} problems")
        status = 400
    rows = [{"row": r, "card": _card(r), "own": r.municipality_id is not None} for r in _visible(p)]
    return render(request, "fipservice/models.html", {"form": form, "problems": problems, "rows": rows,
                                                      "max_mb": MAX_MODEL_BYTES // 2**20}, status=status)


def _card(row: DeployedModel) -> dict:
    """The model card of a deployed model, its window in the page's language (as the citizen
    card says it)."""
    from fip.service.views import _lang
    from fip.star import _window_text

    try:
        card = model_card(model_from_json(row.content, source=f"model {row.sha256[:12]}"))
    except FipError:
        return {"sha256": row.sha256, "kind": row.kind}
    return {**card, "window": _window_text(card["window"], _lang()) or card["window"]}


@role_page("analyst")
def imports(request):
    p = profile(request.user)
    events = (AuditEvent.objects.filter(action__in=("import", "import refused"),
                                        user__fip_profile__municipality=p.municipality)
              .select_related("user").order_by("-at")[:500])
    return render(request, "fipservice/imports.html", {"events": events})
