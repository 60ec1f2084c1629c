// Starts the self-hosted Swagger UI on /api/v1/docs (no CDN). Settings come from the page;
// requests from the page carry the CSRF token so that a logged-in session can try calls.
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("swagger-settings").textContent);
  var csrfToken = document.body.getAttribute("data-csrf-token");
  settings.dom_id = "#swagger-ui";
  settings.presets = [SwaggerUIBundle.presets.apis];
  settings.plugins = [SwaggerUIBundle.plugins.DownloadUrl];
  settings.requestInterceptor = function (request) {
    if (csrfToken) {
      request.headers["X-CSRFToken"] = csrfToken;
    }
    return request;
  };
  window.ui = SwaggerUIBundle(settings);
})();
