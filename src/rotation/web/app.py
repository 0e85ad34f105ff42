"""The local dashboard: a FastAPI app over the same report builders as ``rotation report``.

Read-only on the store: every request opens the store read-only and closes it,
so ``rotation data update`` can write between requests.  Bound to 127.0.0.1 by
default (``rotation serve``).

Routes:

* ``GET /``: the report as a page, with a form for the as-of date and universes
  (``?as_of=2024-07-26&universe=core&universe=sectors``);
* ``GET /static/plotly.js``: plotly.js, served once and cached by the browser;
* ``GET /api/report``: the report as JSON (same content as ``--format json``);
* ``GET /api/symbols``: what the store holds; ``GET /api/bars/{symbol}``: bars;
* ``GET /api/health``: store path, symbol count, last date.

Errors come back as JSON ``{"error": "..."}``: 400 for bad input, 404 for an
unknown symbol, 503 when the store is missing or busy (with how to fill it).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from rotation.data.store import Store, resolve_store_path
from rotation.data.universes import universe_names
from rotation.errors import ConfigError, RotationError, StoreError, UnknownSymbolError
from rotation.jsonable import to_jsonable
from rotation.report.build import DEFAULT_UNIVERSES, ReportOptions, build_report
from rotation.report.html import plotly_js, render_html
from rotation.report.model import report_dict

_CONTROLS_CSS = (
    "<style>form.controls{margin-top:8px;font-size:13px;color:#cdd}"
    "form.controls input,form.controls select{margin:0 8px 0 4px}"
    "form.controls label{margin-right:6px}</style>"
)


def _parse_as_of(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"as_of: expected a date YYYY-MM-DD, got {text!r}") from None


def _controls(as_of: date, chosen: Sequence[str]) -> str:
    boxes = "".join(
        f'<label><input type="checkbox" name="universe" value="{html.escape(n)}"'
        f'{" checked" if n in chosen else ""}>{html.escape(n)}</label>'
        for n in universe_names()
        if n != "pairs"
    )
    return (
        f'{_CONTROLS_CSS}<form class="controls" method="get" action="/">'
        f'as of <input type="date" name="as_of" value="{as_of.isoformat()}">'
        f"{boxes}<button type=\"submit\">show</button></form>"
    )


def create_app(
    store: Path | str | None = None,
    *,
    universes: Sequence[str] = DEFAULT_UNIVERSES,
    plans: Sequence[Path] = (),
) -> FastAPI:
    """The dashboard app for the store at ``store`` (default: as the CLI resolves it)."""
    store_path = resolve_store_path(store)
    from rotation.trading.plan import saved_plans

    options = ReportOptions(plans=tuple(Path(p) for p in plans) if plans else saved_plans())
    app = FastAPI(title="rotation dashboard", docs_url="/api/docs", openapi_url="/api/openapi.json")

    def open_store() -> Store:
        return Store(store_path, read_only=True)

    @app.exception_handler(RotationError)
    async def _rotation_error(request: Request, exc: RotationError) -> JSONResponse:
        status = 404 if isinstance(exc, UnknownSymbolError) else 503 if isinstance(exc, StoreError) else 400
        return JSONResponse({"error": str(exc)}, status_code=status)

    def _report(as_of: str | None, universe: list[str] | None) -> Any:
        chosen = tuple(universe) if universe else tuple(universes)
        with open_store() as st:
            return build_report(st, _parse_as_of(as_of), chosen, options), chosen

    @app.get("/", response_class=HTMLResponse)
    def dashboard(as_of: str | None = None, universe: Annotated[list[str] | None, Query()] = None) -> HTMLResponse:
        report, chosen = _report(as_of, universe)
        page = render_html(report, plotly_src="/static/plotly.js", controls=_controls(report.as_of, chosen))
        return HTMLResponse(page)

    @app.get("/static/plotly.js")
    def plotly() -> Response:
        return Response(
            plotly_js(), media_type="application/javascript", headers={"Cache-Control": "max-age=86400"}
        )

    @app.get("/api/report")
    def api_report(as_of: str | None = None, universe: Annotated[list[str] | None, Query()] = None) -> JSONResponse:
        report, _ = _report(as_of, universe)
        return JSONResponse(to_jsonable(report_dict(report)))

    @app.get("/api/symbols")
    def api_symbols() -> JSONResponse:
        with open_store() as st:
            return JSONResponse(to_jsonable(st.summary()))

    @app.get("/api/bars/{symbol}")
    def api_bars(symbol: str, start: str | None = None, end: str | None = None) -> JSONResponse:
        with open_store() as st:
            frame = st.bars(symbol, _parse_as_of(start), _parse_as_of(end))
        return JSONResponse(to_jsonable(frame))

    @app.get("/api/health")
    def api_health() -> JSONResponse:
        with open_store() as st:
            last = st.last_dates()
        return JSONResponse(
            {
                "status": "ok",
                "store": str(store_path),
                "symbols": len(last),
                "last_date": max(last.values()).isoformat() if last else None,
            }
        )

    return app
