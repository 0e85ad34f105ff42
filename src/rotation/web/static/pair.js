// Pair explorer: ratio with moving averages, spread history with ranks, top days toward each side.
"use strict";
(() => {
  const evCols = [["date", "date"], ["return_a", "A", D.pct], ["return_b", "B", D.pct], ["spread", "spread", D.pct],
    ["pattern", "pattern"], ["rank", "rank (this direction)"], ["count", "of"], ["rank_all", "rank (both)"],
    ["count_all", "of"], ["zscore", "z", (v) => D.num(v, 1)]];
  let last = null;
  const load = async (q) => {
    const pair = (q.get("pair") || "").trim();
    const parts = pair.split(":");
    if (parts.length !== 2 || !parts[0] || !parts[1]) { D.status("pair: expected A:B, e.g. IWM:QQQ or @megacaps:^RUT", true); return; }
    const api = new URLSearchParams(q);
    api.delete("pair");
    api.set("a", parts[0]);
    api.set("b", parts[1]);
    const d = await D.getJSON("/api/pair?" + api);
    last = d;
    const s = d.summary;
    D.$("summary").innerHTML = "<b>" + D.esc(d.a + " / " + d.b) + "</b> " + (d.kind ? "(" + D.esc(d.kind + ": " + d.label) + ") " : "")
      + D.esc(s.start + " .. " + s.end + ": " + d.a + " " + D.pct(s.return_a) + ", " + d.b + " " + D.pct(s.return_b)
      + ", spread " + D.pct(s.spread) + "; ratio " + D.num(s.ratio) + " vs MA" + s.fast + " " + D.num(s.ma_fast)
      + " and MA" + s.slow + " " + D.num(s.ma_slow) + ": " + d.trend) + " (" + D.esc(d.basis) + ")";
    const L = d.line;
    D.plot(D.$("ratio"), [
      { x: L.date, y: L.ratio, name: d.a + "/" + d.b + " (rebased to 100)", type: "scatter", mode: "lines", line: { color: "#14324a", width: 1.6 } },
      { x: L.date, y: L.ma_fast, name: "MA" + s.fast, type: "scatter", mode: "lines", line: { color: "#d9a400", width: 1.2 } },
      { x: L.date, y: L.ma_slow, name: "MA" + s.slow, type: "scatter", mode: "lines", line: { color: "#c0392b", width: 1.2 } },
    ], { title: { text: "Ratio " + d.a + " / " + d.b }, yaxis: { title: { text: "ratio" } } });
    const S = d.spread;
    const ranks = S.date.map((_, i) => "rank " + (S.rank[i] ?? "-") + " of " + (S.count[i] ?? "-") + " this direction, "
      + (S.rank_all[i] ?? "-") + " both");
    D.plot(D.$("spread"), [{
      x: S.date, y: S.spread.map((v) => (D.isNum(v) ? v * 100 : null)), type: "bar", name: d.window + " spread",
      marker: { color: S.spread.map((v) => (v > 0 ? "#2e8540" : "#c0392b")) }, customdata: ranks,
      hovertemplate: "%{x}<br>spread %{y:.2f}%<br>%{customdata}<extra></extra>",
    }], { title: { text: d.window + " return spread " + d.a + " - " + d.b + " (%); click a day to explain it" },
      shapes: [{ type: "line", xref: "x", x0: d.day.date, x1: d.day.date, yref: "paper", y0: 0, y1: 1, line: { color: "#6fb3e6", width: 2 } }] });
    const e = d.day;
    const br = e.breadth && e.breadth.description ? " Breadth: " + e.breadth.description : " Breadth: no constituent data for these sides.";
    D.$("day").innerHTML = "<b>" + D.esc(e.date) + "</b>: " + D.esc(e.explain) + D.esc(br);
    D.$("top-a-title").textContent = "Widest days toward " + d.a + " (" + d.a + " beat " + d.b + ")";
    D.$("top-b-title").textContent = "Widest days toward " + d.b + " (" + d.b + " beat " + d.a + ")";
    D.table(D.$("top-a"), evCols, d.top_a, (r) => r.date === e.date);
    D.table(D.$("top-b"), evCols, d.top_b, (r) => r.date === e.date);
    D.$("notes").textContent = d.notes.join(" ");
    D.$("ratio").dataset.pair = d.a + ":" + d.b;
    if (!D.$("spread").dataset.clicks) {
      D.$("spread").dataset.clicks = "1";
      D.$("spread").on("plotly_click", (ev) => {
        const day = ev.points && ev.points[0] && ev.points[0].x;
        if (!day) return;
        const form = D.$("controls");
        form.elements.day.value = String(day).slice(0, 10);
        form.requestSubmit();
      });
    }
  };
  D.page(load)();
})();
