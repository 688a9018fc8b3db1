"""Settings shared by every test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _piped_console_width(monkeypatch):
    """The command line as a piped run without ``COLUMNS`` sees it, alone or under ``pytest -n 2``.

    pytest-xdist's workers run with ``COLUMNS=80``, and ``fip.cli`` sizes its console when it is
    first imported: without this, a test's output would wrap at 80 columns under ``-n 2`` and at
    200 alone. Tests of the 80-column layout start ``fip`` in a subprocess with ``COLUMNS=80``.
    """
    monkeypatch.delenv("COLUMNS", raising=False)
    import fip.cli

    for console in (fip.cli.console, fip.cli.err_console):
        if not console.is_terminal:
            monkeypatch.setattr(console, "width", 200)
