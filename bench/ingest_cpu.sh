#!/usr/bin/env bash
# CPU counters for bench/bench_ingest.sh, one "key value" per line:
#   clock SECONDS             the wall clock
#   machine TICKS             CPU ticks of the whole machine, idle and iowait left out
#   LABEL TICKS               user + system CPU ticks of each LABEL=PID given
#   pg:PID TICKS              the postmaster and each of its children
#
#   bench/ingest_cpu.sh PGDATA [LABEL=PID ...]
set -euo pipefail
pgdata=$1; shift
ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
echo "clock $(date +%s.%N)"
awk '$1 == "cpu" { print "machine", $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
for lp in "$@"; do echo "${lp%%=*} $(ticks "${lp#*=}")"; done
pm=$(head -1 "$pgdata/postmaster.pid")
for p in $pm $(ps -o pid= --ppid "$pm"); do
  t=$(ticks "$p") && [ -n "$t" ] && echo "pg:$p $t"
done
exit 0
