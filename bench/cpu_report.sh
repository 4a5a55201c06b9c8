#!/usr/bin/env bash
# What else used the machine between two bench/ingest_cpu.sh snapshots:
#
#   bench/cpu_report.sh BEFORE AFTER [PID ...]
#
# prints one line: the load average at both ends and the processes other than
# the given PIDs (and the PostgreSQL processes and labelled processes of the
# snapshots) that used the
# most CPU in between, in % of one core; "none" when nobody used 1 % or more.
set -euo pipefail
tck=$(getconf CLK_TCK)
before=$1; after=$2; shift 2
awk -v tck="$tck" -v skip=" $* " '
  NR == FNR { b[$1] = $2; next }
  $1 == "clock" { secs = $2 - b["clock"] }
  $1 == "loadavg" { la = b["loadavg"] " -> " $2 }
  $1 ~ /^pg:/ { split($1, p, ":"); pg[p[2]] = 1 }
  $1 ~ /^pid:/ { pg[$2] = 1 }
  $1 ~ /^proc:/ { pid[$1] = substr($1, 6); name[$1] = $3;
                  used[$1] = ($1 in b) ? $2 - b[$1] : $2 }
  END {
    n = 0
    for (k in used) {
      if (index(skip, " " pid[k] " ") || (pid[k] in pg) || used[k] <= 0) continue
      pct = 100 * used[k] / tck / secs
      if (pct < 1) continue
      line[++n] = sprintf("%.0f %s[%s] %.0f%%", pct, name[k], pid[k], pct)
    }
    for (i = 2; i <= n; i++) { v = line[i]; j = i - 1
      while (j > 0 && line[j] + 0 < v + 0) { line[j + 1] = line[j]; j-- } line[j + 1] = v }
    out = ""
    for (i = 1; i <= n && i <= 6; i++) { s = line[i]; sub(/^[0-9]+ /, "", s)
      out = out (i > 1 ? ", " : "") s }
    printf "load average %s; other processes: %s\n", la, n ? out : "none above 1%"
  }' "$before" "$after"
