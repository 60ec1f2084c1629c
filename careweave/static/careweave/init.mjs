// Starts GOV.UK Frontend's components (an ES module, loaded only by modern browsers).
import { initAll } from "../vendor/govuk/govuk-frontend.min.js";

initAll();
