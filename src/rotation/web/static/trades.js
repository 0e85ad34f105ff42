// Trades: saved plans and open journal entries replayed, with their fills, stops and live stop distances.
"use strict";
(() => {
  const alertCols = [["status", "status"], ["tranche", "tranche"], ["rule", "rule"], ["instrument", "instrument"],
    ["level", "level", D.num], ["last_date", "date"], ["last_close", "close", D.num],
    ["distance_pct", "distance", (v) => D.pct(v, 2, false)], ["message", "detail"]];
  const trCols = [["index", "#"], ["name", "tranche"], ["status", "status"], ["quantity", "qty", (v) => D.num(v, 0)],
    ["entry_date", "entry"], ["entry_price", "at", D.num], ["stop", "stop"], ["exit_date", "exit"],
    ["exit_price", "at", D.num], ["exit_reason", "reason"], ["pnl", "P&L", D.num]];
  const jCols = [["id", "id"], ["symbol", "symbol"], ["side", "side"], ["quantity", "qty", (v) => D.num(v, 0)],
    ["entry_date", "entry"], ["entry_price", "at", D.num], ["status", "status"], ["exit_date", "exit"],
    ["exit_price", "at", D.num], ["pnl", "P&L", D.num], ["note", "note"]];
  const load = async (q) => {
    const d = await D.getJSON("/api/trades?" + q);
    D.$("warnings").textContent = d.warnings.map((w) => "warning: " + w).join(" ");
    const holder = D.$("items");
    holder.innerHTML = d.items.length ? "" : "<p class=note>No saved plans and no open journal entries "
      + "(plans: $ROTATION_PLANS or ~/.config/rotation/plans, or rotation serve --plan FILE).</p>";
    d.items.forEach((it, n) => {
      const box = document.createElement("div");
      box.className = "trade";
      box.innerHTML = "<h2>" + D.esc(it.plan + ": " + it.side + " " + it.symbol) + " <span class=note>("
        + D.esc(it.journal ? "journal " + it.source : "plan " + it.source) + ")</span></h2>"
        + "<div class=summary>P&amp;L " + D.esc(D.num(it.pnl)) + " (" + D.esc(D.pct(it.pnl_pct)) + ") to " + D.esc(it.last_date) + "</div>"
        + "<div class=chart id=trade-" + n + "></div><div id=tr-" + n + "></div><h3>Stops and targets</h3><div id=al-" + n + "></div>";
      holder.appendChild(box);
      const B = it.bars;
      const traces = [{ x: B.date, open: B.open, high: B.high, low: B.low, close: B.close, type: "candlestick", name: it.symbol }];
      const fills = it.fills;
      traces.push({ x: fills.map((f) => f.date), y: fills.map((f) => f.price), mode: "markers", type: "scatter", name: "fills",
        text: fills.map((f) => f.tranche_name + ": " + f.reason), marker: { size: 10, symbol: fills.map((f) => (f.quantity > 0 ? "triangle-up" : "triangle-down")),
          color: fills.map((f) => (f.quantity > 0 ? "#2e8540" : "#c0392b")) } });
      const shapes = it.alerts.filter((a) => a.instrument === it.symbol && D.isNum(a.level)).map((a) => ({
        type: "line", xref: "paper", x0: 0, x1: 1, y0: a.level, y1: a.level, line: { dash: "dot", color: a.rule === "target" ? "#2e8540" : "#c0392b" } }));
      D.plot(D.$("trade-" + n), traces, { title: { text: it.symbol + " (as-traded OHLC), fills and levels" }, shapes,
        xaxis: { rangeslider: { visible: false } } });
      D.table(D.$("tr-" + n), trCols, it.tranches);
      D.table(D.$("al-" + n), alertCols, it.alerts, (a) => a.status !== "ok");
    });
    D.table(D.$("journal"), jCols, d.journal);
  };
  D.page(load)();
})();
