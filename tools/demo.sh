#!/usr/bin/env bash
# `make demo`: loads the fixtures into a running server (`make run` in
# another terminal), so that http://127.0.0.1:8080/ shows data at once:
#   - the Snuffelfiets export (5,704 real readings, 11-12 Nov 2024) in project
#     "snuffelfiets" (air);
#   - Utrecht's 10 CBS wijken as area layer "wijken";
#   - the 114 real Telraam segments in project "telraam", with two days of
#     synthetic hourly reports (the real snapshot has no counts);
#   - six heat stations in project "hitte" with three days of synthetic
#     observations (there is no public heat fixture);
#   - 48 synthetic residents' Leefplekmeter sheets (June 2025) in project
#     "beleving" (experience).
# Runs again without harm: projects that exist are kept, uploads store
# nothing twice. SAMENMETEN_URL (default http://127.0.0.1:${PORT:-8080}) and
# SAMENMETEN_ADMIN_TOKEN (default: var/admin.token) choose the server.
set -euo pipefail
cd "$(dirname "$0")/.."

base=${SAMENMETEN_URL:-http://127.0.0.1:${PORT:-8080}}
token=${SAMENMETEN_ADMIN_TOKEN:-}
if [ -z "$token" ]; then
  [ -r var/admin.token ] || { echo "no admin token: start the server with \`make run\` first" >&2; exit 1; }
  token=$(tr -d '\n' <var/admin.token)
fi
command -v node >/dev/null || { echo "node is needed for the synthetic data (make web installs it)" >&2; exit 1; }
curl -fs "$base/readyz" >/dev/null || { echo "no server answers at $base: run \`make run\` first" >&2; exit 1; }

fixtures=tests/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# call METHOD PATH [curl args...]: prints the body; fails on any status but
# 2xx and 409 (a project or device that exists already).
call() {
  local method=$1 path=$2; shift 2
  local status
  status=$(curl -s -o "$tmp/body" -w '%{http_code}' -X "$method" \
    -H "Authorization: Bearer $token" "$@" "$base$path")
  case "$status" in
    2??|409) cat "$tmp/body" ;;
    *) echo "$method $path answered $status: $(cat "$tmp/body")" >&2; return 1 ;;
  esac
}
json() { call POST "$1" -H 'Content-Type: application/json' "${@:2}"; }
say() { printf '%-44s %s\n' "$1" "$2"; }

project() { # slug name kind
  json /v1/projects -d "{\"slug\":\"$1\",\"name\":\"$2\",\"kind\":\"$3\",\"licence\":\"CC-BY-4.0\"}" >/dev/null
}

project snuffelfiets "Snuffelfiets" air
say "air: Snuffelfiets export" "$(call POST '/v1/ingest/snuffelfiets?project=snuffelfiets' \
  -H 'Content-Type: text/csv' --data-binary @"$fixtures/snuffelfiets/platform-export-2024-11-11.csv")"

say "areas: CBS wijken 2014 (layer wijken)" "$(json /v1/areas/wijken \
  --data-binary @"$fixtures/areas/utrecht-wijken-2014.geojson")"

project telraam "Telraam Utrecht" traffic
say "traffic: 114 Telraam segments" "$(json '/v1/segments?project=telraam' \
  --data-binary @"$fixtures/telraam/segments-utrecht-2023-12-09.geojson")"
node tools/demo-data.mjs telraam "$fixtures/telraam/segments-utrecht-2023-12-09.geojson" 2024-11-11 2 \
  >"$tmp/reports.json"
say "traffic: synthetic hourly reports" "$(json '/v1/ingest/telraam?project=telraam' \
  --data-binary @"$tmp/reports.json")"

project hitte "Hitte in de wijk" heat
n=0
while read -r station; do
  json /v1/projects/hitte/devices -d "$station" >/dev/null
  n=$((n + 1))
done < <(node tools/demo-data.mjs stations)
say "heat: stations registered" "$n"
node tools/demo-data.mjs heat 2025-07-01 3 >"$tmp/heat.json"
say "heat: synthetic observations" "$(json '/v1/ingest/heat?project=hitte' --data-binary @"$tmp/heat.json")"

project beleving "Leefplekmeter" experience
node tools/demo-data.mjs beleving 2025-06 >"$tmp/sheets.json"
say "beleving: synthetic Leefplekmeter sheets" "$(json '/v1/ingest/experience?project=beleving' \
  --data-binary @"$tmp/sheets.json")"

# The catalogue's coverage (what the dashboard's views open on) follows the
# uploads within seconds, a day at a time (the server's refresher): wait
# until every project has some and the catalogue stayed the same for 5 s.
printf 'waiting for the catalogue to take in the uploads' >&2
same=0 before=""
for _ in $(seq 1 180); do
  now=$(curl -fs "$base/v1/projects" || true)
  if [ -n "$now" ] && [ "$now" = "$before" ] && ! grep -q '"from":null' <<<"$now"; then
    same=$((same + 1))
    [ "$same" -ge 5 ] && break
  else
    same=0
  fi
  before=$now
  printf . >&2
  sleep 1
done
echo >&2

echo "open $base/ (the dashboard) and $base/docs (the API)"
