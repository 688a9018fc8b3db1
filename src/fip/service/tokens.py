"""Bearer tokens of the HTTP API: created once, stored as a SHA-256 hash, checked per request.

A token is ``fip_`` followed by 43 URL-safe characters (256 random bits). The database keeps
its SHA-256 only (:class:`fip.service.models.ApiToken`), so a copy of the database gives no
usable token; with 256 random bits a plain hash suffices (no salt, no slow hash: nothing to
guess). A token acts as its owner, limited to its scopes (:mod:`fip.service.scopes`; by
default those of its owner's role); it stops working when it expires, when it is deleted, and
when its owner is deleted or deactivated.

Examples
--------
>>> token = new_token_text()
>>> token.startswith("fip_") and len(token) == 47
True
>>> len(token_hash(token))
64
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.utils import timezone

from fip.errors import FipError
from fip.service.models import ApiToken
from fip.service.scopes import check_scopes, default_scopes

__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "authenticate", "authenticate_token", "create_token", "new_token_text",
           "token_hash"]

#: Days a token is valid unless told otherwise, and the longest validity accepted.
DEFAULT_DAYS = 90
MAX_DAYS = 366
PREFIX = "fip_"


def new_token_text() -> str:
    """A new random token (``fip_`` + 256 random bits, URL-safe base64)."""
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 (hex) of the token's UTF-8 bytes: what the database stores."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(username: str, *, days: int = DEFAULT_DAYS, name: str = "",
                 scopes: Iterable[str] | None = None, rate_limit: int | None = None) -> tuple[ApiToken, str]:
    """Create a token for the user ``username``; returns the record and the token (shown once).

    Parameters
    ----------
    scopes : iterable of str, optional
        What the token may do (:data:`fip.service.scopes.SCOPES`); default: every scope of the
        user's role (:data:`~fip.service.scopes.ROLE_SCOPES`).
    rate_limit : int, optional
        Requests per window for this token; default: the service's ``API_RATE_LIMIT``.

    Raises
    ------
    FipError
        If there is no such (active) user, the user has no role, a scope is unknown, or
        ``days`` is not within 1-:data:`MAX_DAYS`.
    """
    if rate_limit is not None and rate_limit < 1:
        raise FipError(f"--rate-limit: expected at least 1 request per window; got {rate_limit}")
    if not 1 <= days <= MAX_DAYS:
        raise FipError(f"--days: expected 1 to {MAX_DAYS} days; got {days}")
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise FipError(f"no active user named {username!r} in the service")
    if not hasattr(user, "fip_profile"):
        raise FipError(f"user {username!r} has no role; give the user a role in the admin first")
    granted = default_scopes(user.fip_profile.role) if scopes is None else check_scopes(scopes)
    token = new_token_text()
    record = ApiToken.objects.create(user=user, name=name[:100], token_sha256=token_hash(token),
                                     prefix=token[:12], expires_at=timezone.now() + dt.timedelta(days=days),
                                     scopes=granted, rate_limit=rate_limit)
    return record, token


def authenticate_token(header: str | None):
    """The user of an ``Authorization: Bearer <token>`` header, or None (see :func:`authenticate`)."""
    record = authenticate(header)
    return None if record is None else record.user


def authenticate(header: str | None) -> ApiToken | None:
    """The token record of an ``Authorization: Bearer <token>`` header (its ``user`` loaded),
    or None (no header, another scheme, unknown or expired token, owner deleted or inactive).
    Records the last use."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(PREFIX) or len(token) > 200:
        return None
    record = ApiToken.objects.select_related("user").filter(token_sha256=token_hash(token)).first()
    if record is None or not record.user.is_active:
        return None
    now = timezone.now()
    if record.expires_at <= now:
        return None
    # at most one write a minute per token
    if record.last_used_at is None or now - record.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record
