// The API reference, drawn from the OpenAPI document (no network beyond this server).
"use strict";
(async () => {
  const spec = await D.getJSON("/api/openapi.json");
  const typeOf = (s) => (s ? (s.anyOf ? s.anyOf.map(typeOf).filter((t) => t !== "null").join(" | ") + " (optional)"
    : (s.enum ? "one of " + s.enum.join(", ") : (s.format || s.type || "")) + (s.minimum !== undefined ? " >= " + s.minimum : "")
      + (s.maximum !== undefined ? " <= " + s.maximum : "") + (s.pattern ? " matching " + s.pattern : "")) : "");
  let html = "";
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      html += "<section class=trade><h2>" + D.esc(method.toUpperCase() + " " + path) + "</h2><p>" + D.esc(op.summary || "") + "</p>";
      const params = (op.parameters || []).map((p) => ({ name: p.name, in: p.in, type: typeOf(p.schema),
        default: p.schema && p.schema.default !== undefined ? JSON.stringify(p.schema.default) : "", required: p.required ? "yes" : "" }));
      const t = document.createElement("div");
      D.table(t, [["name", "parameter"], ["in", "in"], ["type", "type"], ["default", "default"], ["required", "required"]], params);
      html += t.innerHTML + "<p class=note>responses: " + D.esc(Object.entries(op.responses).map(([c, r]) => c + " " + r.description).join("; ")) + "</p></section>";
    }
  }
  D.$("api").innerHTML = html;
  D.status("");
})().catch((e) => { if (!e.shown) D.status(String(e), true); });
