"""Rate limit of the API per token: at most ``limit`` requests in each window of
``API_RATE_WINDOW`` seconds (default 120 requests a minute), counted in the database.

The counter is a row per token and window (:class:`fip.service.models.ApiRateWindow`),
incremented by one ``UPDATE ... SET count = count + 1`` and read back in the same transaction,
so several server processes (``gunicorn --workers N``) on one database share it exactly: the
row stays locked from the increment to the commit (PostgreSQL row lock; SQLite's one writer).
On PostgreSQL the counter's transaction does not wait for the WAL flush
(``SET LOCAL synchronous_commit TO OFF``: a crash may lose the last counts, never other data).
Cost per request (``benchmarks/bench_api_ratelimit.py``): about 20 ms on SQLite (a commit with
its fsync), 2-3 ms on PostgreSQL. Windows are fixed (aligned to multiples of the window since the epoch): a client may send
``limit`` requests at the end of one window and ``limit`` more at the start of the next.

A refused request gets 429 with ``Retry-After`` (whole seconds to the window's end); every
authenticated response carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset`` (seconds to the window's end).

Settings: ``API_RATE_LIMIT`` (requests per window, env ``FIP_API_RATE_LIMIT``) and
``API_RATE_WINDOW`` (seconds, env ``FIP_API_RATE_WINDOW``); a token's own ``rate_limit``
(set in the admin) replaces ``API_RATE_LIMIT`` for that token.

Examples
--------
>>> window_start(125.0, 60)
120
>>> RateDecision(limit=2, count=3, reset=5).allowed
False
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from fip.service.models import ApiRateWindow, ApiToken

__all__ = ["RateDecision", "hit", "limits", "window_start"]


@dataclass(frozen=True)
class RateDecision:
    """One request counted: the limit, the count in the window including this request, and
    whole seconds until the window ends."""

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


def window_start(timestamp: float, window: int) -> int:
    """The start (seconds since the epoch) of the fixed window holding ``timestamp``."""
    return int(math.floor(timestamp / window) * window)


def _now() -> dt.datetime:
    return timezone.now()


def hit(record: ApiToken) -> RateDecision:
    """Count one request of the token ``record`` and say whether it is within the limit.

    A refused request is counted too (a client hammering the API does not get a fresh
    allowance sooner), so the count may exceed the limit.
    """
    limit, window = limits(record)
    now = _now().timestamp()
    start = window_start(now, window)
    start_at = dt.datetime.fromtimestamp(start, tz=dt.UTC)
    rows = ApiRateWindow.objects.filter(token=record, window_start=start_at)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # a counter need not wait for the WAL flush: a crash loses at most the last few
            # counts (never a form); the row lock and the exact count are unchanged
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        if rows.update(count=F("count") + 1) == 0:
            try:
                with transaction.atomic():
                    ApiRateWindow.objects.create(token=record, window_start=start_at, count=1)
            except IntegrityError:                # another process made the row first
                rows.update(count=F("count") + 1)
            else:                                 # a new window: the token's old ones go
                ApiRateWindow.objects.filter(token=record, window_start__lt=start_at).delete()
        count = rows.values_list("count", flat=True).get()
    return RateDecision(limit=limit, count=int(count), reset=max(1, math.ceil(start + window - now)))
