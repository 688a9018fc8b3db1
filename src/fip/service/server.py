"""``fip serve``: prepare the data folder, migrate, (demo) load, and serve over HTTP."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fip.errors import FipError

SECRET_FILE = "secret_key"
DEMO_KEY_FILE = "demo_pseudonym.key"


def _secret(path: Path, nbytes: int) -> str:
    """The secret in ``path``, created (readable by the owner only) if absent."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(nbytes))
    return path.read_text(encoding="ascii").strip()


def setup(data_dir: Path, *, demo: bool) -> None:
    """Environment for the settings (data folder, secret key; a demo pseudonym key), then Django."""
    try:
        import django
    except ImportError:
        raise FipError('fip serve needs the service extra: pip install -e ".[service]"') from None
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["FIP_SERVICE_DATA"] = str(data_dir)
    os.environ.setdefault("FIP_SERVICE_SECRET_KEY", _secret(data_dir / SECRET_FILE, 32))
    if demo and not os.environ.get("FIP_PSEUDONYM_KEY"):
        os.environ["FIP_PSEUDONYM_KEY"] = _secret(data_dir / DEMO_KEY_FILE, 32)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fip.service.settings")
    django.setup()


def serve(host: str, port: int, *, data_dir: Path, demo: bool, persons: int, echo=print, workers: int = 0,
          threads: int = 4) -> None:
    """Migrate the database, load the demo (``demo``) and serve until interrupted.

    ``workers`` 0: Django's threaded development server (one process). ``workers`` N >= 1:
    gunicorn with N worker processes of ``threads`` threads each (a production-style server:
    the pages' pandas work runs in parallel on several cores); the application is loaded once
    before the workers are forked.
    """
    setup(data_dir, demo=demo)
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.management import call_command
    from django.core.servers.basehttp import WSGIServer, run
    from django.core.wsgi import get_wsgi_application

    from fip.service.data import translations

    for (lang, respondent), t in sorted(translations().items()):  # a bad translation file stops here
        echo(f"translation of the {respondent} form into {lang}: {t.source.name}"
             f"{'' if t.reviewed else ' (not reviewed: the form says so to staff)'}")
    call_command("migrate", interactive=False, verbosity=0)
    if demo:
        from fip.service.demo import load_demo

        logins, notes = load_demo(persons)
        for line in notes:
            echo(line)
        echo("demo logins (user name, password, role, municipality):")
        for d in logins:
            echo(f"  {d.username:<28} {d.password:<18} {d.role:<14} {d.municipality or '-'}")
    if not os.environ.get("FIP_PSEUDONYM_KEY"):
        echo("warning: FIP_PSEUDONYM_KEY is not set; citizens cannot be found or created by CPR number")
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    server = (f"gunicorn, {workers} worker process{'es' if workers > 1 else ''} of {threads} threads" if workers
              else "Django's threaded development server, one process")
    echo(f"FIP service on http://{host}:{port}/ (database: {engine}; data folder {data_dir}; {server}); "
         f"Ctrl+C stops it")
    application = StaticFilesHandler(get_wsgi_application())
    from fip.service import snapshot

    snapshot.current()[1].measurements   # read and paired once here: the workers inherit it (forked)
    if workers:
        from django.db import connections

        from fip.service.chance import parse_active_models

        parse_active_models()            # once here, not once per worker at its first citizen page
        connections.close_all()          # no connection of the parent is shared with the workers
        _gunicorn(application, host, port, workers, threads)
        return
    WSGIServer.request_queue_size = 64
    run(host, port, application, threading=True)


def _gunicorn(application, host: str, port: int, workers: int, threads: int) -> None:
    """Serve ``application`` with gunicorn (the service extra) until interrupted."""
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        raise FipError('fip serve --workers needs gunicorn (the service extra): pip install -e ".[service]"') from None

    class Server(BaseApplication):
        def load_config(self):
            # no access log: request paths are row numbers only, but nothing of a request is logged
            for key, value in {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                               "worker_class": "gthread", "backlog": 256, "timeout": 120,
                               "graceful_timeout": 5, "keepalive": 75, "accesslog": None, "errorlog": "-",
                               "loglevel": "warning", "proc_name": "fip-serve"}.items():
                self.cfg.set(key, value)

        def load(self):
            return application

    Server().run()
