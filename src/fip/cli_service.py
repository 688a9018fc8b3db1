"""``fip api-token``: a bearer token of the service's HTTP API for an existing user.

Registered on :data:`fip.cli.app` by one import at the end of ``fip/cli.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fip.cli import app, console, handles_errors

__all__ = ["api_token"]


@app.command("api-token")
@handles_errors
def api_token(
    username: Annotated[str, typer.Argument(help="The service user the token acts as (e.g. a caseworker).")],
    days: Annotated[int, typer.Option("--days", help="Days until the token expires (1-366).")] = 90,
    name: Annotated[str, typer.Option("--name", help="What the token is for (shown in the admin).")] = "",
    data: Annotated[Path, typer.Option("--data", help="Data folder of the service unless FIP_DATABASE_URL is set.")] = Path("fip-service-data"),
    scope: Annotated[list[str] | None, typer.Option("--scope", help="What the token may do (repeat; e.g. forms:write, chance:read); default: every scope of the user's role.")] = None,
    rate_limit: Annotated[int | None, typer.Option("--rate-limit", help="Requests per window for this token (default: the service's FIP_API_RATE_LIMIT).")] = None,
) -> None:
    """Create an API token for USER and print it once (the service keeps only its hash).

    Example: ``fip api-token caseworker-kommune_03 --days 30 --name case-system --scope forms:write
    --scope chance:read``, then
    ``curl -H "Authorization: Bearer <token>" http://127.0.0.1:8000/api/v1/citizens/1``.
    """
    from fip.service.server import setup

    setup(data, demo=False)
    from django.core.management import call_command

    from fip.service.tokens import create_token

    call_command("migrate", interactive=False, verbosity=0)
    record, token = create_token(username, days=days, name=name, scopes=scope or None, rate_limit=rate_limit)
    console.print(token)
    console.print(f"for {username}, scopes {' '.join(record.scopes) or 'none'}, expires "
                  f"{record.expires_at:%Y-%m-%d %H:%M} UTC; shown once: keep it in the case system's secret store",
                  style="dim", markup=False)
