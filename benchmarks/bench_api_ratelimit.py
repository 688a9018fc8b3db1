"""Benchmark: what the API's rate limit per token (fip.service.ratelimit: a sliding log, one row
per served request, counted and appended in one transaction) adds to a request.

In one process, on a throwaway SQLite file (or the database of FIP_DATABASE_URL, which must be
an empty database the script may migrate), one caseworker and one token; Django's test client
(WSGI in-process, no server) sends ``--requests`` authenticated GET /api/v1/citizens/1 (404: the
caseworker has no citizen 1, so the view itself does almost nothing) with the limiter, and as
many with the limiter replaced by a stub that counts nothing (the peer). Prints the median and
95th percentile of both, their difference, and the time of ``ratelimit.hit`` alone.

Measured 2026-12-04 18:36 UTC on the 2-core machine while CI ran beside it (load average 3),
with the sliding log: SQLite file, ``hit`` alone p50 2.9 ms (p95 6.7), requests p50 8.1 ms vs
1.7 ms without the limiter; PostgreSQL 15, ``hit`` p50 2.1 ms (p95 6.3), requests +2.7 ms at
p50. Earlier, with the fixed-window counter (an UPDATE and a read; load average 5-14): SQLite
``hit`` p50 20.0 ms, PostgreSQL p50 2.2-3.0 ms with ``synchronous_commit = off``, 8.0 ms without.

Usage: python benchmarks/bench_api_ratelimit.py [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="fip-bench-rate-")
    os.environ.update({"DJANGO_SETTINGS_MODULE": "fip.service.settings", "FIP_SERVICE_DATA": tmp,
                       "FIP_SERVICE_SECRET_KEY": "bench " * 10, "FIP_ALLOWED_HOSTS": "testserver",
                       "FIP_API_RATE_LIMIT": str(10 * args.requests)})
    import django

    django.setup()
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)      # no "Not Found" line per request
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from fip.service import api, ratelimit
    from fip.service.models import ApiToken, Caseworker, Municipality, Profile
    from fip.service.tokens import create_token

    call_command("migrate", interactive=False, verbosity=0)
    m = Municipality.objects.create(code="bench")
    cw = Caseworker.objects.create(caseworker_id="bench-cw", municipality=m)
    user = get_user_model().objects.create_user("bench-cw", password="x" * 16)
    Profile.objects.create(user=user, role="caseworker", municipality=m, caseworker=cw)
    _, token = create_token("bench-cw")
    c = Client()
    header = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def run(n: int) -> list[float]:
        out = []
        for _ in range(n):
            t = time.perf_counter()
            r = c.get("/api/v1/citizens/1", **header)
            out.append(time.perf_counter() - t)
            assert r.status_code == 404, r.status_code
        return out

    run(20)                                                          # warm up
    with_limit = run(args.requests)
    real = api.hit
    api.hit = lambda record: ratelimit.RateDecision(limit=1, count=0, reset=1)
    try:
        without = run(args.requests)
    finally:
        api.hit = real
    record = ApiToken.objects.get()
    hits = []
    for _ in range(args.requests):
        t = time.perf_counter()
        ratelimit.hit(record)
        hits.append(time.perf_counter() - t)

    def ms(xs, q):
        return 1000 * (statistics.median(xs) if q == 50 else statistics.quantiles(xs, n=20)[18])

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database {engine}; {args.requests} requests each (GET /api/v1/citizens/1, 404)")
    print(f"with the rate limit     p50 {ms(with_limit, 50):6.2f} ms  p95 {ms(with_limit, 95):6.2f} ms")
    print(f"without (stub, peer)    p50 {ms(without, 50):6.2f} ms  p95 {ms(without, 95):6.2f} ms")
    print(f"difference              p50 {ms(with_limit, 50) - ms(without, 50):+6.2f} ms")
    print(f"ratelimit.hit alone     p50 {ms(hits, 50):6.2f} ms  p95 {ms(hits, 95):6.2f} ms")


if __name__ == "__main__":
    main()
