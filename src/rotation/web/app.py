"""The local dashboard: views over the query layer, each backed by a JSON endpoint.

Read-only on the store: every build opens the store read-only and closes it, so
``rotation data update`` can write between requests.  Bound to 127.0.0.1 by
default (``rotation serve``); requests whose ``Host`` is not a loopback name (or
one added with ``--allow-host``) are refused, against DNS rebinding.

Pages (HTML + a small script each; plotly.js and the scripts are served from
this package, nothing is fetched from the network):

* ``/``: overview; ``/rrg``: RRG explorer; ``/pair``: pair explorer;
  ``/breadth``: breadth; ``/trades``: plans, journal and stops; ``/report``: the
  evening report with an as-of picker; ``/api/docs``: the API, offline.

JSON (see ``/api/openapi.json``): ``/api/overview``, ``/api/rrg``, ``/api/pair``,
``/api/breadth``, ``/api/trades``, ``/api/report``, ``/api/universes``,
``/api/symbols``, ``/api/bars/{symbol}``, ``/api/health``.

Results are cached per (store version, parameters) (:mod:`rotation.web.cache`).
Errors come back as JSON ``{"error": "..."}``: 400 for bad input, 404 for an
unknown symbol, 503 when the store is missing or busy; they never name the
store's path.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from rotation.analytics.events import EVENT_WINDOWS
from rotation.data.store import Store, resolve_store_path
from rotation.data.universes import universe_names
from rotation.errors import ConfigError, RotationError, StoreError, UnknownSymbolError
from rotation.jsonable import to_jsonable
from rotation.report.build import DEFAULT_UNIVERSES, ReportOptions, build_report
from rotation.report.html import plotly_js, render_html
from rotation.report.model import report_dict
from rotation.web import pages, views
from rotation.web.cache import ResultCache

STATIC = Path(__file__).with_name("static")
LOOPBACK_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
SYMBOL = r"^[@^A-Za-z0-9][A-Za-z0-9.=_\-]{0,39}$"


class ErrorBody(BaseModel):
    """Every error: one line saying what was wrong and what was expected."""

    error: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad input (a parameter out of range, an unknown universe...)"},
    404: {"model": ErrorBody, "description": "Unknown symbol or page"},
    503: {"model": ErrorBody, "description": "The store is missing, empty or busy"},
}

DateQ = Annotated[date | None, Query(description="YYYY-MM-DD, 1900-01-01 .. 2199-12-31; default: latest")]
SymbolQ = Annotated[str, Query(pattern=SYMBOL, max_length=40, description="Symbol, alias or @universe basket")]
ReportUniverses = Annotated[list[str] | None, Query(description="Universe names (repeat)", max_length=12)]
UniverseQ = Annotated[str, Query(max_length=40, pattern=r"^[A-Za-z0-9_\-]+$", description="Universe name")]


def _bounded(day: date | None, name: str) -> date | None:
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise ConfigError(f"{name}: expected a date between {FIRST_DAY} and {LAST_DAY}, got {day}")
    return day


class HostCheck:
    """Refuse requests whose Host header is not an allowed name (DNS rebinding)."""

    def __init__(self, app: ASGIApp, allowed: Sequence[str]) -> None:
        self.app = app
        self.allowed = {h.lower() for h in allowed}

    @staticmethod
    def host_name(value: str) -> str:
        value = value.strip().lower()
        if value.startswith("["):  # [::1]:8765
            return value[1:value.find("]")] if "]" in value else value
        return value.rsplit(":", 1)[0] if value.count(":") == 1 else value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            host = self.host_name(headers.get(b"host", b"").decode("latin-1"))
            if host not in self.allowed:
                body = json.dumps({"error": f"host {host!r} is not allowed: start `rotation serve --allow-host "
                                            f"{host or 'NAME'}` to serve it"}).encode()
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def create_app(
    store: Path | str | None = None,
    *,
    universes: Sequence[str] = DEFAULT_UNIVERSES,
    plans: Sequence[Path] = (),
    allow_hosts: Sequence[str] = (),
) -> FastAPI:
    """The dashboard app for the store at ``store`` (default: as the CLI resolves it)."""
    store_path = resolve_store_path(store)
    from rotation.trading.plan import saved_plans

    plan_paths = tuple(Path(p) for p in plans) if plans else saved_plans()
    options = ReportOptions(plans=plan_paths)
    app = FastAPI(title="rotation dashboard", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  responses=ERRORS)
    cache = ResultCache(store_path)
    app.state.cache = cache
    app.add_middleware(HostCheck, allowed=[*LOOPBACK_HOSTS, *allow_hosts])
    app.mount("/static/dash", StaticFiles(directory=STATIC), name="dash")

    def scrub(text: str) -> str:
        """Error text without the store's location."""
        text = text.replace(str(store_path), "<store>").replace(str(store_path.parent), "<store folder>")
        return text.replace(store_path.name, "<store>")

    def scrub_json(text: str) -> str:
        """A JSON document without the store's location (messages inside views may name it)."""
        for p in (str(store_path), str(store_path.parent)):
            text = text.replace(json.dumps(p)[1:-1], "<store>")
        return text

    def open_store() -> Store:
        return Store(store_path, read_only=True)

    def cached(key: tuple[Any, ...], build: Callable[[Store], Any]) -> Response:
        def run() -> bytes:
            with open_store() as st:
                text = json.dumps(to_jsonable(build(st)), allow_nan=False, separators=(",", ":"))
            return scrub_json(text).encode()

        return Response(cache.get(key, run), media_type="application/json")

    @app.exception_handler(RotationError)
    async def _rotation_error(request: Request, exc: RotationError) -> JSONResponse:
        status = 404 if isinstance(exc, UnknownSymbolError) else 503 if isinstance(exc, StoreError) else 400
        return JSONResponse({"error": scrub(str(exc))}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path"))
            msg = "expected a date YYYY-MM-DD" if "date" in str(e.get("type", "")) else e.get("msg", "invalid")
            # the input is echoed only when it is short and plain (never a path sent back)
            value = e.get("input")
            echo = "input" in e and (not isinstance(value, str) or re.fullmatch(r"[\w.^@:=\-]{0,40}", value))
            parts.append(f"{where}: {msg}, got {e.get('input')!r}" if echo else f"{where}: {msg}")
        return JSONResponse({"error": "; ".join(parts) or "bad request"}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    # -- pages ----------------------------------------------------------------------------------
    for route, view in pages.VIEWS.items():
        app.add_api_route(route, pages.page_endpoint(view), methods=["GET"], include_in_schema=False,
                          response_class=HTMLResponse)

    @app.get("/api/docs", include_in_schema=False, response_class=HTMLResponse)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(pages.api_docs_page())

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/plotly.js", include_in_schema=False)
    def plotly() -> Response:
        return Response(plotly_js(), media_type="application/javascript", headers={"Cache-Control": "max-age=86400"})

    def _report(as_of: date | None, universe: list[str] | None) -> Any:
        chosen = tuple(universe) if universe else tuple(universes)
        _report_names(chosen)
        with open_store() as st:
            return build_report(st, _bounded(as_of, "as_of"), chosen, options), chosen

    @app.get("/report", response_class=HTMLResponse, summary="The evening report as a page")
    def report_page(as_of: DateQ = None, universe: ReportUniverses = None) -> HTMLResponse:
        def build() -> bytes:
            report, chosen = _report(as_of, universe)
            page = render_html(report, plotly_src="/static/plotly.js", controls=_controls(report.as_of, chosen))
            return scrub_json(page.replace("<body>", f"<body>{pages.nav('report')}", 1)).encode()

        return HTMLResponse(cache.get(("report-page", as_of, tuple(universe or ())), build))

    @app.get("/api/report", summary="The evening report as JSON (same content as report --format json)")
    def api_report(as_of: DateQ = None, universe: ReportUniverses = None) -> Response:
        key = ("report", as_of, tuple(universe or ()))

        def build(st: Store) -> Any:
            chosen = tuple(universe) if universe else tuple(universes)
            report = build_report(st, _bounded(as_of, "as_of"), chosen, options)
            return report_dict(report)

        _report_names(universe or ())
        return cached(key, build)

    def _report_names(names: Sequence[str]) -> None:
        known = universe_names()
        for name in names:
            if name not in known:
                got = repr(name) if re.fullmatch(r"[A-Za-z0-9_\-]{1,40}", name) else "something else (names only, no paths)"
                raise ConfigError(f"universe: expected one of {', '.join(known)}; got {got}")

    # -- views ----------------------------------------------------------------------------------
    @app.get("/api/overview", summary="Overview: notable rotation days, RRG snapshot, breadth, positioning, stops")
    def api_overview(as_of: DateQ = None) -> Response:
        _bounded(as_of, "as_of")
        return cached(("overview", as_of), lambda st: views.overview_view(st, plan_paths, as_of))

    @app.get("/api/rrg", summary="RRG of a universe or constituent set: history for the slider, transitions")
    def api_rrg(
        universe: UniverseQ = "sectors",
        benchmark: Annotated[str | None, Query(pattern=SYMBOL, max_length=40)] = None,
        freq: Literal["weekly", "daily"] = "weekly",
        window: Annotated[int | None, Query(ge=3, le=520, description="RS-Ratio z-score window (bars)")] = None,
        smooth: Annotated[int | None, Query(ge=1, le=104)] = None,
        momentum: Annotated[int | None, Query(ge=1, le=104)] = None,
        tail: Annotated[int, Query(ge=1, le=52)] = 8,
        span: Annotated[int, Query(ge=10, le=1000, description="Sampled bars sent for the slider")] = 104,
        as_of: DateQ = None,
    ) -> Response:
        _bounded(as_of, "as_of")
        key = ("rrg", universe.lower(), benchmark, freq, window, smooth, momentum, tail, span, as_of)
        return cached(key, lambda st: views.rrg_view(st, universe, benchmark, freq, window, smooth, momentum, tail,
                                                     as_of, span))

    @app.get("/api/pair", summary="Pair A:B: ratio with MAs, spread ranks, top days toward each side, one day")
    def api_pair(
        a: SymbolQ,
        b: SymbolQ,
        window: Literal["1d", "5d", "20d"] = "1d",
        fast: Annotated[int, Query(ge=2, le=400)] = 50,
        slow: Annotated[int, Query(ge=3, le=1000)] = 200,
        start: DateQ = None,
        end: DateQ = None,
        day: DateQ = None,
        top: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> Response:
        if window not in EVENT_WINDOWS:
            raise ConfigError(f"window: expected one of {', '.join(EVENT_WINDOWS)}, got {window!r}")
        for value, name in ((start, "start"), (end, "end"), (day, "day")):
            _bounded(value, name)
        key = ("pair", a, b, window, fast, slow, start, end, day, top)
        return cached(key, lambda st: views.pair_view(st, a, b, window, fast, slow, start, end, day, top))

    @app.get("/api/breadth", summary="Breadth of a constituent set: participation, MAs, McClellan, cap vs equal")
    def api_breadth(universe: UniverseQ = "sp500", start: DateQ = None, end: DateQ = None,
                    as_of: DateQ = None) -> Response:
        for value, name in ((start, "start"), (end, "end"), (as_of, "as_of")):
            _bounded(value, name)
        return cached(("breadth", universe.lower(), start, end, as_of),
                      lambda st: views.breadth_view(st, universe, start, end, as_of))

    @app.get("/api/trades", summary="Saved plans and the journal, replayed, with live stop distances")
    def api_trades(as_of: DateQ = None) -> Response:
        _bounded(as_of, "as_of")
        return cached(("trades", as_of), lambda st: views.trades_view(st, plan_paths, as_of))

    @app.get("/api/universes", summary="Universe names and constituent sets")
    def api_universes() -> Response:
        return cached(("universes",), views.universes_view)

    @app.get("/api/symbols", summary="What the store holds: symbol, first and last date, rows")
    def api_symbols() -> Response:
        return cached(("symbols",), lambda st: st.summary())

    @app.get("/api/bars/{symbol}", summary="Daily bars of one symbol")
    def api_bars(
        symbol: Annotated[str, PathParam(pattern=SYMBOL, max_length=40)], start: DateQ = None, end: DateQ = None
    ) -> Response:
        _bounded(start, "start")
        _bounded(end, "end")
        return cached(("bars", symbol, start, end), lambda st: st.bars(symbol, start, end))

    @app.get("/api/health", summary="Store status: symbol count, last date, cache counters")
    def api_health() -> JSONResponse:
        with open_store() as st:
            last = st.last_dates()
        return JSONResponse({
            "status": "ok", "symbols": len(last),
            "last_date": max(last.values()).isoformat() if last else None,
            "cache": {"hits": cache.hits, "misses": cache.misses},
        })

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version="1", routes=app.routes,
                                 description="The rotation dashboard's JSON API (read-only, localhost).")
            for item in schema.get("paths", {}).values():
                for op in item.values():
                    responses = op.get("responses", {})
                    responses.pop("422", None)  # validation errors are answered as 400
                    for code in ("400", "404", "503"):  # errors are JSON, HTML pages included
                        if code in responses:
                            responses[code]["content"] = {
                                "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                            }
            schema.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
            schema.get("components", {}).get("schemas", {}).pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


_CONTROLS_CSS = (
    "<style>form.controls{margin-top:8px;font-size:13px;color:#cdd}"
    "form.controls input,form.controls select{margin:0 8px 0 4px}"
    "form.controls label{margin-right:6px}</style>"
)


def _controls(as_of: date, chosen: Sequence[str]) -> str:
    boxes = "".join(
        f'<label><input type="checkbox" name="universe" value="{html.escape(n)}"'
        f'{" checked" if n in chosen else ""}>{html.escape(n)}</label>'
        for n in universe_names()
        if n != "pairs"
    )
    return (
        f'{_CONTROLS_CSS}<form class="controls" method="get" action="/report">'
        f'as of <input type="date" name="as_of" value="{as_of.isoformat()}">'
        f"{boxes}<button type=\"submit\">show</button></form>"
    )
