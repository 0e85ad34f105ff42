"""The dashboard's HTML pages: a shared layout, one container per view, one small script each.

Pages carry no data: each view's script reads its parameters from the page's
URL and form, fetches the view's JSON endpoint and draws it with plotly.js
(served from the installed plotly package at ``/static/plotly.js``).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from fastapi.responses import HTMLResponse


@dataclass(frozen=True)
class View:
    key: str
    title: str
    script: str  # /static/dash/<script>
    body: str  # the view's controls and containers


_DATE = '<label>as of <input type="date" name="as_of"></label>'

VIEWS: dict[str, View] = {
    "/": View("overview", "Overview", "overview.js", f"""
<form id="controls" class="controls">{_DATE} <button type="submit">show</button></form>
<div class="grid">
  <section><h2>Rotation today: the standard pairs</h2><div id="scan"></div></section>
  <section><h2>Sectors RRG (weekly)</h2><div id="rrg" class="chart"></div></section>
  <section><h2>Breadth</h2><div id="breadth"></div></section>
  <section><h2>Who is buying</h2><div id="positioning"></div></section>
  <section class="wide"><h2>Open plans: stop distances</h2><div id="stops"></div></section>
</div>"""),
    "/rrg": View("rrg", "RRG explorer", "rrg.js", """
<form id="controls" class="controls">
  <label>universe <select name="universe"></select></label>
  <label>benchmark <input name="benchmark" size="7" placeholder="default"></label>
  <label>freq <select name="freq"><option>weekly</option><option>daily</option></select></label>
  <label>window <input name="window" type="number" min="3" size="4" placeholder="auto"></label>
  <label>smooth <input name="smooth" type="number" min="1" size="3" placeholder="auto"></label>
  <label>momentum <input name="momentum" type="number" min="1" size="3" placeholder="auto"></label>
  <label>tail <input name="tail" type="number" min="1" max="52" value="8" size="3"></label>
  <label>as of <input type="date" name="as_of"></label>
  <button type="submit">show</button>
</form>
<div class="player"><button id="play" type="button">play</button>
  <input id="slider" type="range" min="0" max="0" value="0"> <span id="slider-date"></span></div>
<div class="split"><div id="rrg" class="chart tall"></div>
  <aside><h3>Quadrant transitions</h3><div id="transitions"></div></aside></div>
<p class="note" id="notes"></p>"""),
    "/pair": View("pair", "Pair explorer", "pair.js", """
<form id="controls" class="controls">
  <label>pair <input name="pair" value="^RUT:^NDX" size="16" placeholder="A:B or @basket:B"></label>
  <label>window <select name="window"><option>1d</option><option>5d</option><option>20d</option></select></label>
  <label>fast <input name="fast" type="number" value="50" min="2" size="4"></label>
  <label>slow <input name="slow" type="number" value="200" min="3" size="4"></label>
  <label>from <input type="date" name="start"></label> <label>to <input type="date" name="end"></label>
  <label>day <input type="date" name="day"></label>
  <button type="submit">show</button>
</form>
<div id="summary" class="summary"></div>
<div id="ratio" class="chart"></div>
<div id="spread" class="chart"></div>
<div id="day" class="summary"></div>
<div class="grid"><section><h3 id="top-a-title">Top days toward A</h3><div id="top-a"></div></section>
  <section><h3 id="top-b-title">Top days toward B</h3><div id="top-b"></div></section></div>
<p class="note" id="notes"></p>"""),
    "/breadth": View("breadth", "Breadth", "breadth.js", """
<form id="controls" class="controls">
  <label>from <input type="date" name="start"></label> <label>to <input type="date" name="end"></label>
  <button type="submit">show</button>
</form>
<div id="sets"></div>"""),
    "/trades": View("trades", "Trades", "trades.js", f"""
<form id="controls" class="controls">{_DATE} <button type="submit">show</button></form>
<div id="warnings" class="note"></div>
<div id="items"></div>
<section><h2>Journal</h2><div id="journal"></div></section>"""),
}

_LINKS = (("/", "overview", "Overview"), ("/rrg", "rrg", "RRG"), ("/pair", "pair", "Pairs"),
          ("/breadth", "breadth", "Breadth"), ("/trades", "trades", "Trades"), ("/report", "report", "Report"),
          ("/api/docs", "api", "API"))


def nav(current: str) -> str:
    """The navigation bar shared by every page."""
    links = "".join(
        f'<a href="{href}"{" class=current" if key == current else ""}>{html.escape(label)}</a>'
        for href, key, label in _LINKS
    )
    return f'<nav class="desk">{links}</nav>'


def render(view: View) -> str:
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>rotation: {html.escape(view.title)}</title>"
        '<link rel="stylesheet" href="/static/dash/dash.css">'
        '<script src="/static/plotly.js"></script><script src="/static/dash/common.js"></script>'
        f'</head><body data-view="{view.key}">{nav(view.key)}<main><h1>{html.escape(view.title)}</h1>'
        f'<div id="status" class="status"></div>{view.body}</main>'
        f'<script src="/static/dash/{view.script}"></script></body></html>'
    )


def page_endpoint(view: View) -> Callable[[], HTMLResponse]:
    page = render(view)

    def endpoint() -> HTMLResponse:
        return HTMLResponse(page)

    endpoint.__name__ = f"page_{view.key}"
    return endpoint


def api_docs_page() -> str:
    """The API reference, drawn from /api/openapi.json by a local script (works offline)."""
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>rotation: API</title>"
        '<link rel="stylesheet" href="/static/dash/dash.css"><script src="/static/dash/common.js"></script>'
        f'</head><body data-view="api">{nav("api")}<main><h1>API</h1>'
        '<p>Every view of the dashboard reads one of these endpoints. The machine-readable document is '
        '<a href="/api/openapi.json">/api/openapi.json</a>.</p><div id="status" class="status"></div>'
        '<div id="api"></div></main><script src="/static/dash/apidocs.js"></script></body></html>'
    )
