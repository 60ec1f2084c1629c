#!/usr/bin/env bash
# Build the browser assets: install the locked npm packages (only when node_modules is
# missing or older than package-lock.json) and copy the files the pages need into
# careweave/static/vendor/ (gitignored; no third-party code is committed).
#
# Layout produced (served by Django/WhiteNoise under STATIC_URL, e.g. /static/vendor/...):
#   vendor/govuk/govuk-frontend.min.css   (+ .map)   url()s rewritten to relative assets/...
#   vendor/govuk/govuk-frontend.min.js    (+ .map)   an ES module: <script type="module">
#   vendor/govuk/assets/{fonts,images,manifest.json}
#   vendor/htmx/htmx.min.js
#   vendor/axe-core/axe.min.js                       (for accessibility tests)
#   vendor/swagger-ui/swagger-ui-bundle.js, swagger-ui.css (+ .map)  API docs at /api/v1/docs
#   vendor/vega/vega.min.js, vega-lite.min.js, vega-embed.min.js (+ .map)  charts (classic
#       scripts: globals vega, vegaLite, vegaEmbed), vega-interpreter.mjs (an ES module:
#       the CSP-compliant expression interpreter, so no eval under script-src 'self')
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'build-assets: %s\n' "$*"; }

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || [ package.json -nt node_modules/.package-lock.json ]; then
  log "npm ci (node_modules missing or stale)"
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
else
  log "node_modules up to date with package-lock.json; skipping npm ci"
fi

src_govuk=node_modules/govuk-frontend/dist/govuk
dest=careweave/static/vendor
mkdir -p careweave/static
tmp=$(mktemp -d careweave/static/.vendor.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/govuk" "$tmp/htmx" "$tmp/axe-core" "$tmp/swagger-ui" "$tmp/vega"

# GOV.UK Frontend. Its precompiled CSS refers to fonts and images by the absolute path
# /assets/... (e.g. url(/assets/fonts/bold-b542beb274-v2.woff2)). We serve it under
# /static/vendor/govuk/, so make those references relative to the stylesheet: the browser
# then resolves them to /static/vendor/govuk/assets/..., whatever STATIC_URL is, and
# Django's ManifestStaticFilesStorage can hash them.
sed 's#url(/assets/#url(assets/#g' "$src_govuk/govuk-frontend.min.css" >"$tmp/govuk/govuk-frontend.min.css"
if grep -q 'url(/' "$tmp/govuk/govuk-frontend.min.css"; then
  log "ERROR: govuk-frontend.min.css still has absolute url(/...) references:" >&2
  grep -o 'url(/[^)]*)' "$tmp/govuk/govuk-frontend.min.css" | sort -u >&2
  exit 1
fi
cp "$src_govuk/govuk-frontend.min.css.map" "$src_govuk/govuk-frontend.min.js" \
   "$src_govuk/govuk-frontend.min.js.map" "$tmp/govuk/"
cp -R "$src_govuk/assets" "$tmp/govuk/assets"

cp node_modules/htmx.org/dist/htmx.min.js "$tmp/htmx/"
cp node_modules/axe-core/axe.min.js "$tmp/axe-core/"
# Swagger UI for the API docs page, served locally (no CDN: hospital networks are offline).
src_swagger=node_modules/swagger-ui-dist
cp "$src_swagger/swagger-ui-bundle.js" "$src_swagger/swagger-ui-bundle.js.map" \
   "$src_swagger/swagger-ui.css" "$src_swagger/swagger-ui.css.map" "$tmp/swagger-ui/"

# Vega-Lite charts (plans: goal attainment over reviews). The UMD bundles define globals.
# vega-interpreter is published as an ES module that imports from the bare specifier
# 'vega-util', which a browser cannot resolve without an import map (an inline script the
# CSP forbids); the three names it needs are on the vega global, so take them from there.
cp node_modules/vega/build/vega.min.js "$tmp/vega/"
cp node_modules/vega-lite/build/vega-lite.min.js node_modules/vega-lite/build/vega-lite.min.js.map \
   node_modules/vega-embed/build/vega-embed.min.js node_modules/vega-embed/build/vega-embed.min.js.map \
   "$tmp/vega/"
src_interp=node_modules/vega-interpreter/build/vega-interpreter.js
grep -q "^import { ascending, isString, DisallowedObjectProperties } from 'vega-util';$" "$src_interp" || {
  log "ERROR: vega-interpreter's imports changed; update the rewrite in $0" >&2; exit 1; }
sed -e "s#^import { ascending, isString, DisallowedObjectProperties } from 'vega-util';\$#const { ascending, isString, DisallowedObjectProperties } = globalThis.vega;#" \
    -e '/sourceMappingURL=/d' "$src_interp" >"$tmp/vega/vega-interpreter.mjs"

# Every copied file that names a source map must have it beside it, or collectstatic with
# ManifestStaticFilesStorage fails on the missing .map.
while IFS= read -r f; do
  map=$(grep -oE 'sourceMappingURL=[^ *]+' "$f" | tail -n 1 | cut -d= -f2 || true)
  if [ -n "$map" ] && [ ! -f "$(dirname "$f")/$map" ]; then
    log "ERROR: $f names source map $map, which was not copied" >&2
    exit 1
  fi
done < <(find "$tmp" -name '*.js' -o -name '*.mjs' -o -name '*.css')

rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT

version() { node -p "require('./node_modules/$1/package.json').version"; }
log "wrote $dest/ ($(find "$dest" -type f | wc -l) files, $(du -sh "$dest" | cut -f1)):"
log "  govuk/            govuk-frontend $(version govuk-frontend): css (url()s -> relative assets/), js (ES module), assets/fonts, assets/images"
log "  htmx/htmx.min.js  htmx.org $(version htmx.org)"
log "  axe-core/axe.min.js  axe-core $(version axe-core)"
log "  swagger-ui/        swagger-ui-dist $(version swagger-ui-dist): bundle js + css"
log "  vega/             vega $(version vega), vega-lite $(version vega-lite), vega-embed $(version vega-embed), vega-interpreter $(version vega-interpreter)"
