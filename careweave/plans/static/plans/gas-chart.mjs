// The goal attainment chart on the plan page: a Vega-Lite spec from the page's JSON data
// block (<script type="application/json" id="gas-chart-spec">), drawn by the vendored
// vega-embed with the CSP-compliant expression interpreter (no eval, no inline styles).
// Without JavaScript the table beside the chart carries the same figures.
import { expressionInterpreter } from "../vendor/vega/vega-interpreter.mjs";

const data = document.getElementById("gas-chart-spec");
const target = document.getElementById("gas-chart");
if (data && target && window.vegaEmbed) {
  const spec = JSON.parse(data.textContent);
  window.vegaEmbed(target, spec, {
    actions: false,
    renderer: "svg",
    ast: true,
    expr: expressionInterpreter,
    defaultStyle: false,
    tooltip: false,
  }).catch((error) => {
    target.hidden = true;
    console.error("goal chart:", error);
  });
}
