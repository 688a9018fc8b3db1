"""The service's HTTP API (JSON under ``/api/v1/``) for a municipal case system: create or
find a citizen by CPR number, send forms, fetch the job chance, read and write the
caseworker's own assessment.

Plain Django views returning :class:`~django.http.JsonResponse`, no API framework: seven
operations do not need one, and the OpenAPI 3.1 document (:mod:`fip.service.openapi`) is
written as data beside them, tested against the OAS schema and by schemathesis.

* **Authentication**: ``Authorization: Bearer <token>`` only (:mod:`fip.service.tokens`);
  a session cookie is not accepted here, which is why these views, and only these, are CSRF
  exempt. Missing, unknown or expired tokens and tokens of deleted or inactive users give
  401 (JSON, ``WWW-Authenticate: Bearer``).
* **Rate limit** per token (:mod:`fip.service.ratelimit`, default 120 requests a minute,
  counted in the database so every server process shares it): 429 with ``Retry-After``.
* **Scopes** (:mod:`fip.service.scopes`): each operation needs one scope on the token, else
  403 ``{"error": ..., "missing_scope": "forms:write"}``.
* **Access**: the pages' rules (:mod:`fip.service.access`): the token's owner must be a
  caseworker (else 403), and a citizen id outside :func:`~fip.service.access.visible_persons`
  gives the same 404 as an id that does not exist.
* **CPR numbers** travel in a POST body only, are hashed at once with the store's keyed hash
  (:func:`fip.store.pseudonymise.pseudonym`) and never appear in a response, a URL or a log
  line. Responses name citizens by the service's row number (``id``), never by person id.
* **Idempotency**: a form sent with an ``Idempotency-Key`` header (or a ``uuid`` in the body)
  is stored once; the same key again returns the stored form (200) instead of a second one.

Every response is JSON, including errors: ``{"error": "<one line>"}`` (400 also lists the
fields: ``{"error": ..., "fields": {"c03": ["..."]}}``).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from fip.data import pair_forms
from fip.errors import FipError, InvalidDataError, mask_personal
from fip.service.access import audit, profile, role, visible_persons
from fip.service.chance import person_chance
from fip.service.data import instrument, service_dataset, store_assessment
from fip.service.forms import CprForm, NewCitizenForm, answer_form_class
from fip.service.models import Form, Person
from fip.service.ratelimit import hit, limits
from fip.service.scopes import SCOPES, missing_scope
from fip.service.tokens import authenticate
from fip.store.pseudonymise import pseudonym, resolve_key

#: Namespace of the form tokens made from an ``Idempotency-Key`` (uuid5 of owner and key).
IDEMPOTENCY_NAMESPACE = uuid.UUID("7d2f3b0e-4c1a-5e8b-9a6d-0f1e2d3c4b5a")
MAX_KEY = 200
#: Largest row number accepted in a path (a bigint).
MAX_ID = 2**63 - 1
PERSON_FIELDS = ("gender", "birth_year", "origin", "education", "work_experience", "arrival_date")


def error(status: int, message: str, **extra) -> JsonResponse:
    """A JSON error; CPR-like numbers in the message (a validator quoting the value sent)
    are masked (:func:`fip.errors.mask_personal`)."""
    response = JsonResponse({"error": mask_personal(message), **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="fip"'
    return response


def api_view(*methods: str, scope: str | Mapping[str, str], roles: tuple[str, ...] = ("caseworker",)):
    """Decorator of an API endpoint: the allowed methods (405 otherwise), token authentication
    (401), the token's rate limit (429 with ``Retry-After``; :mod:`fip.service.ratelimit`), one
    of ``roles`` (403), the token's ``scope`` (one scope, or one per method; 403 naming the
    missing scope), a JSON body for POST and PUT, never cached, CSRF exempt (no cookie is
    accepted as credentials). Authenticated responses carry the ``RateLimit-*`` headers."""
    needed = {m: scope for m in methods} if isinstance(scope, str) else dict(scope)
    if set(needed) != set(methods) or not all(s in SCOPES for s in needed.values()):
        raise ValueError(f"api_view: a known scope for each of {methods}; got {scope!r}")

    def wrap(view):
        @wraps(view)
        def inner(request, *args, **kwargs):
            # the API's messages are English; the validators' field messages follow them unless
            # the client asks for a language (Accept-Language, read by Django's LocaleMiddleware)
            with translation.override(translation.get_language() if "Accept-Language" in request.headers else "en"):
                return answer(request, *args, **kwargs)

        def answer(request, *args, **kwargs):
            if request.method not in methods:
                response = error(405, f"method {request.method} not allowed; use {', '.join(methods)}")
                response["Allow"] = ", ".join(methods)
                return response
            record = authenticate(request.headers.get("Authorization"))
            if record is None:
                return error(401, "a valid API token is needed: Authorization: Bearer <token> "
                                  "(unknown, expired or revoked tokens are refused)")
            rate = hit(record)
            if not rate.allowed:
                response = error(429, f"too many requests: this token may make {rate.limit} requests in "
                                      f"{limits(record)[1]} seconds; try again in {rate.reset} seconds")
            else:
                response = _authorised(request, record, needed[request.method], roles, view, args, kwargs)
            for name, value in rate.headers().items():
                response[name] = value
            return response

        return csrf_exempt(never_cache(inner))

    return wrap


def _authorised(request, record, needed: str, roles, view, args, kwargs):
    user = request.user = record.user
    if role(user) not in roles:
        return error(403, f"this token's user may not use this endpoint ({', '.join(roles)} only)")
    if (lacking := missing_scope(record.scopes, needed)) is not None:
        return error(403, f"this token lacks the scope {lacking} (its scopes: "
                          f"{', '.join(record.scopes) or 'none'}); an administrator can add it in the admin",
                     missing_scope=lacking)
    if request.method in ("POST", "PUT"):
        content_type = request.content_type or ""
        if content_type != "application/json":
            return error(415, "the request body must be JSON (Content-Type: application/json)")
        try:
            body = json.loads(request.body or b"null", parse_constant=_no_constant)
        except RequestDataTooBig:
            return error(413, "the request body is too large")
        except (ValueError, RecursionError):
            return error(400, "the request body is not valid JSON")
        if not isinstance(body, dict):
            return error(400, "the request body must be a JSON object")
        request.json = body
    return view(request, *args, **kwargs)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _person(request, pk: str) -> Person | None:
    """The visible person of row number ``pk`` (a path segment), or None."""
    if not pk.isascii() or not pk.isdigit() or not 0 < int(pk) <= MAX_ID:
        return None
    return visible_persons(request.user).filter(pk=int(pk)).first()


_NOT_FOUND = "no citizen with this id that you may open"


def _citizen_json(person: Person) -> dict:
    forms = Form.objects.filter(person=person).order_by("answered_on", "id")
    return {
        "id": person.pk, "municipality": person.municipality.code, "gender": person.gender,
        "birth_year": person.birth_year, "origin": person.origin, "education": person.education,
        "work_experience": person.work_experience,
        "arrival_date": person.arrival_date.isoformat() if person.arrival_date else None,
        "forms": [_form_json(f) for f in forms],
    }


def _form_json(form: Form) -> dict:
    return {"id": form.pk, "citizen": form.person_id, "respondent": form.respondent,
            "answered_on": form.answered_on.isoformat(), "language": form.language or None,
            "answers": {k: int(v) for k, v in form.answers.items()}}


def _field_errors(form) -> dict[str, list[str]]:
    return {k: [mask_personal(m) for m in v] for k, v in form.errors.items()}


def _as_form_data(body: dict, fields) -> dict | None:
    """JSON values as the strings a Django form reads; None if a value is not a scalar."""
    out = {}
    for name in fields:
        if name not in body or body[name] is None:
            continue
        v = body[name]
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            return None
        out[name] = str(v)
    return out


@api_view("POST", scope="citizens:write")
def citizens(request):
    """POST /api/v1/citizens: find the citizen of a CPR number, or create one in the caller's
    municipality (and as the caller's citizen). 200 with the citizen if it exists and is
    visible, 201 if created; 409 if the number belongs to a citizen the caller may not open."""
    body = request.json
    cpr = body.get("cpr")
    cpr_form = CprForm({"cpr": cpr if isinstance(cpr, str) else ""})
    if not cpr_form.is_valid():
        return error(400, "cpr: " + str(cpr_form.errors["cpr"][0]), fields={"cpr": _field_errors(cpr_form)["cpr"]})
    try:
        key = resolve_key()
    except FipError:
        key = None
    if key is None:
        return error(503, "the service has no pseudonym key (FIP_PSEUDONYM_KEY): citizens cannot be found or "
                          "created by CPR number")
    pid = pseudonym(cpr_form.cleaned_data["cpr"], key)
    del cpr_form, cpr, body["cpr"]
    person = visible_persons(request.user).filter(person_id=pid).first()
    if person is not None:
        audit(request, "api find citizen", person)
        return JsonResponse(_citizen_json(person), status=200)
    if Person.objects.filter(person_id=pid).exists():
        return error(409, "this CPR number belongs to a citizen you cannot open; ask an administrator to move "
                          "the citizen to you")
    p = profile(request.user)
    if p.caseworker is None:
        return error(403, "this token's user is not linked to a caseworker and cannot create citizens")
    data = _as_form_data(body, PERSON_FIELDS)
    if data is None:
        return error(400, "citizen fields must be strings or numbers")
    form = NewCitizenForm(data)
    if not form.is_valid():
        errors = _field_errors(form)
        return error(400, "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), fields=errors)
    try:
        with transaction.atomic():
            person = Person.objects.create(person_id=pid, municipality=p.municipality, caseworker=p.caseworker,
                                           **form.cleaned_data)
            service_dataset(Person.objects.filter(pk=person.pk))   # the library's validators
    except IntegrityError:
        return error(409, "this citizen has just been created by someone else; send the request again")
    except InvalidDataError as exc:
        return error(400, "; ".join(problem.expected for problem in exc.problems))
    audit(request, "create citizen", person, "api")
    return JsonResponse(_citizen_json(person), status=201)


@api_view("GET", scope="citizens:read")
def citizen(request, pk: str):
    """GET /api/v1/citizens/{id}: the citizen's record and forms."""
    person = _person(request, pk)
    if person is None:
        return error(404, _NOT_FOUND)
    audit(request, "open citizen", person, "api")
    return JsonResponse(_citizen_json(person))


def _idempotency_token(request, body: dict) -> uuid.UUID | None | str:
    """The form's submission token from the Idempotency-Key header or the body's ``uuid``
    (per token owner, so two systems' keys never collide); an error text if malformed."""
    key = request.headers.get("Idempotency-Key")
    if key is None and body.get("uuid") is not None:
        raw = body["uuid"]
        try:
            key = str(uuid.UUID(raw)) if isinstance(raw, str) else None
        except ValueError:
            key = None
        if key is None:
            return "uuid: expected a UUID"
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY or not key.isprintable():
        return f"Idempotency-Key: expected 1 to {MAX_KEY} printable characters"
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{request.user.pk}\n{key}")


@api_view("POST", scope="forms:write")
def citizen_forms(request, pk: str):
    """POST /api/v1/citizens/{id}/forms: one form (201), or the form stored before under the
    same idempotency key (200)."""
    person = _person(request, pk)
    if person is None:
        return error(404, _NOT_FOUND)
    body = request.json
    inst = instrument()
    respondent = body.get("respondent")
    if respondent not in inst.respondent_ids:
        return error(400, f"respondent: expected one of {', '.join(inst.respondent_ids)}",
                     fields={"respondent": [f"one of {', '.join(inst.respondent_ids)}"]})
    token = _idempotency_token(request, body)
    if isinstance(token, str):
        return error(400, token)
    if token is not None:
        done = Form.objects.filter(submission_token=token).first()
        if done is not None:
            if done.person_id != person.pk or done.respondent != respondent:
                return error(409, "this idempotency key was used for another form")
            return _replayed(done)
    caseworker = profile(request.user).caseworker
    if caseworker is None:
        return error(403, "this token's user is not linked to a caseworker and cannot enter forms")
    langs = tuple(inst.answer_languages)
    answers = body.get("answers")
    if not isinstance(answers, dict):
        return error(400, "answers: expected an object of item id -> score", fields={"answers": ["an object"]})
    items = inst.item_ids(respondent)
    unknown = sorted(set(answers) - set(items))
    if unknown:
        return error(400, f"answers: items {', '.join(unknown[:5])} are not items of the {respondent} form",
                     fields={"answers": [f"items of the {respondent} form: {', '.join(items)}"]})
    data = _as_form_data({**answers, "answered_on": body.get("answered_on"), "language": body.get("language")},
                         [*items, "answered_on", "language"])
    if data is None or any(isinstance(answers.get(i), float) for i in items):
        return error(400, "answers, answered_on and language must be whole numbers or strings")
    data["submission_token"] = str(token or uuid.uuid4())
    form = answer_form_class(inst, respondent, langs)(data)
    if not form.is_valid():
        errors = _field_errors(form)
        return error(400, "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), fields=errors)
    clean = form.cleaned_data
    try:
        with transaction.atomic():
            stored = Form.objects.create(person=person, caseworker=caseworker, respondent=respondent,
                                         answered_on=clean["answered_on"], language=clean["language"] or "",
                                         answers={it: clean[it] for it in items},
                                         submission_token=clean["submission_token"], entered_by=request.user)
            service_dataset(Person.objects.filter(pk=person.pk), outcomes=False)
    except IntegrityError:
        again = Form.objects.filter(submission_token=clean["submission_token"]).first()
        if token is not None and again is not None:
            return _replayed(again)
        return error(409, "a form of this kind is already stored for this citizen on this date")
    except InvalidDataError as exc:
        return error(400, "; ".join(problem.expected for problem in exc.problems))
    audit(request, "enter form", person, f"{respondent} (api)")
    return JsonResponse(_form_json(stored), status=201)


def _replayed(form: Form) -> JsonResponse:
    response = JsonResponse(_form_json(form), status=200)
    response["Idempotent-Replayed"] = "true"
    return response


def _number(value) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


@api_view("GET", scope="chance:read")
def citizen_chance(request, pk: str):
    """GET /api/v1/citizens/{id}/chance: the job chance from the deployed model (``available``
    false, other fields null, when the citizen has no measurement or no model is deployed)."""
    person = _person(request, pk)
    if person is None:
        return error(404, _NOT_FOUND)
    dataset = service_dataset(Person.objects.filter(pk=person.pk), outcomes=False)
    measurements = pair_forms(dataset).measurements
    measured = bool((measurements["person_id"] == person.person_id).any())
    chance = person_chance(dataset, measurements, person.person_id, "en") if measured else None
    audit(request, "chance", person, "api")
    empty = {"id": person.pk, "available": False, "probability": None, "ci_low": None, "ci_high": None,
             "window": None, "band": None, "model": None, "model_sha256": None, "items": []}
    if chance is None:
        return JsonResponse(empty)
    row = chance.row
    items = []
    for k in range(1, 4):
        item, c = row.get(f"item_{k}"), _number(row.get(f"item_{k}_contribution"))
        if item is not None and not (isinstance(item, float) and math.isnan(item)) and c is not None:
            items.append({"item": str(item), "label": instrument().label(str(item), "en"), "contribution": c})
    window = row.get("window")
    return JsonResponse({**empty, "available": True, "probability": _number(row["probability"]),
                         "ci_low": _number(row.get("ci_low")), "ci_high": _number(row.get("ci_high")),
                         "window": None if window is None or (isinstance(window, float) and math.isnan(window))
                         else str(window),
                         "band": str(row["band"]), "model": str(row.get("model", "")) or None,
                         "model_sha256": chance.model_sha256, "items": items})


def _assessment_json(person: Person, form: Form | None) -> dict:
    return {"id": person.pk, "form": form.pk if form else None,
            "answered_on": form.answered_on.isoformat() if form else None,
            "level": (form.caseworker_assessment or None) if form else None,
            "reason": form.assessment_reason if form else ""}


@api_view("GET", "PUT", scope={"GET": "assessment:read", "PUT": "assessment:write"})
def citizen_assessment(request, pk: str):
    """GET /api/v1/citizens/{id}/assessment: the caseworker's own assessment of the job chance
    and its reason, as on the citizen page (stored on the citizen's latest caseworker form;
    ``form`` null when there is none). PUT ``{"level": "low|medium|high", "reason": "...",
    "form": id}`` stores one (``form`` optional: the latest caseworker form; naming it makes a
    resent request change nothing once a newer form exists), screened as on the page (no CPR
    number, no formula-like start, no control characters, at most 500 characters)."""
    from fip.service.forms import AssessmentForm
    from fip.service.views import _assessed_form

    person = _person(request, pk)
    if person is None:
        return error(404, _NOT_FOUND)
    latest = _assessed_form(person)
    if request.method == "GET":
        audit(request, "open assessment", person, "api")
        return JsonResponse(_assessment_json(person, latest))
    body = request.json
    unknown = sorted(set(body) - {"level", "reason", "form"})
    if unknown:
        return error(400, f"unknown fields {', '.join(unknown[:5])}; expected level, reason, form",
                     fields={k: ["not a field of an assessment"] for k in unknown[:5]})
    target_id = body.get("form", latest.pk if latest else None)
    reason = body.get("reason", "")
    if reason is None:
        reason = ""
    wrong = {name: [expected] for name, ok, expected in (
        ("level", isinstance(body.get("level"), str), "required: one of low, medium, high"),
        ("reason", isinstance(reason, str), "a string"),
        ("form", target_id is None or (isinstance(target_id, int) and not isinstance(target_id, bool)),
         "a caseworker form's id"))
        if not ok}
    if wrong:
        return error(400, "; ".join(f"{k}: {v[0]}" for k, v in wrong.items()), fields=wrong)
    if target_id is None:
        return error(409, "the citizen has no caseworker form yet: an assessment is stored with one")
    if not 0 < target_id <= MAX_ID:
        return error(404, "no caseworker form with this id for this citizen")
    form = AssessmentForm({"form": str(target_id), "caseworker_assessment": body["level"],
                           "assessment_reason": reason})
    if not form.is_valid():
        errors = {{"caseworker_assessment": "level", "assessment_reason": "reason"}.get(k, k): v
                  for k, v in _field_errors(form).items()}
        return error(400, "; ".join(f"{k}: {v[0]}" for k, v in errors.items()), fields=errors)
    data = form.cleaned_data
    target = Form.objects.filter(pk=data["form"], person=person, respondent=instrument().caseworker_from).first()
    if target is None:
        return error(404, "no caseworker form with this id for this citizen")
    level, reason = data["caseworker_assessment"], data["assessment_reason"]
    try:
        changed = store_assessment(person, target, level, reason)
    except InvalidDataError as exc:
        return error(400, "; ".join(problem.expected for problem in exc.problems))
    if changed:
        audit(request, "assess chance", person, f"{target.answered_on:%Y-%m-%d}: {level} (api)")
        target.refresh_from_db()
    return JsonResponse(_assessment_json(person, target))


@api_view("GET", scope="export:read", roles=("analyst", "researcher"))
def export(request):
    """GET /api/v1/export?format=csv|xlsx|dta|sav: the export page's zip (analysts: their
    municipality; researchers: all municipalities with research ids); audited."""
    from fip.service.export import EXPORT_FORMATS, build_export, zip_response

    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        return error(400, f"format: expected one of {', '.join(EXPORT_FORMATS)}")
    try:
        body, name = build_export(request, fmt)
    except FipError:
        return error(503, "the export needs the service's pseudonym key (FIP_PSEUDONYM_KEY)")
    return zip_response(body, name)


@csrf_exempt
def openapi(request):
    """GET /api/v1/openapi.json: the OpenAPI 3.1 document (public: it holds no data)."""
    from fip.service.openapi import openapi_document

    if request.method != "GET":
        response = error(405, "method not allowed; use GET")
        response["Allow"] = "GET"
        return response
    return JsonResponse(openapi_document(), json_dumps_params={"indent": 1})


def not_found(request, *args, **kwargs):
    """Any other path under /api/: 404 in JSON."""
    return error(404, "no such API endpoint; see /api/v1/openapi.json")
