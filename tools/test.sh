#!/usr/bin/env bash
# `make test`: every unit test binary (cmocka, TAP output), then the
# end-to-end suites (pytest against the real binary and a throwaway PostGIS).
# Ends with one summary line; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
python=/usr/bin/python3 # Debian's python3-* packages belong to this one

passed=0 failed=0
for t in "$build"/tests/test_*; do
  [ -x "$t" ] || continue
  out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1)
  rc=$?
  ok=$(grep -c '^ok ' <<<"$out")
  notok=$(grep -c '^not ok ' <<<"$out")
  if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then notok=1; fi # crashed
  passed=$((passed + ok)) failed=$((failed + notok))
  printf '%-28s %3d passed %3d failed\n' "$(basename "$t")" "$ok" "$notok"
  [ "$notok" -eq 0 ] || echo "$out" | grep -v '^ok '
done

junit=$(mktemp /tmp/smu-junit.XXXXXX.xml)
SAMENMETEN_BIN="$PWD/$build/samenmeten" "$python" -m pytest tests/e2e -q -p no:cacheprovider \
  --junitxml="$junit" ${PYTEST_ARGS:-}
read -r e2e_passed e2e_failed < <("$python" - "$junit" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
tests = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(tests - bad - skipped, bad)
PY
) || { e2e_passed=0; e2e_failed=1; }
rm -f "$junit"
passed=$((passed + e2e_passed)) failed=$((failed + e2e_failed))

echo "SUMMARY: $passed passed, $failed failed (unit + end-to-end)"
[ "$failed" -eq 0 ]
