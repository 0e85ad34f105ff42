// RRG explorer: a date slider (play/pause) animates the tails; hover shows values; a click opens the ratio.
"use strict";
(() => {
  const QUAD = { leading: "#2e8540", weakening: "#d9a400", lagging: "#c0392b", improving: "#2f6fb5" };
  let data = null;
  let timer = null;
  const slider = D.$("slider");
  const chart = D.$("rrg");

  const fillUniverses = async (form) => {
    const u = await D.getJSON("/api/universes");
    const sel = form.elements.universe;
    const want = new URLSearchParams(location.search).get("universe") || "sectors";
    sel.innerHTML = [...u.universes, ...u.constituent_sets].map((n) => "<option>" + D.esc(n) + "</option>").join("");
    sel.value = want;
  };

  const bounds = () => {
    let xs = [], ys = [];
    for (const s of Object.values(data.series)) {
      xs = xs.concat(s.x.filter(D.isNum));
      ys = ys.concat(s.y.filter(D.isNum));
    }
    const pad = (lo, hi) => { const d = Math.max(hi - 100, 100 - lo, 0.5) * 1.1; return [100 - d, 100 + d]; };
    return { x: pad(Math.min(...xs), Math.max(...xs)), y: pad(Math.min(...ys), Math.max(...ys)) };
  };

  const draw = (i) => {
    const tail = data.tail;
    const day = data.dates[i];
    const traces = [];
    for (const [sym, s] of Object.entries(data.series)) {
      const lo = Math.max(0, i - tail + 1);
      const xs = [], ys = [], ds = [];
      for (let k = lo; k <= i; k++) {
        if (D.isNum(s.x[k]) && D.isNum(s.y[k])) { xs.push(s.x[k]); ys.push(s.y[k]); ds.push(data.dates[k]); }
      }
      if (!xs.length) continue;
      const q = s.q[i] || "";
      const label = data.labels[sym] ? sym + " (" + data.labels[sym] + ")" : sym;
      traces.push({
        x: xs, y: ys, customdata: ds, name: sym, mode: "lines+markers+text", type: "scatter",
        text: xs.map((_, k) => (k === xs.length - 1 ? sym : "")), textposition: "top center",
        marker: { size: xs.map((_, k) => (k === xs.length - 1 ? 10 : 4)), color: QUAD[q] || "#777" },
        line: { width: 1.5, color: QUAD[q] || "#777" },
        hovertemplate: label + "<br>%{customdata}<br>RS-Ratio %{x:.2f}<br>RS-Momentum %{y:.2f}<extra>" + q + "</extra>",
      });
    }
    const b = data.box;
    const shapes = [
      [100, b.x[1], 100, b.y[1], "rgba(46,133,64,0.07)"], [100, b.x[1], b.y[0], 100, "rgba(217,164,0,0.08)"],
      [b.x[0], 100, b.y[0], 100, "rgba(192,57,43,0.07)"], [b.x[0], 100, 100, b.y[1], "rgba(47,111,181,0.07)"],
    ].map(([x0, x1, y0, y1, c]) => ({ type: "rect", x0, x1, y0, y1, fillcolor: c, line: { width: 0 }, layer: "below" }));
    D.plot(chart, traces, {
      title: { text: data.universe + " vs " + data.benchmark + " on " + day + " (" + data.params.freq + ", window "
        + data.params.window + ", smooth " + data.params.smooth + ", momentum " + data.params.momentum + ")" },
      xaxis: { title: { text: "RS-Ratio" }, range: b.x, zeroline: false },
      yaxis: { title: { text: "RS-Momentum" }, range: b.y, zeroline: false },
      shapes, showlegend: false,
      annotations: [["leading", b.x[1], b.y[1]], ["weakening", b.x[1], b.y[0]], ["lagging", b.x[0], b.y[0]],
        ["improving", b.x[0], b.y[1]]].map(([t, x, y]) => ({ text: t, x, y, showarrow: false, font: { color: QUAD[t] },
        xanchor: x > 100 ? "right" : "left", yanchor: y > 100 ? "top" : "bottom" })),
    });
    chart.dataset.date = day;
    D.$("slider-date").textContent = day;
    const shown = data.transitions.filter((t) => t.date <= day);
    D.table(D.$("transitions"), [["date", "date"], ["symbol", "symbol"], ["from_quadrant", "from"], ["to_quadrant", "to"]],
      shown.slice(0, 80));
  };

  const stop = () => { if (timer) { clearInterval(timer); timer = null; } D.$("play").textContent = "play"; };
  D.$("play").addEventListener("click", () => {
    if (timer) { stop(); return; }
    if (+slider.value >= +slider.max) slider.value = Math.max(0, +slider.max - 26);
    D.$("play").textContent = "pause";
    timer = setInterval(() => {
      if (+slider.value >= +slider.max) { stop(); return; }
      slider.value = +slider.value + 1;
      draw(+slider.value);
    }, 250);
  });
  slider.addEventListener("input", () => { stop(); draw(+slider.value); });

  const load = async (q) => {
    stop();
    data = await D.getJSON("/api/rrg?" + q);
    data.box = bounds();
    slider.max = data.dates.length - 1;
    slider.value = slider.max;
    draw(+slider.value);
    D.$("notes").textContent = [...data.notes, "Prices: " + data.basis + ". Click a symbol to open its ratio chart."].join(" ");
    if (!chart.dataset.clicks) {
      chart.dataset.clicks = "1";
      chart.on("plotly_click", (ev) => {
        const sym = ev.points && ev.points[0] && ev.points[0].data.name;
        if (sym) location.href = "/pair?pair=" + encodeURIComponent(sym + ":" + data.benchmark);
      });
    }
  };
  const form = D.$("controls");
  const run = D.page(load);
  fillUniverses(form).then(() => {
    D.formFromUrl(form);
    run();
  }).catch((e) => { if (!e.shown) D.status(String(e), true); });
})();
