"""Roles and the one rule for which persons a user may see.

Every view that shows or changes person-level data takes its persons from
:func:`visible_persons` (and forms through those persons), so a URL naming another
municipality's citizen gives 404, never data. Managers see aggregates of their own
municipality only: their visible persons are none.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.views.decorators.cache import never_cache

from fip.service.models import AuditEvent, Person, Profile


def profile(user) -> Profile | None:
    """The user's role record, or None (anonymous users, users without a role)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.fip_profile
    except Profile.DoesNotExist:
        return None


def role(user) -> str | None:
    p = profile(user)
    return p.role if p is not None else None


def visible_persons(user) -> QuerySet[Person]:
    """Persons whose person-level data ``user`` may open (caseworkers only).

    A caseworker sees the citizens they are responsible for, or all citizens of their
    municipality when ``FIP_CASEWORKER_SCOPE=municipality``; everyone else sees none here.
    """
    p = profile(user)
    if p is None or p.role != "caseworker" or p.municipality_id is None:
        return Person.objects.none()
    mine = Person.objects.filter(municipality_id=p.municipality_id)
    if settings.CASEWORKER_SCOPE == "municipality":
        return mine
    if p.caseworker_id is None:
        return Person.objects.none()
    return mine.filter(caseworker_id=p.caseworker_id)


def role_page(*roles: str):
    """View decorator of every page with person or municipality data: log in first (else a
    redirect to the login page), 403 unless the user has one of ``roles``, never cached."""

    def wrap(view):
        @wraps(view)
        def inner(request, *args, **kwargs):
            if role(request.user) not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(never_cache(inner))

    return wrap


def audit(request, action: str, person: Person | None = None, detail: str = "") -> None:
    """Record an audit event (readable by administrators in the admin)."""
    AuditEvent.objects.create(user=request.user, action=action, person=person, detail=detail[:500])


def role_context(request) -> dict:
    """Template context: the user's role and municipality."""
    p = profile(request.user)
    return {"fip_role": p.role if p else None, "fip_role_label": p.get_role_display() if p else None,
            "fip_municipality": p.municipality if p else None}
