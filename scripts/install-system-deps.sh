#!/usr/bin/env bash
# Install what Careweave's build and tests need from outside PyPI/npm, idempotently:
#   Debian: chromium (browser tests, Playwright drives /usr/bin/chromium), gettext (msgfmt,
#           for compilemessages), postgresql-15 (throwaway test server), WeasyPrint's
#           libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0, node/npm if missing;
#           wrk only with --with-bench (or WITH_BENCH=1).
#   Python: uv (python3 -m pip install uv) if neither `uv` nor `python3 -m uv` works.
# apt-get update runs only when something is missing. Never runs `playwright install`.
#
#   scripts/install-system-deps.sh                 # everything `make test` needs
#   scripts/install-system-deps.sh --build-only    # uv, gettext, npm: enough for `make install/demo`
#   scripts/install-system-deps.sh --with-bench    # also wrk
set -euo pipefail

build_only=0
with_bench=${WITH_BENCH:-0}
for arg in "$@"; do
  case "$arg" in
    --build-only) build_only=1 ;;
    --with-bench) with_bench=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "install-system-deps: unknown option $arg" >&2; exit 2 ;;
  esac
done

log() { printf 'system-deps: %s\n' "$*"; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

wanted=(gettext)
command -v npm >/dev/null 2>&1 || wanted+=(nodejs npm)
if [ "$build_only" -eq 0 ]; then
  wanted+=(chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
  [ -x /usr/lib/postgresql/15/bin/initdb ] || wanted+=(postgresql-15)
fi
[ "$with_bench" = 1 ] && wanted+=(wrk)

missing=()
for pkg in "${wanted[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  log "Debian packages present: ${wanted[*]}"
else
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    log "missing Debian packages: ${missing[*]}" >&2
    log "not root and no passwordless sudo: run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  log "installing: ${missing[*]}"
  t0=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
  log "installed ${missing[*]} in $((SECONDS - t0))s"
fi

# uv: plain `uv` if it runs (a pyenv shim may exist without uv behind it), else python3 -m uv.
if uv --version >/dev/null 2>&1; then
  log "$(uv --version) on PATH"
elif python3 -m uv --version >/dev/null 2>&1; then
  log "$(python3 -m uv --version) via python3 -m uv"
else
  log "installing uv with pip"
  t0=$SECONDS
  python3 -m pip install --quiet --disable-pip-version-check uv 2>&1 \
    | grep -vE "is ignored: it is neither a file nor a directory|Running pip as the 'root' user" >&2 || true
  python3 -m uv --version >/dev/null 2>&1 || { log "uv install failed" >&2; exit 1; }
  log "installed $(python3 -m uv --version) in $((SECONDS - t0))s"
fi

if [ "$build_only" -eq 0 ]; then
  /usr/bin/chromium --version 2>/dev/null | sed 's/^/system-deps: /' || { log "chromium does not run" >&2; exit 1; }
fi
