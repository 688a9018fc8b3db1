"""Per-request server time of the FIP service, one client, no load (issue 16 item 9).

The figures of ``bench_service.py`` depend on what else runs on the machine; these do not:
each request is made in this process through Django's test client (the whole middleware
stack, the database round trips, no HTTP socket), and its wall time and CPU time
(``time.process_time``) are printed. The database is a throwaway PostgreSQL one set up as
``bench_service.py`` sets it up (``--persons`` in ``kommune_big``), or SQLite with ``--sqlite``.

Requests, for ``--citizens`` caseworkers each with one measured citizen: the citizen form and
the caseworker form saved (*save*), the citizen page with the star and the chance (*star page*,
first = cold: a new form version) and ``star.svg`` (cold after the page, then warm), each
again (warm); then the manager's page and status note of ``kommune_big``'s latest quarter,
first (cold: after the saves, the service's snapshot read at start brought up to date) and
again (warm). ``--profile`` prints the top functions by
cumulative time of each kind of request.

Usage: python benchmarks/profile_service_requests.py [--persons 10000] [--others 2000]
       [--citizens 5] [--profile] [--sqlite]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_service as bench  # noqa: E402

_TOKEN = re.compile(r'name="submission_token" value="([^"]+)"')
_DATE = re.compile(r'name="answered_on" value="([^"]+)"')


class Clock:
    def __init__(self, profile: bool):
        self.rows: dict[str, list[tuple[float, float]]] = {}
        self.profiles: dict[str, cProfile.Profile] = {}
        self.profile = profile

    def __call__(self, what: str, call, *args, expect=(200,), **kwargs):
        prof = self.profiles.setdefault(what, cProfile.Profile()) if self.profile else None
        w0, c0 = time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        r = call(*args, **kwargs)
        if prof:
            prof.disable()
        self.rows.setdefault(what, []).append((time.perf_counter() - w0, time.process_time() - c0))
        if r.status_code not in expect:
            raise SystemExit(f"{what}: HTTP {r.status_code}")
        return r


def run(args) -> None:
    from django.test import Client

    info = bench.prepare(args.persons, args.others, args.citizens)
    from django.contrib.auth import get_user_model

    from fip.service import snapshot

    snapshot.current()[1].measurements      # as `fip serve` does at start, before any request
    clock = Clock(args.profile)
    users = get_user_model().objects
    for (username, pk), _ in zip(info["users"], range(args.citizens)):
        c = Client()
        c.force_login(users.get(username=username))
        for k, respondent in enumerate(info["respondents"]):
            url = f"/citizens/{pk}/forms/{respondent}/"
            page = c.get(url).content.decode()
            data = {it: str(1 + (j + k) % 7) for j, it in enumerate(info["items"][respondent])}
            data.update(submission_token=_TOKEN.search(page).group(1), answered_on=_DATE.search(page).group(1),
                        language="da")
            clock("save", c.post, url, data, expect=(302,))
            clock("resent save", c.post, url, data, expect=(302,))
        clock("star page (cold)", c.get, f"/citizens/{pk}/")
        clock("star svg (cold)", c.get, f"/citizens/{pk}/star.svg")
        clock("star page (warm)", c.get, f"/citizens/{pk}/")
        clock("star svg (warm)", c.get, f"/citizens/{pk}/star.svg")
    m = Client()
    m.force_login(users.get(username="bench-manager"))
    page = clock("manager page (cold)", m.get, "/manager/").content.decode()
    quarter = re.search(r'quarter=(\d{4}Q\d)', page).group(1)
    clock("status note (cold)", m.get, "/manager/note/", {"quarter": quarter})
    clock("status note (warm)", m.get, "/manager/note/", {"quarter": quarter})
    print(f"{'request':<22}{'n':>4}{'wall p50 ms':>13}{'wall max ms':>13}{'CPU p50 ms':>12}")
    for what, v in clock.rows.items():
        walls, cpus = [w for w, _ in v], [c for _, c in v]
        print(f"{what:<22}{len(v):>4}{statistics.median(walls) * 1000:>13.1f}{max(walls) * 1000:>13.1f}"
              f"{statistics.median(cpus) * 1000:>12.1f}")
    for what, prof in clock.profiles.items():
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
        print(f"\n=== {what}\n" + "\n".join(out.getvalue().splitlines()[:60]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=10_000)
    ap.add_argument("--others", type=int, default=2_000)
    ap.add_argument("--citizens", type=int, default=5)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--sqlite", action="store_true")
    args = ap.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="fip-profile-service-"))
    name = f"fip_profile_{os.getpid()}"
    env = {"FIP_SERVICE_DATA": str(data_dir), "FIP_PSEUDONYM_KEY": "benchmark-pseudonym-key-0123456789",
           "MPLBACKEND": "Agg", "DJANGO_SETTINGS_MODULE": "fip.service.settings", "FIP_ALLOWED_HOSTS": "testserver"}
    if not args.sqlite:
        env["FIP_DATABASE_URL"] = bench.make_database(name)
    else:
        os.environ.pop("FIP_DATABASE_URL", None)
    os.environ.update(env)
    try:
        run(args)
    finally:
        import django.db

        django.db.connections.close_all()
        if not args.sqlite:
            bench.psql(f"DROP DATABASE IF EXISTS {name}")
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
