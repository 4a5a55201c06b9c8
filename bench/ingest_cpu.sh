#!/usr/bin/env bash
# CPU counters for the benchmarks, one "key value" per line:
#   clock SECONDS             the wall clock
#   machine TICKS             CPU ticks of the whole machine, idle and iowait left out
#   loadavg L1                the 1-minute load average
#   LABEL TICKS               user + system CPU ticks of each LABEL=PID given
#   pid:LABEL PID             and its process id
#   pg:PID TICKS              the postmaster and each of its children
#   proc:PID TICKS COMM       every process of the machine (bench/cpu_report.sh
#                             names the others that used the CPU)
#
#   bench/ingest_cpu.sh PGDATA [LABEL=PID ...]
set -euo pipefail
pgdata=$1; shift
ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
echo "clock $(date +%s.%N)"
awk '$1 == "cpu" { print "machine", $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
echo "loadavg $(cut -d' ' -f1 /proc/loadavg)"
for lp in "$@"; do echo "${lp%%=*} $(ticks "${lp#*=}")"; echo "pid:${lp%%=*} ${lp#*=}"; done
pm=$(head -1 "$pgdata/postmaster.pid")
for p in $pm $(ps -o pid= --ppid "$pm"); do
  t=$(ticks "$p") && [ -n "$t" ] && echo "pg:$p $t"
done
# Every process: "proc:PID", its ticks and its name (spaces made _)
# (user + system; children reaped in between are not added: a shell that
# reaps a long job would show all its CPU at once).
for f in /proc/[0-9]*/stat; do
  read -r line 2>/dev/null <"$f" || continue
  comm=${line#*(}; comm=${comm%)*}; rest=${line##*) }
  pid=${line%% *}
  set -- $rest
  echo "proc:$pid $(( ${12} + ${13} )) ${comm// /_}"
done
exit 0
