#!/usr/bin/env bash
# Installs the Debian packages the platform needs, when they are missing.
#   tools/deps.sh run    to build and run the server with a local PostGIS
#   tools/deps.sh test   the above, plus what the test suites need
#   tools/deps.sh bench  the above, plus the load generator and nginx (the reference)
#   tools/deps.sh fuzz   what the libFuzzer targets need (clang and its runtimes)
#   tools/deps.sh lint   the format and static checkers of `make lint`, and Node.js
#                        with npm for @redocly/cli (tools/lint-api.sh) unless a
#                        node is already on PATH
#   tools/deps.sh valgrind  the unit tests' build and valgrind
# Without root it prints the apt-get line to run and stops.
set -euo pipefail

run_pkgs=(gcc make pkg-config libmicrohttpd-dev libjansson-dev libsodium-dev libpq-dev
          postgresql-15 postgresql-15-postgis-3 postgresql-client-15 curl)
test_pkgs=(libcmocka-dev python3 python3-pytest python3-requests python3-psycopg2
           python3-jsonschema python3-yaml python3-pandas gdal-bin chromium)
bench_pkgs=(wrk nginx-light)
fuzz_pkgs=(clang libclang-rt-14-dev)
lint_pkgs=(clang-format cppcheck)
valgrind_pkgs=(valgrind libcmocka-dev)
# Debian's nodejs (18 on Debian 12) runs the pinned @redocly/cli; a Node.js
# already on PATH (another packaging, with its own npm) is used as it is.
if ! command -v node >/dev/null; then
  lint_pkgs+=(nodejs npm)
fi

case "${1:-run}" in
  run) want=("${run_pkgs[@]}") ;;
  test) want=("${run_pkgs[@]}" "${test_pkgs[@]}") ;;
  bench) want=("${run_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  fuzz) want=("${run_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
  lint) want=("${lint_pkgs[@]}") ;;
  valgrind) want=("${run_pkgs[@]}" "${valgrind_pkgs[@]}") ;;
  *) echo "usage: $0 run|test|bench|fuzz|lint|valgrind" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "These Debian packages are missing. Install them, then run the command again:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
