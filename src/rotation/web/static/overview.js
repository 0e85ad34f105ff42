// Overview: today's rotation across the standard pairs, the sectors RRG, breadth, positioning and stops.
"use strict";
(() => {
  const QUAD = { leading: "#2e8540", weakening: "#d9a400", lagging: "#c0392b", improving: "#2f6fb5" };
  const scanCols = [["pair", "pair", (v) => v], ["kind", "kind"], ["date", "date"], ["return_a", "A", D.pct], ["return_b", "B", D.pct],
    ["spread", "spread", D.pct], ["rank", "rank"], ["count", "of"], ["percentile", "pctile", (v) => D.pct(v, 1, false)],
    ["notable", "notable", (v, r) => (v ? "yes" : r.stale ? "stale" : "")]];
  const stopCols = [["status", "status"], ["plan", "plan"], ["symbol", "symbol"], ["rule", "rule"], ["instrument", "instrument"],
    ["level", "level", D.num], ["last_close", "close", D.num], ["distance_pct", "distance", (v) => D.pct(v, 2, false)]];
  const load = async (q) => {
    const d = await D.getJSON("/api/overview?" + q);
    D.table(D.$("scan"), scanCols, d.scan.pairs, (r) => r.notable);
    const el = D.$("scan");
    el.querySelectorAll("tbody tr").forEach((tr, i) => {
      const p = d.scan.pairs[i];
      tr.style.cursor = "pointer";
      tr.addEventListener("click", () => { location.href = "/pair?pair=" + encodeURIComponent(p.a + ":" + p.b) + "&day=" + p.date; });
    });
    if (d.rrg.points) {
      D.plot(D.$("rrg"), d.rrg.points.map((p) => ({
        x: p.tail.map((t) => t[1]), y: p.tail.map((t) => t[2]), name: p.symbol, type: "scatter", mode: "lines+markers+text",
        text: p.tail.map((_, k) => (k === p.tail.length - 1 ? p.symbol : "")), textposition: "top center",
        marker: { color: QUAD[p.quadrant], size: p.tail.map((_, k) => (k === p.tail.length - 1 ? 9 : 4)) }, line: { color: QUAD[p.quadrant] },
        hovertemplate: p.symbol + " " + p.quadrant + "<br>RS-Ratio %{x:.2f}<br>RS-Momentum %{y:.2f}<extra></extra>",
      })), { showlegend: false, title: { text: "vs " + d.rrg.benchmark + " on " + (d.rrg.points[0] || {}).date },
        xaxis: { title: { text: "RS-Ratio" } }, yaxis: { title: { text: "RS-Momentum" } },
        shapes: [{ type: "line", x0: 100, x1: 100, yref: "paper", y0: 0, y1: 1, line: { color: "#aaa" } },
          { type: "line", y0: 100, y1: 100, xref: "paper", x0: 0, x1: 1, line: { color: "#aaa" } }] });
    } else {
      D.$("rrg").innerHTML = "<p class=note>" + D.esc(d.rrg.error) + "</p>";
    }
    D.table(D.$("breadth"), [["universe", "set"], ["as_of", "date"], ["share_up", "up", (v) => D.pct(v, 1, false)],
      ["above_ma50", "> MA50", (v) => D.pct(v, 1, false)], ["above_ma200", "> MA200", (v) => D.pct(v, 1, false)],
      ["mcclellan", "McClellan", (v) => D.num(v, 1)], ["error", "note"]],
      d.breadth.map((b) => Object.assign({ universe: b.universe, as_of: b.as_of, error: b.error || "" }, b.snapshot || {})));
    const pos = d.positioning;
    const posEl = D.$("positioning");
    if (pos.available && pos.positioning) {
      const rows = [];
      for (const c of pos.positioning.contracts) {
        for (const g of c.groups) {
          rows.push({ contract: c.contract, report: c.report_date + " (out " + c.release_date + ")", group: g.label, net: g.net,
            change: g.change, zscore: g.zscore, percentile: g.percentile, dollars: g.net_dollars, extreme: g.extreme || "" });
        }
      }
      D.table(posEl, [["contract", "contract"], ["report", "report"], ["group", "group"], ["net", "net", (v) => D.num(v, 0)],
        ["change", "1w change", (v) => D.num(v, 0)], ["zscore", "z (3y)", (v) => D.num(v, 1)],
        ["percentile", "pctile", (v) => D.pct(v, 0, false)], ["dollars", "net $bn", (v) => D.num(D.isNum(v) ? v / 1e9 : v, 2)],
        ["extreme", "extreme"]], rows, (r) => r.extreme);
      const s = pos.sentiment || {};
      const bits = [];
      if (s.aaii) bits.push("AAII (" + s.aaii.date + "): bullish " + D.pct(s.aaii.bullish, 1, false) + ", bearish " + D.pct(s.aaii.bearish, 1, false));
      if (s.naaim) bits.push("NAAIM exposure (" + s.naaim.date + "): " + D.num(s.naaim.value, 1));
      for (const p of s.put_call || []) bits.push(p.label + " (" + p.date + "): " + D.num(p.value, 2));
      const note = document.createElement("p");
      note.className = "note";
      note.textContent = bits.join("; ") + ". CFTC reports are as of a Tuesday and known from their release date.";
      posEl.appendChild(note);
    } else {
      posEl.innerHTML = "<p class=note>" + D.esc(pos.missing || "not available") + "</p>";
    }
    D.table(D.$("stops"), stopCols, d.stops, (r) => r.status !== "ok");
  };
  D.page(load)();
})();
