"""Kill an import midway (SIGKILL at a random moment of the store phase, seeded) and check the
store holds all of the import or none of it, still opens, and accepts the import again."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from fip.data import Dataset, write_dataset
from fip.simulate import simulate_cohort
from fip.store import import_dataset, load_store

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")]

# The child prints a line when its merge transaction starts (validation is over), so the
# parent can aim its kill at the transaction rather than at Python's start-up.
_CHILD = textwrap.dedent("""
    import sys
    import fip.store.importer as imp
    real = imp._transaction
    def marked(*args, **kwargs):
        print("store", flush=True)
        return real(*args, **kwargs)
    imp._transaction = marked
    imp.import_dataset(sys.argv[1], sys.argv[2], user="quarterly", timeout=60)
    print("done", flush=True)
""")


def state(path: Path) -> str:
    """Digest of every table (rows sorted), leaving out the wall-clock columns."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = sorted(r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall())
        parts = []
        for n in names:
            cols = [r[0] for r in con.execute(f'DESCRIBE "{n}"').fetchall() if r[0] not in ("imported_at", "applied_at")]
            rows = con.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM "{n}"').fetchall()
            parts.append((n, sorted(repr(r) for r in rows)))
    finally:
        con.close()
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _run(folder: Path, store: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _CHILD, str(folder), str(store)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kill")
    first = simulate_cohort(1500, seed=31)
    q0 = write_dataset(first, tmp / "q0", format="parquet")
    base = tmp / "base.duckdb"
    import_dataset(q0, base, user="quarterly")
    # the next quarter: 1500 new persons, plus corrected scores for existing forms
    second = simulate_cohort(1500, seed=32)
    rename = lambda f: f.assign(person_id="n" + f["person_id"])  # noqa: E731
    forms = first.forms.copy()
    items = list(first.instrument.item_ids("citizen"))
    rows = np.flatnonzero((forms["respondent"] == "citizen").to_numpy())[:200]
    forms.loc[rows, items[0]] = 8 - forms.loc[rows, items[0]]
    q1_data = Dataset(
        pd.concat([first.persons, rename(second.persons)], ignore_index=True),
        pd.concat([forms, rename(second.forms)], ignore_index=True),
        pd.concat([first.outcomes, rename(second.outcomes)], ignore_index=True),
        first.instrument,
    )
    q1 = write_dataset(q1_data, tmp / "q1", format="parquet")
    after = tmp / "after.duckdb"
    shutil.copy(base, after)
    child = _run(q1, after)
    assert child.stdout.readline().strip() == "store"
    start = time.monotonic()
    out, err = child.communicate(timeout=300)
    store_phase = time.monotonic() - start
    assert child.returncode == 0 and out.strip() == "done", err[-2000:]
    return {"base": base, "q1": q1, "before": state(base), "after": state(after),
            "after_data": load_store(after), "store_phase": store_phase}


def test_kill_during_import_leaves_all_or_nothing(setup, tmp_path):
    rng = np.random.default_rng(20240601)
    assert setup["before"] != setup["after"]
    seen = []
    for trial in range(6):
        store = tmp_path / f"trial{trial}.duckdb"
        shutil.copy(setup["base"], store)
        child = _run(setup["q1"], store)
        assert child.stdout.readline().strip() == "store"
        time.sleep(rng.uniform(0, 1.2 * setup["store_phase"]))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
        got = state(store)
        assert got in (setup["before"], setup["after"]), f"trial {trial}: store is neither before nor after"
        seen.append("after" if got == setup["after"] else "before")
        loaded = load_store(store)  # opens and reads
        if got == setup["after"]:
            for t in ("persons", "forms", "outcomes"):
                pd.testing.assert_frame_equal(loaded.table(t), setup["after_data"].table(t), check_exact=True)
        # the import can be run again and completes the store
        import_dataset(setup["q1"], store, user="quarterly")
        assert state(store) == setup["after"]
    # the seeded kill times landed on both sides of the commit at least once (not vacuous)
    assert "before" in seen, seen


def test_kill_while_creating_a_store_leaves_no_store_or_a_whole_one(setup, tmp_path):
    """A first import builds the store aside: killed, it leaves no store file (only hidden
    leftovers, removed by the next import) or the complete store."""
    rng = np.random.default_rng(20240602)
    q0 = setup["q1"].parent / "q0"
    seen = []
    for trial in range(3):
        folder = tmp_path / f"t{trial}"
        folder.mkdir()
        store = folder / "fip.duckdb"
        child = _run(q0, store)
        assert child.stdout.readline().strip() == "store"
        time.sleep(rng.uniform(0, 0.8 * setup["store_phase"]))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
        if store.exists():
            assert state(store) == setup["before"], f"trial {trial}: a store, but not the whole import"
            seen.append("whole")
        else:
            seen.append("none")
        import_dataset(q0, store, user="quarterly")  # removes the leftovers, then imports (or finds it all there)
        assert state(store) == setup["before"]
        assert sorted(p.name for p in folder.iterdir()) == ["fip.duckdb"]
    assert "none" in seen, seen
