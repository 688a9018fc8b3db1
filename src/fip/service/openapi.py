"""The OpenAPI 3.1 document of the service's API (:mod:`fip.service.api`), written as data.

The item fields of a form come from the service's instrument, the citizen fields' codes from
``configs/schema.yaml``, so the document says what the validators accept. Served at
``/api/v1/openapi.json``; checked against the OAS 3.1 schema (openapi-spec-validator) and
by schemathesis in ``tests/service/test_service_api_schema.py``.

Examples
--------
>>> doc = openapi_document()
>>> doc["openapi"], sorted(doc["paths"])[:2]
('3.1.0', ['/api/v1/citizens', '/api/v1/citizens/{id}'])
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from fip.data.schema import schema_codes
from fip.service.api import MAX_ID, MAX_KEY
from fip.service.data import instrument
from fip.service.models import ASSESSMENT_REASON_MAX
from fip.service.scopes import ENDPOINT_SCOPES, SCOPES

__all__ = ["openapi_document"]

_ERROR = {"type": "object", "required": ["error"],
          "properties": {"error": {"type": "string"},
                         "missing_scope": {"type": "string", "enum": list(SCOPES),
                                           "description": "403: the scope the token lacks"},
                         "fields": {"type": "object", "additionalProperties": {"type": "array",
                                                                                "items": {"type": "string"}}}}}


def _json(ref: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _errors(*codes: int) -> dict:
    text = {400: "invalid request (the fields that are wrong are listed)", 401: "no valid token",
            403: "the token's user may not do this, or the token lacks the operation's scope (named in "
                 "missing_scope)", 404: "no citizen with this id that you may open",
            405: "method not allowed", 409: "conflict", 413: "request body too large",
            415: "the body is not JSON", 429: "too many requests from this token in the window: wait Retry-After "
                                              "seconds", 503: "the service has no pseudonym key"}
    out = {str(c): {"description": text[c], "content": _json("Error")} for c in codes}
    if 429 in codes:
        out["429"]["headers"] = {"Retry-After": {"$ref": "#/components/headers/Retry-After"},
                                 **_RATE_HEADERS}
    return out


_RATE_HEADERS = {h: {"$ref": f"#/components/headers/{h}"}
                 for h in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")}


def _secured(path: str, method: str, operation: dict) -> dict:
    """An operation with its scope (``security``), the 401 and 429 answers and the rate headers."""
    scope = ENDPOINT_SCOPES[(path, method.upper())]
    responses = {**operation["responses"], **_errors(401, 403, 429)}
    for code, answer in responses.items():
        if code not in ("401", "429"):
            answer = responses[code] = {**answer, "headers": {**answer.get("headers", {}), **_RATE_HEADERS}}
    return {**operation, "security": [{"bearer": [scope]}], "responses": dict(sorted(responses.items())),
            "description": (operation.get("description", "") + f" Needs the token scope `{scope}`.").strip()}


def openapi_document() -> dict:
    """The OpenAPI 3.1 document, with the service's rate limit (settings ``API_RATE_LIMIT``
    per ``API_RATE_WINDOW`` seconds) written into it."""
    return _document(int(settings.API_RATE_LIMIT), int(settings.API_RATE_WINDOW))


@lru_cache(maxsize=4)
def _document(rate_limit: int, rate_window: int) -> dict:
    """The document for one rate limit (a fresh copy is not needed: callers only serialise it)."""
    inst = instrument()
    scale = inst.scale.values
    item_ids = inst.item_ids()
    score = {"type": "integer", "minimum": min(scale), "maximum": max(scale)}
    citizen_id = {"name": "id", "in": "path", "required": True, "description": "the citizen's row number",
                  "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
    form = {"type": "object", "required": ["id", "citizen", "respondent", "answered_on", "language", "answers"],
            "properties": {"id": {"type": "integer"}, "citizen": {"type": "integer"},
                           "respondent": {"type": "string", "enum": list(inst.respondent_ids)},
                           "answered_on": {"type": "string", "format": "date"},
                           "language": {"type": ["string", "null"]},
                           "answers": {"type": "object", "additionalProperties": score}}}
    citizen = {"type": "object",
               "required": ["id", "municipality", "gender", "birth_year", "origin", "education", "work_experience",
                            "arrival_date", "forms"],
               "properties": {"id": {"type": "integer"}, "municipality": {"type": "string"},
                              "gender": {"type": "string"}, "birth_year": {"type": ["integer", "null"]},
                              "origin": {"type": "string"}, "education": {"type": "string"},
                              "work_experience": {"type": "string"},
                              "arrival_date": {"type": ["string", "null"], "format": "date"},
                              "forms": {"type": "array", "items": {"$ref": "#/components/schemas/Form"}}}}
    new_citizen = {
        "type": "object", "required": ["cpr"],
        "description": "cpr alone finds a citizen; creating one needs the other fields too",
        "properties": {
            "cpr": {"type": "string", "pattern": r"^\d{6}-?\d{4}$", "description": "ddmmyy-xxxx or ddmmyyxxxx; "
                    "hashed at once with the service's pseudonym key, never stored, shown or logged"},
            "gender": {"type": "string", "enum": list(schema_codes("persons", "gender"))},
            "birth_year": {"type": "integer", "minimum": 1900, "maximum": 2100},
            "origin": {"type": "string", "maxLength": 100},
            "education": {"type": "string", "enum": list(schema_codes("persons", "education"))},
            "work_experience": {"type": "string", "enum": list(schema_codes("persons", "work_experience"))},
            "arrival_date": {"type": "string", "format": "date"}}}
    def new_form(respondent: str) -> dict:
        items = list(inst.item_ids(respondent))
        return {
            "type": "object", "required": ["respondent", "answered_on", "answers"],
            "properties": {
                "respondent": {"const": respondent},
                "answered_on": {"type": "string", "format": "date",
                                "description": "not in the future, not before 2000-01-01"},
                "language": {"type": "string", "enum": list(inst.answer_languages)},
                "uuid": {"type": "string", "format": "uuid", "description": "idempotency key, if no header is sent"},
                "answers": {"type": "object", "description": f"every item of the {respondent} form",
                            "properties": {i: score for i in items}, "required": items,
                            "additionalProperties": False}}}

    chance = {"type": "object",
              "required": ["id", "available", "probability", "ci_low", "ci_high", "window", "band", "model",
                           "model_sha256", "items"],
              "properties": {"id": {"type": "integer"}, "available": {"type": "boolean"},
                             "probability": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                             "ci_low": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                             "ci_high": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                             "window": {"type": ["string", "null"]}, "band": {"type": ["string", "null"]},
                             "model": {"type": ["string", "null"]},
                             "model_sha256": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
                             "items": {"type": "array", "maxItems": 3, "items": {
                                 "type": "object", "required": ["item", "label", "contribution"],
                                 "properties": {"item": {"type": "string"}, "label": {"type": "string"},
                                                "contribution": {"type": "number"}}}}}}
    levels = list(schema_codes("forms", "caseworker_assessment"))
    assessment = {"type": "object", "required": ["id", "form", "answered_on", "level", "reason"],
                  "properties": {"id": {"type": "integer", "description": "the citizen's row number"},
                                 "form": {"type": ["integer", "null"],
                                          "description": "the caseworker form the assessment is stored with "
                                                         "(null: the citizen has none yet)"},
                                 "answered_on": {"type": ["string", "null"], "format": "date"},
                                 "level": {"type": ["string", "null"], "enum": [*levels, None]},
                                 "reason": {"type": "string", "maxLength": ASSESSMENT_REASON_MAX}}}
    new_assessment = {
        "type": "object", "required": ["level"], "additionalProperties": False,
        "properties": {"level": {"type": "string", "enum": levels,
                                 "description": "the caseworker's own assessment of the job chance"},
                       "reason": {"type": "string", "maxLength": ASSESSMENT_REASON_MAX,
                                  "description": "why (no CPR numbers, no leading = + - @, no control "
                                                 "characters)"},
                       "form": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                                "description": "the caseworker form to store it with (default: the latest)"}}}
    idem = {"name": "Idempotency-Key", "in": "header", "required": False,
            "description": "the same key again stores no second form and returns the stored one (200)",
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY, "pattern": "^[!-~]+$"}}
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "FIP service API", "version": "1.1.0",
                 "description": "Send FIP forms and fetch the job chance from a municipal case system. "
                                "Token authentication (`fip api-token USER`); a token acts as its user: the "
                                "citizen endpoints for caseworkers (their citizens only), the export for "
                                "analysts and researchers; each operation also needs a scope on the token. "
                                f"Rate limit: {rate_limit} requests per token in any {rate_window} seconds "
                                "(a sliding window; a token may have its own limit); beyond it 429 with "
                                "Retry-After. Every authenticated response carries RateLimit-Limit, "
                                "RateLimit-Remaining and RateLimit-Reset."},
        "x-rate-limit": {"requests": rate_limit, "window_seconds": rate_window, "per": "token",
                         "kind": "sliding window"},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/citizens": {"post": {
                "operationId": "findOrCreateCitizen", "summary": "find the citizen of a CPR number, or create one",
                "requestBody": {"required": True, "content": _json("NewCitizen")},
                "responses": {"200": {"description": "the citizen exists", "content": _json("Citizen")},
                              "201": {"description": "created", "content": _json("Citizen")},
                              **_errors(400, 401, 403, 409, 413, 415, 503)}}},
            "/api/v1/citizens/{id}": {"get": {
                "operationId": "getCitizen", "summary": "a citizen and their forms", "parameters": [citizen_id],
                "responses": {"200": {"description": "the citizen", "content": _json("Citizen")},
                              **_errors(401, 403, 404)}}},
            "/api/v1/citizens/{id}/forms": {"post": {
                "operationId": "addForm", "summary": "store one form", "parameters": [citizen_id, idem],
                "requestBody": {"required": True, "content": _json("NewForm")},
                "responses": {"200": {"description": "stored before under the same idempotency key",
                                      "content": _json("Form")},
                              "201": {"description": "stored", "content": _json("Form")},
                              **_errors(400, 401, 403, 404, 409, 413, 415)}}},
            "/api/v1/citizens/{id}/chance": {"get": {
                "operationId": "getChance", "summary": "the citizen's chance of a job (deployed model)",
                "parameters": [citizen_id],
                "responses": {"200": {"description": "the chance (available false without a measurement or model)",
                                      "content": _json("Chance")},
                              **_errors(401, 403, 404)}}},
            "/api/v1/citizens/{id}/assessment": {
                "get": {"operationId": "getAssessment", "parameters": [citizen_id],
                        "summary": "the caseworker's own assessment of the citizen's job chance, and why",
                        "responses": {"200": {"description": "the assessment (level null: none yet)",
                                              "content": _json("Assessment")},
                                      **_errors(404)}},
                "put": {"operationId": "putAssessment", "parameters": [citizen_id],
                        "summary": "store the caseworker's own assessment (on the latest caseworker form, or "
                                   "the one named)",
                        "requestBody": {"required": True, "content": _json("NewAssessment")},
                        "responses": {"200": {"description": "stored (the same values again change nothing)",
                                              "content": _json("Assessment")},
                                      **_errors(400, 404, 409, 413, 415)}}},
            "/api/v1/export": {"get": {
                "operationId": "export", "summary": "the data as a FIP dataset (zip of persons, forms, outcomes); "
                                                    "analysts: their municipality, researchers: all, research ids",
                "parameters": [{"name": "format", "in": "query", "required": False,
                                "schema": {"type": "string", "enum": ["csv", "xlsx", "dta", "sav"], "default": "csv"}}],
                "responses": {"200": {"description": "zip file",
                                      "content": {"application/zip": {"schema": {"type": "string",
                                                                                 "contentMediaType": "application/zip"}}}},
                              **_errors(400, 401, 403, 503)}}},
            "/api/v1/openapi.json": {"get": {
                "operationId": "openapi", "summary": "this document", "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1 document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        },
        "components": {
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "a token from `fip api-token USER [--scope S]...`. Each operation lists the scope "
                               "it needs in its security requirement (OpenAPI 3.1 role names); the scopes: "
                               + "; ".join(f"`{k}`: {v}" for k, v in SCOPES.items()),
                "x-scopes": dict(SCOPES)}},
            "headers": {
                "Retry-After": {"description": "whole seconds until the window ends and requests are taken "
                                               "again", "schema": {"type": "integer", "minimum": 1}},
                "RateLimit-Limit": {"description": f"requests per window of {rate_window} seconds for this token",
                                    "schema": {"type": "integer", "minimum": 1}},
                "RateLimit-Remaining": {"description": "requests left in the current window",
                                        "schema": {"type": "integer", "minimum": 0}},
                "RateLimit-Reset": {"description": "whole seconds until the current window ends",
                                    "schema": {"type": "integer", "minimum": 1}}},
            "schemas": {"Error": _ERROR, "Citizen": citizen, "Form": form, "NewCitizen": new_citizen,
                        "NewForm": {"oneOf": [new_form(r) for r in inst.respondent_ids]},
                        "Chance": chance, "Assessment": assessment, "NewAssessment": new_assessment},
        },
    }
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if (path, method.upper()) in ENDPOINT_SCOPES:
                item[method] = _secured(path, method, operation)
    return doc
