"""``rotation serve``: the local dashboard (FastAPI + uvicorn; the ``web`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rotation.cli.common import StoreOpt, err_console
from rotation.errors import ConfigError


def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Address to bind (default: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8765,
    universe: Annotated[
        list[str] | None, typer.Option("--universe", "-u", help="Default universes of the page (repeat).")
    ] = None,
    plan: Annotated[list[Path] | None, typer.Option("--plan", help="Trade plan TOML file(s) to show.")] = None,
    store: StoreOpt = None,
) -> None:
    """Serve the dashboard (the report, live, with an as-of picker and a JSON API) on localhost.

    Read-only on the store.  Open http://127.0.0.1:8765/ ; the API is under /api
    (/api/docs lists it).
    """
    try:
        import uvicorn

        from rotation.report.build import DEFAULT_UNIVERSES
        from rotation.web.app import create_app
    except ImportError as exc:
        raise ConfigError(f"the dashboard needs the web extra: pip install 'rotation[web]' ({exc})") from exc
    app = create_app(store, universes=tuple(universe or DEFAULT_UNIVERSES), plans=tuple(plan or ()))
    err_console.print(f"dashboard on http://{host}:{port}/  (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
