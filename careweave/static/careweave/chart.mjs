// Charts drawn from a Vega-Lite spec in the page's JSON data block: every element with
// data-chart-spec="<id of a <script type="application/json">>" gets its chart, drawn by
// vega-embed (from npm, in static/vendor) with the CSP-compliant expression interpreter
// (no eval, no inline styles). A drawn chart gets data-rendered="true". Without
// JavaScript, or if drawing fails, the table beside the chart carries the same figures.
import { expressionInterpreter } from "../vendor/vega/vega-interpreter.mjs";

for (const target of document.querySelectorAll("[data-chart-spec]")) {
  const data = document.getElementById(target.dataset.chartSpec);
  if (!data || !window.vegaEmbed) continue;
  window.vegaEmbed(target, JSON.parse(data.textContent), {
    actions: false,
    renderer: "svg",
    ast: true,
    expr: expressionInterpreter,
    defaultStyle: false,
    tooltip: false,
  }).then(() => {
    target.dataset.rendered = "true";
  }).catch((error) => {
    target.hidden = true;
    console.error(`chart ${target.id}:`, error);
  });
}
