"""Scopes of the API tokens: what a token may do, on top of what its user's role allows.

A token carries a list of scopes (:attr:`fip.service.models.ApiToken.scopes`, set by
``fip api-token --scope`` or by an administrator in the admin). Every API endpoint needs one
scope (:data:`ENDPOINT_SCOPES`); a token without it gets 403 with a JSON error naming the
missing scope, even when its user's role would allow the call. The role still applies: a
scope never widens what a user may open (a caseworker token with ``export:read`` still gets
403 on the export, and other municipalities' citizens still give 404).

Examples
--------
>>> sorted(ROLE_SCOPES["analyst"])
['export:read']
>>> missing_scope(["chance:read"], "forms:write")
'forms:write'
>>> missing_scope(["chance:read"], "chance:read") is None
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from fip.errors import FipError

__all__ = ["ENDPOINT_SCOPES", "ROLE_SCOPES", "SCOPES", "check_scopes", "default_scopes", "missing_scope"]

#: Every scope and what it allows (the OpenAPI document and the admin show these words).
SCOPES: Mapping[str, str] = MappingProxyType({
    "citizens:read": "read a citizen's record and forms (GET /api/v1/citizens/{id})",
    "citizens:write": "find a citizen by CPR number or create one (POST /api/v1/citizens)",
    "forms:write": "store forms (POST /api/v1/citizens/{id}/forms)",
    "chance:read": "read the job chance (GET /api/v1/citizens/{id}/chance)",
    "assessment:read": "read the caseworker's own assessment (GET /api/v1/citizens/{id}/assessment)",
    "assessment:write": "store the caseworker's own assessment (PUT /api/v1/citizens/{id}/assessment)",
    "export:read": "export the data as a FIP dataset (GET /api/v1/export)",
})

#: The scopes a role can use; a token made without ``--scope`` gets those of its user's role.
ROLE_SCOPES: Mapping[str, frozenset[str]] = MappingProxyType({
    "caseworker": frozenset({"citizens:read", "citizens:write", "forms:write", "chance:read", "assessment:read",
                             "assessment:write"}),
    "analyst": frozenset({"export:read"}),
    "researcher": frozenset({"export:read"}),
    "manager": frozenset(),
    "administrator": frozenset(),
})

#: The scope each operation needs, by (path, method) as in the OpenAPI document.
ENDPOINT_SCOPES: Mapping[tuple[str, str], str] = MappingProxyType({
    ("/api/v1/citizens", "POST"): "citizens:write",
    ("/api/v1/citizens/{id}", "GET"): "citizens:read",
    ("/api/v1/citizens/{id}/forms", "POST"): "forms:write",
    ("/api/v1/citizens/{id}/chance", "GET"): "chance:read",
    ("/api/v1/citizens/{id}/assessment", "GET"): "assessment:read",
    ("/api/v1/citizens/{id}/assessment", "PUT"): "assessment:write",
    ("/api/v1/export", "GET"): "export:read",
})


def check_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes sorted and without repeats; :class:`~fip.errors.FipError` naming an unknown one.

    Examples
    --------
    >>> check_scopes(["forms:write", "chance:read", "forms:write"])
    ['chance:read', 'forms:write']
    """
    out = sorted(set(scopes))
    for s in out:
        if s not in SCOPES:
            raise FipError(f"scope {s!r}: expected one of {', '.join(SCOPES)}")
    return out


def default_scopes(role: str | None) -> list[str]:
    """The scopes of a token made for a user of ``role`` without ``--scope``: all the role can use."""
    return sorted(ROLE_SCOPES.get(role or "", frozenset()))


def missing_scope(granted: Iterable[str] | None, needed: str) -> str | None:
    """``needed`` if it is not among ``granted``, else None."""
    return None if needed in set(granted or ()) else needed
