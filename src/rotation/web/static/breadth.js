// Breadth: participation of each constituent set, % above MAs, McClellan, cap vs equal weight.
"use strict";
(() => {
  const snapCols = [["measure", "measure"], ["value", "value"]];
  const SNAP = [["share_up", "share of members up", "pct"], ["above_ma20", "above 20-day average", "pct"],
    ["above_ma50", "above 50-day average", "pct"], ["above_ma200", "above 200-day average", "pct"],
    ["advancers", "advancers", "int"], ["decliners", "decliners", "int"], ["new_highs", "new 52-week highs", "int"],
    ["new_lows", "new 52-week lows", "int"], ["mcclellan", "McClellan oscillator", "num"]];
  const fmt = (v, k) => (k === "pct" ? D.pct(v, 1, false) : k === "int" ? D.num(v, 0) : D.num(v, 1));
  const one = async (holder, name, q) => {
    const api = new URLSearchParams(q);
    api.set("universe", name);
    const d = await D.getJSON("/api/breadth?" + api);
    const box = document.createElement("section");
    box.className = "trade";
    box.innerHTML = "<h2>" + D.esc(name) + " (" + D.esc(d.membership) + " membership) as of " + D.esc(d.as_of) + "</h2>"
      + "<div class=grid><div class=chart id=part-" + name + "></div><div class=chart id=mcc-" + name + "></div></div>"
      + "<div class=grid><div id=snap-" + name + "></div><div id=weights-" + name + "></div></div><p class=note></p>";
    holder.appendChild(box);
    const S = d.series;
    const line = (key, label, color) => ({ x: S.date, y: S[key].map((v) => (D.isNum(v) ? v * 100 : null)), name: label,
      type: "scatter", mode: "lines", line: { width: 1.3, color } });
    D.plot(D.$("part-" + name), [line("above_ma20", "% above MA20", "#6fb3e6"), line("above_ma50", "% above MA50", "#2f6fb5"),
      line("above_ma200", "% above MA200", "#14324a")], { title: { text: "Participation: % of members above their averages" },
      yaxis: { range: [0, 100], ticksuffix: "%" } });
    D.plot(D.$("mcc-" + name), [{ x: S.date, y: S.mcclellan, type: "bar", name: "McClellan (ratio-adjusted)",
      marker: { color: S.mcclellan.map((v) => (v > 0 ? "#2e8540" : "#c0392b")) } }],
      { title: { text: "McClellan oscillator" } });
    D.table(D.$("snap-" + name), snapCols, SNAP.map(([k, label, kind]) => ({ measure: label, value: fmt(d.snapshot[k], kind) })));
    const w = d.weights;
    if (w && w.table) {
      const keys = Object.keys(w.table[0] || {}).filter((k) => !["window", "sessions", "start", "end"].includes(k));
      D.table(D.$("weights-" + name), [["window", "window"], ["start", "from"], ["end", "to"], ...keys.map((k) => [k, k, D.pct])], w.table);
    } else {
      D.$("weights-" + name).innerHTML = "<p class=note>cap vs equal weight: " + D.esc(w && w.error) + "</p>";
    }
    box.querySelector("p.note").textContent = "Survivor-biased: " + d.notes.join("; ");
  };
  const load = async (q) => {
    const u = await D.getJSON("/api/universes");
    const holder = D.$("sets");
    holder.innerHTML = "";
    if (!u.constituent_sets.length) { holder.innerHTML = "<p class=note>No constituent sets in the store: rotation data import DIR with a universe/ folder.</p>"; return; }
    for (const name of u.constituent_sets) await one(holder, name, q);
    D.status("");
  };
  D.page(load)();
})();
