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
    allow_host: Annotated[
        list[str] | None,
        typer.Option("--allow-host", help="Also answer requests for this Host name (repeat); default loopback only."),
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Serve the dashboard (overview, RRG, pairs, breadth, trades, the report; a JSON API) on localhost.

    Read-only on the store.  Open http://127.0.0.1:8765/ ; the API is under /api
    (/api/docs lists it).  Requests whose Host header is not 127.0.0.1, localhost
    or ::1 (or a name given with --allow-host) are refused, against DNS rebinding.
    """
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port: expected 1..65535, got {port}")
    hosts = []
    for name in allow_host or ():
        name = name.strip().lower()
        if not name or any(c in name for c in "/ @?#"):
            raise ConfigError(f"--allow-host: expected a host name such as dash.local, got {name!r}")
        hosts.append(name)
    try:
        import uvicorn

        from rotation.report.build import DEFAULT_UNIVERSES
        from rotation.web.app import create_app
    except ImportError as exc:
        raise ConfigError(f"the dashboard needs the web extra: pip install 'rotation[web]' ({exc})") from exc
    app = create_app(store, universes=tuple(universe or DEFAULT_UNIVERSES), plans=tuple(plan or ()),
                     allow_hosts=tuple(hosts))
    err_console.print(f"dashboard on http://{host}:{port}/  (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
