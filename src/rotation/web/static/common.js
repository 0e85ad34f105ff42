// Shared helpers of the dashboard pages: parameters <-> URL, fetching JSON, tables, number formats.
"use strict";
const D = (() => {
  const $ = (id) => document.getElementById(id);
  const status = (text, error) => {
    const el = $("status");
    if (!el) return;
    el.textContent = text || "";
    el.className = error ? "status error" : "status";
  };
  // Fill the form from the page's query string; return the form.
  const formFromUrl = (form) => {
    const q = new URLSearchParams(location.search);
    for (const el of form.elements) {
      if (el.name && q.has(el.name)) el.value = q.get(el.name);
    }
    return form;
  };
  // The form's non-empty fields as URLSearchParams (and the page's URL updated to match).
  const formParams = (form) => {
    const q = new URLSearchParams();
    for (const el of form.elements) {
      if (el.name && el.value !== "") q.set(el.name, el.value);
    }
    history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : ""));
    return q;
  };
  const getJSON = async (url) => {
    status("loading " + url.split("?")[0] + " ...");
    const t0 = performance.now();
    const resp = await fetch(url);
    const body = await resp.json().catch(() => ({ error: "HTTP " + resp.status }));
    if (!resp.ok) {
      status(body.error || "HTTP " + resp.status, true);
      const err = new Error(body.error || "HTTP " + resp.status);
      err.shown = true;
      throw err;
    }
    status("loaded in " + Math.round(performance.now() - t0) + " ms");
    return body;
  };
  const isNum = (x) => typeof x === "number" && isFinite(x);
  const pct = (x, digits, signed) => {
    digits = typeof digits === "number" ? digits : 2;
    signed = signed !== false;
    return isNum(x) ? (signed && x > 0 ? "+" : "") + (x * 100).toFixed(digits) + "%" : "-";
  };
  const num = (x, digits) => {
    digits = typeof digits === "number" ? digits : 2;
    return isNum(x) ? x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "-";
  };
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  // columns: [[key, label, format?]]; format(value, row) returns text; pct/spread columns get a sign colour.
  const table = (el, columns, rows, hot) => {
    const head = columns.map((c) => "<th>" + esc(c[1]) + "</th>").join("");
    const body = rows.map((r) => {
      const cells = columns.map((c) => {
        const v = r[c[0]];
        const text = c[2] ? c[2](v, r) : v ?? "-";
        const cls = isNum(v) ? "num" + (c[2] === pct ? (v > 0 ? " pos" : v < 0 ? " neg" : "") : "") : "";
        return "<td class='" + cls + "'>" + esc(text) + "</td>";
      }).join("");
      return "<tr" + (hot && hot(r) ? " class=hot" : "") + ">" + cells + "</tr>";
    }).join("");
    el.innerHTML = rows.length ? "<table class=data><thead><tr>" + head + "</tr></thead><tbody>" + body + "</tbody></table>"
      : "<p class=note>nothing to show</p>";
  };
  const layout = (extra) => Object.assign({
    margin: { l: 50, r: 20, t: 30, b: 40 }, font: { size: 11 }, paper_bgcolor: "#fff", plot_bgcolor: "#fff",
    legend: { orientation: "h", y: 1.08 }, hovermode: "closest",
  }, extra || {});
  const plot = (el, data, extra) => Plotly.react(el, data, layout(extra), { displaylogo: false, responsive: true });
  // Run a page's load function on submit and once at start; errors are shown, never thrown to the console.
  const page = (load) => {
    const form = $("controls");
    const run = () => load(form ? formParams(form) : new URLSearchParams()).catch((e) => {
      if (!e.shown) status(String(e.message || e), true);
    });
    if (form) {
      formFromUrl(form);
      form.addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
    }
    return run;
  };
  return { $, status, formFromUrl, formParams, getJSON, pct, num, esc, table, plot, page, isNum };
})();
