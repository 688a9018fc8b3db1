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

from fip.data.schema import schema_codes
from fip.service.api import MAX_ID, MAX_KEY
from fip.service.data import instrument

__all__ = ["openapi_document"]

_ERROR = {"type": "object", "required": ["error"],
          "properties": {"error": {"type": "string"},
                         "fields": {"type": "object", "additionalProperties": {"type": "array",
                                                                                "items": {"type": "string"}}}}}


def _json(ref: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _errors(*codes: int) -> dict:
    text = {400: "invalid request (the fields that are wrong are listed)", 401: "no valid token",
            403: "the token's user may not do this", 404: "no citizen with this id that you may open",
            405: "method not allowed", 409: "conflict", 413: "request body too large",
            415: "the body is not JSON", 503: "the service has no pseudonym key"}
    return {str(c): {"description": text[c], "content": _json("Error")} for c in codes}


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    """The OpenAPI 3.1 document (a fresh copy is not needed: callers only serialise it)."""
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
    idem = {"name": "Idempotency-Key", "in": "header", "required": False,
            "description": "the same key again stores no second form and returns the stored one (200)",
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY, "pattern": "^[!-~]+$"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "FIP service API", "version": "1.0.0",
                 "description": "Send FIP forms and fetch the job chance from a municipal case system. "
                                "Token authentication (`fip api-token USER`); a token acts as its user: the "
                                "citizen endpoints for caseworkers (their citizens only), the export for "
                                "analysts and researchers."},
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
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "a token from `fip api-token USER`"}},
            "schemas": {"Error": _ERROR, "Citizen": citizen, "Form": form, "NewCitizen": new_citizen,
                        "NewForm": {"oneOf": [new_form(r) for r in inst.respondent_ids]},
                        "Chance": chance},
        },
    }
