"""``fip serve --workers N``: gunicorn with N worker processes serves the pages and static
files; the citizen-page cache is then a folder of the data folder, shared by the workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_with_worker_processes(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("FIP_DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(FIP_SERVICE_SECRET_KEY="workers-test-secret-key-0123456789", MPLBACKEND="Agg")
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "fip.cli", "serve", "--workers", "2", "--threads", "2",
                                 "--port", str(port), "--data", str(tmp_path / "data")],
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        status, body = None, b""
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as r:
                    status, body = r.status, r.read()
                break
            except OSError:
                assert proc.poll() is None, log.read_text()
                time.sleep(0.2)
        assert status == 200 and b"csrfmiddlewaretoken" in body, log.read_text()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/fipservice/favicon.svg", timeout=5) as r:
            assert r.status == 200 and r.read().lstrip().startswith(b"<")
        text = log.read_text()
        assert "gunicorn, 2 worker processes of 2 threads" in text
        # two worker processes besides the arbiter
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 2, text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    assert proc.returncode == 0, log.read_text()


def test_cache_is_a_folder_of_the_data_folder_under_serve(tmp_path):
    code = ("from django.conf import settings; import django; django.setup(); "
            "c = settings.CACHES['default']; print(c['BACKEND']); print(c['LOCATION'])")
    env = {k: v for k, v in os.environ.items() if k != "FIP_DATABASE_URL"}
    env.update(FIP_SERVICE_DATA=str(tmp_path), DJANGO_SETTINGS_MODULE="fip.service.settings")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    backend, location = out.split()
    assert backend.endswith("FileBasedCache") and location == str(tmp_path / "cache")
