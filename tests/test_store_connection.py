"""fip.store.connection: a damaged store file and a busy store give one line and exit 2
(describe, export, import-log, import), never a DuckDB traceback; --wait on every command
that opens the store."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fip.data import write_dataset
from fip.simulate import simulate_cohort
from fip.store import DEFAULT_TIMEOUT, import_dataset
from fip.store.connection import StoreError, store_error

#: DuckDB's file layout: three 4 KiB headers, then 256 KiB blocks, each starting with its checksum.
HEADER, BLOCK = 3 * 4096, 256 * 1024


def _fip(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fip.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**__import__("os").environ, "MPLBACKEND": "Agg"})


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("conn")
    folder = write_dataset(simulate_cohort(300, seed=4), tmp / "q0")
    path = tmp / "s.duckdb"
    import_dataset(folder, path, user="analyst")
    return path, folder


def _damage(src: Path, dst: Path, block: int) -> bytes:
    shutil.copy(src, dst)
    with dst.open("r+b") as handle:
        handle.seek(HEADER + block * BLOCK + 100)
        handle.write(b"\xde\xad\xbe\xef" * 64)
    return dst.read_bytes()


def _invoke(*args):
    from typer.testing import CliRunner

    from fip.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)  # a traceback fails


def _one_clean_line(result, store: Path) -> str:
    code = getattr(result, "returncode", getattr(result, "exit_code", None))
    assert code == 2, (code, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "aborted" not in result.stderr
    assert lines[0].startswith(f"error: {store}: ")
    return lines[0]


def test_damaged_store_gives_one_line_for_every_command(store, tmp_path):
    base, folder = store
    n_blocks = (base.stat().st_size - HEADER) // BLOCK
    commands = {"describe": ["describe", "--store"], "export": ["export", "--out", tmp_path / "x", "--store"],
                "import-log": ["import-log", "--store"], "import": ["import", folder, "--store"]}
    failed = {name: 0 for name in commands}
    for block in range(n_blocks):
        damaged = tmp_path / f"b{block}.duckdb"
        before = _damage(base, damaged, block)
        for name, args in commands.items():
            result = _invoke(*args, damaged)
            if result.exit_code == 0:  # this command does not read the damaged block
                shutil.rmtree(tmp_path / "x", ignore_errors=True)
                continue
            line = _one_clean_line(result, damaged)
            assert "damaged" in line and "restore it from a backup" in line, line
            assert not (tmp_path / "x").exists()
            failed[name] += 1
        assert damaged.read_bytes() == before  # fip never writes into a damaged store
    # every command met a damaged block it reads (block 0 holds the catalogue), and import
    # met one in the middle of its transaction (data blocks), not only when opening
    assert all(failed.values()) and failed["import"] >= 2, failed


def test_store_error_names_the_fault():
    assert store_error("s", OSError("Could not write file: No space left on device")).reason == "full"
    assert store_error("s", OSError("File too large")).reason == "full"
    assert store_error("s", OSError("Corrupt database file: checksum")).reason == "damaged"
    error = store_error("s", OSError("IO Error: something 010190-1234"), outcome="the store is unchanged")
    assert isinstance(error, StoreError) and "010190-1234" not in str(error)
    assert str(error).startswith("s: the store could not be used; the store is unchanged")


_HOLDER = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("BEGIN TRANSACTION")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
""")


def test_wait_option_on_a_busy_store(store):
    base, folder = store
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(base), "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        start = time.monotonic()
        line = _one_clean_line(_fip("describe", "--store", base, "--wait", "0"), base)
        assert time.monotonic() - start < 20  # no 30 s wait (start-up of fip included)
        assert f"in use by process {holder.pid}" in line and "waited 0 s" in line
        start = time.monotonic()
        line = _one_clean_line(_fip("status-note", "--store", base, "--municipality", "x", "--quarter", "2018Q2",
                                    "--wait", "2"), base)
        assert time.monotonic() - start >= 2 and "waited 2 s" in line
        for command in (["import", folder], ["import-log"], ["export", "--out", base.parent / "ex"]):
            line = _one_clean_line(_fip(*command, "--store", base, "--wait", "0"), base)
            assert "in use" in line
    finally:
        holder.kill()
        holder.wait()


def test_every_store_command_has_wait():
    from fip import cli

    assert cli.WAIT == DEFAULT_TIMEOUT
    import typer

    command = typer.main.get_command(cli.app)
    with_store = []
    for name, sub in command.commands.items():
        options = {o for p in sub.params for o in getattr(p, "opts", ()) if o.startswith("--")}
        if "--store" in options:
            with_store.append(name)
            assert "--wait" in options, name
    assert {"describe", "replicate", "train", "status-note", "import", "export", "import-log"} <= set(with_store)
