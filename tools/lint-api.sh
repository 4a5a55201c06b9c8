#!/usr/bin/env bash
# Lints the API contract api/openapi.yaml with @redocly/cli, at the version that
# tools/lint/package-lock.json pins, under the rules of redocly.yaml.
# Installs the tool into tools/lint/node_modules (npm ci) when it is missing.
# Exits non-zero on any problem the lint reports.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
lint="$root/tools/lint"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "lint-api: '$tool' is missing; run tools/deps.sh lint (Debian's nodejs and npm)" >&2
    exit 1
  fi
done

cli="$lint/node_modules/.bin/redocly"
want=$(node -p "require('$lint/package.json').devDependencies['@redocly/cli']")
have=$([ -x "$cli" ] && node -p "require('$lint/node_modules/@redocly/cli/package.json').version" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  echo "lint-api: installing @redocly/cli $want into tools/lint/node_modules" >&2
  (cd "$lint" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

cd "$root"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
"$cli" lint --config redocly.yaml --format=stylish api/openapi.yaml
