#!/usr/bin/env bash
# `make web`: installs the dashboard's libraries from npm, pinned by
# web/package-lock.json (`npm ci`, no install scripts), when node_modules is
# missing or older than the lockfile, then copies the few files the pages
# load into web/vendor/, each named with its version (the server caches
# versioned names for a year). Without node/npm it says what to install.
set -euo pipefail
cd "$(dirname "$0")/../web"

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "The dashboard's libraries come from npm, and node/npm are missing." >&2
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing: nodejs npm" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm \
      >/dev/null
  else
    echo "Install them, then run the command again:" >&2
    echo "  sudo apt-get install -y nodejs npm" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "npm ci (web/package-lock.json)" >&2
  SCARF_ANALYTICS=false npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  touch node_modules
fi

version() { node -p "require('./node_modules/$1/package.json').version"; }
leaflet=$(version leaflet)
uplot=$(version uplot)
swagger=$(version swagger-ui-dist)

# source in node_modules -> name in vendor/
files=(
  "leaflet/dist/leaflet.js leaflet-$leaflet.js"
  "leaflet/dist/leaflet.css leaflet-$leaflet.css"
  "uplot/dist/uPlot.iife.min.js uplot-$uplot.js"
  "uplot/dist/uPlot.min.css uplot-$uplot.css"
  "swagger-ui-dist/swagger-ui-bundle.js swagger-ui-$swagger.js"
  "swagger-ui-dist/swagger-ui.css swagger-ui-$swagger.css"
)
mkdir -p vendor.new
for f in "${files[@]}"; do
  set -- $f
  cp "node_modules/$1" "vendor.new/$2"
done
# Only the files above: an old version's files go.
rm -rf vendor
mv vendor.new vendor

# The pages name the versions they load: a version bump in package.json
# needs the same bump there.
for f in vendor/*; do
  name=${f#vendor/}
  grep -q "/vendor/$name" index.html docs.html ||
    { echo "web/vendor/$name is not loaded by index.html or docs.html: update their version" >&2; exit 1; }
done
