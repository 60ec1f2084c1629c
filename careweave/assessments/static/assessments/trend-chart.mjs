// The trend chart on an assessment's trend page: the Vega-Lite spec from the page's JSON data
// block (<script type="application/json" id="trend-chart-spec">), drawn by the vendored
// vega-embed with the CSP-compliant expression interpreter (no eval, no inline styles).
// Without JavaScript the table beside the chart carries the same figures.
import { expressionInterpreter } from "../vendor/vega/vega-interpreter.mjs";

const data = document.getElementById("trend-chart-spec");
const target = document.getElementById("trend-chart");
if (data && target && window.vegaEmbed) {
  const spec = JSON.parse(data.textContent);
  window.vegaEmbed(target, spec, {
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
    console.error("trend chart:", error);
  });
}
