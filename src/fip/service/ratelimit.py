"""Rate limit of the API per token: at most ``limit`` requests in any ``API_RATE_WINDOW``
seconds (default 120 requests a minute), counted in the database.

A sliding log: every served request of a token is a row (:class:`fip.service.models.ApiRequest`);
a request is served when fewer than ``limit`` of the token's rows lie in the last window,
so no stretch of ``window`` seconds ever holds more than ``limit`` served requests (a fixed
window would let ``limit`` through at the end of one window and ``limit`` more at the start
of the next). Refused requests are not logged: a client that waits as ``Retry-After`` says
is served. Rows older than the window are deleted as the token is used (at most ``limit``
rows per token are kept).

Several server processes (``gunicorn --workers N``) on one database share the log exactly:
the count and the insert run in one transaction that first takes the token's row lock
(PostgreSQL ``SELECT ... FOR UPDATE``) or SQLite's write lock (the deletion of the old rows
comes first). On PostgreSQL the transaction does not wait for the WAL flush
(``SET LOCAL synchronous_commit TO OFF``: a crash may lose the last few requests' rows, never
other data). Cost per request: ``benchmarks/bench_api_ratelimit.py``.

A refused request gets 429 with ``Retry-After`` (whole seconds until the oldest request of the
window leaves it); every authenticated response carries ``RateLimit-Limit``,
``RateLimit-Remaining`` and ``RateLimit-Reset`` (seconds until the oldest request of the
window leaves it: then ``RateLimit-Remaining`` grows by one).

Settings: ``API_RATE_LIMIT`` (requests per window, env ``FIP_API_RATE_LIMIT``) and
``API_RATE_WINDOW`` (seconds, env ``FIP_API_RATE_WINDOW``); a token's own ``rate_limit``
(set in the admin) replaces ``API_RATE_LIMIT`` for that token.

Examples
--------
>>> RateDecision(limit=2, count=3, reset=5).allowed
False
>>> RateDecision(limit=2, count=1, reset=5).headers()["RateLimit-Remaining"]
'1'
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone

from fip.service.models import ApiRequest, ApiToken

__all__ = ["RateDecision", "hit", "limits"]


@dataclass(frozen=True)
class RateDecision:
    """One request counted: the limit, the token's requests in the last window including this
    one, and whole seconds until the oldest of them leaves the window (one more is available)."""

    limit: int
    count: int
    reset: int

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    def headers(self) -> dict[str, str]:
        out = {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining),
               "RateLimit-Reset": str(self.reset)}
        if not self.allowed:
            out["Retry-After"] = str(self.reset)
        return out


def limits(record: ApiToken | None = None) -> tuple[int, int]:
    """(requests per window, window in seconds) for ``record`` (its own limit, else the setting)."""
    limit = getattr(record, "rate_limit", None) or settings.API_RATE_LIMIT
    return int(limit), int(settings.API_RATE_WINDOW)


def _now() -> dt.datetime:
    return timezone.now()


def hit(record: ApiToken) -> RateDecision:
    """Count one request of the token ``record`` and say whether it is served.

    ``count`` is the number of the token's requests in the last window including this one,
    so a refused request has ``count = limit + 1``.
    """
    limit, window = limits(record)
    now = _now()
    since = now - dt.timedelta(seconds=window)
    log = ApiRequest.objects.filter(token=record)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # a log of requests need not wait for the WAL flush: a crash loses at most the
            # last few rows (never a form); the lock and the exact count are unchanged
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            ApiToken.objects.select_for_update().filter(pk=record.pk).values_list("pk").get()
        log.filter(at__lte=since).delete()          # on SQLite this write takes the lock first
        window_log = log.aggregate(n=Count("id"), oldest=Min("at"))
        served = window_log["n"] < limit
        if served:
            ApiRequest.objects.create(token=record, at=now)
    count = window_log["n"] + 1
    # Remaining grows (and a refused client is served) when the oldest of the window leaves it
    frees_at = (window_log["oldest"] or now) + dt.timedelta(seconds=window)
    return RateDecision(limit=limit, count=count, reset=max(1, math.ceil((frees_at - now).total_seconds())))
