#!/usr/bin/env bash
# /healthz against nginx serving the same bytes as a static file (scale issue
# #14). Target: /healthz keeps >= 0.8 x nginx's req/s and its p99 comes within
# 2 x nginx's. Side by side in one run: BENCH_NGINX_ROUNDS (3) rounds of
# [wrk on nginx, wrk on /healthz], identical wrk parameters (2 threads,
# BENCH_NGINX_CONNECTIONS (64) connections, BENCH_NGINX_SECONDS (5) s,
# keep-alive), then the medians and their ratios. The figures are printed;
# the script never fails on them. wrk runs on the same cores as both servers.
# BENCH_NGINX_SERVER_ENV adds server settings (e.g. SAMENMETEN_LOG_LEVEL=info:
# the benchmarks log at warn, so neither side writes an access log).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
rounds=${BENCH_NGINX_ROUNDS:-3}
seconds=${BENCH_NGINX_SECONDS:-5}
connections=${BENCH_NGINX_CONNECTIONS:-64}
command -v nginx >/dev/null || PATH=$PATH:/usr/sbin
command -v nginx >/dev/null || { echo "nginx is missing: tools/deps.sh bench" >&2; exit 1; }
. bench/lib.sh

nginx_dir="$bench_dir/nginx"
nginx_pid_file="$nginx_dir/nginx.pid"
nginx_stop() {
  [ -s "$nginx_pid_file" ] || return 0
  local pid
  pid=$(cat "$nginx_pid_file")
  kill -QUIT "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$nginx_pid_file"
}
trap 'nginx_stop; bench_cleanup' EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "load average at the start: $(load) (other work on the machine spoils these figures)"

# shellcheck disable=SC2086 # VAR=value words
bench_start_server "$build" ${BENCH_NGINX_SERVER_ENV:-}
threads=$(grep -o '{"http_threads", KEY_INT, F(http_threads), "[0-9]*"' server/config.c |
  grep -o '"[0-9]*"$' | tr -d '"')
threads=${SAMENMETEN_HTTP_THREADS:-${threads:-4}}
cores=$(nproc)

# The same body byte for byte, with the same Content-Type and the headers our
# server adds to every public answer, so both answers are about one size.
mkdir -p "$nginx_dir/www" "$nginx_dir/tmp"
curl -fsS -D "$nginx_dir/headers" -o "$nginx_dir/www/healthz" "http://127.0.0.1:$bench_port/healthz"
ctype=$(awk -F': ' 'tolower($1) == "content-type" {sub(/\r$/, "", $2); print $2}' "$nginx_dir/headers")
origin=$(awk -F': ' 'tolower($1) == "access-control-allow-origin" {sub(/\r$/, "", $2); print $2}' \
  "$nginx_dir/headers")
chmod -R a+rX "$nginx_dir"
nginx_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user nobody nogroup;"
# worker_processes auto: one per core. Our server: an epoll pool of
# http_threads event threads (the handler of /healthz runs on them).
cat >"$nginx_dir/nginx.conf" <<EOF
$user_line
worker_processes auto;
daemon on;
pid $nginx_pid_file;
error_log $nginx_dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $nginx_dir/tmp/body;
  proxy_temp_path $nginx_dir/tmp/proxy;
  fastcgi_temp_path $nginx_dir/tmp/fastcgi;
  uwsgi_temp_path $nginx_dir/tmp/uwsgi;
  scgi_temp_path $nginx_dir/tmp/scgi;
  keepalive_requests 100000;
  keepalive_timeout 60s;
  server_tokens off;
  server {
    listen 127.0.0.1:$nginx_port;
    root $nginx_dir/www;
    location = /healthz {
      default_type "$ctype";
      types { }
      etag off;
      add_header X-Request-Id \$request_id always;
      add_header X-Content-Type-Options nosniff always;
      add_header Cache-Control no-store always;
      add_header Access-Control-Allow-Origin "$origin" always;
      add_header Access-Control-Expose-Headers "ETag, Link, X-Request-Id, Retry-After" always;
    }
  }
}
EOF
nginx -p "$nginx_dir" -c "$nginx_dir/nginx.conf" -e "$nginx_dir/error.log"
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$nginx_port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
if ! cmp -s "$nginx_dir/www/healthz" <(curl -fsS "http://127.0.0.1:$nginx_port/healthz"); then
  echo "nginx does not answer the same body" >&2; cat "$nginx_dir/error.log" >&2; exit 1
fi
size() { curl -fsS -o /dev/null -w '%{size_header}+%{size_download}' "$1"; }
echo "our server: http_threads=$threads (an epoll pool of $threads event threads) on $cores cores;" \
  "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'): worker_processes auto = $cores workers"
echo "answer (header+body bytes): server $(size "http://127.0.0.1:$bench_port/healthz")," \
  "nginx $(size "http://127.0.0.1:$nginx_port/healthz"); Content-Type $ctype"
echo "wrk -t2 -c$connections -d${seconds}s --latency (keep-alive), $rounds rounds"

# CPU seconds x 100 (clock ticks) used so far by the processes given: the
# cost of a request in CPU, which other work on the machine moves less than
# req/s.
ticks() {
  local sum=0 pid stat
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    # utime and stime: fields 14 and 15 of the line, 12 and 13 after "(comm) ".
    sum=$((sum + $(awk '{print $12 + $13}' <<<"$stat")))
  done
  echo "$sum"
}
nginx_pids() { local master; master=$(cat "$nginx_pid_file"); echo "$master" $(pgrep -P "$master"); }
hz=$(getconf CLK_TCK)
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.2f", v / 1000; else if (v ~ /ms$/) printf "%.2f", v + 0; else printf "%.2f", v * 1000 }'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
nginx_rps="" nginx_p99="" nginx_cpu="" server_rps="" server_p99="" server_cpu=""
printf '%-6s %-8s %12s %8s %8s %8s %10s %8s\n' round target req/s p50_ms p99_ms max_ms cpu_us/req errors
for round in $(seq "$rounds"); do
  for target in nginx server; do
    port=$bench_port
    [ "$target" = nginx ] && port=$nginx_port
    if [ "$target" = nginx ]; then pids=$(nginx_pids); else pids=$bench_server_pid; fi
    # shellcheck disable=SC2086 # a list of pids
    t0=$(ticks $pids)
    out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:$port/healthz")
    # shellcheck disable=SC2086
    t1=$(ticks $pids)
    count=$(awk '/requests in/ {print $1}' <<<"$out")
    cpu=$(awk -v t="$((t1 - t0))" -v hz="$hz" -v n="$count" 'BEGIN { printf "%.2f", (n != 0 ? t / hz * 1e6 / n : 0) }')
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
    p99=$(ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    max=$(ms "$(awk '$1 == "Latency" {print $4}' <<<"$out")")
    errors=$(awk '/Non-2xx|Socket errors/ {sub(/^ +/, ""); printf "%s; ", $0}' <<<"$out")
    printf '%-6s %-8s %12s %8s %8s %8s %10s %8s\n' "$round" "$target" "$rps" "$p50" "$p99" "$max" "$cpu" "${errors:-0}"
    if [ "$target" = nginx ]; then
      nginx_rps+=" $rps" nginx_p99+=" $p99" nginx_cpu+=" $cpu"
    else
      server_rps+=" $rps" server_p99+=" $p99" server_cpu+=" $cpu"
    fi
  done
done

n_rps=$(median <<<"$nginx_rps") n_p99=$(median <<<"$nginx_p99")
s_rps=$(median <<<"$server_rps") s_p99=$(median <<<"$server_p99")
verdict() { awk -v ok="$1" 'BEGIN { print (ok ? "met" : "MISSED") }'; }
rps_ratio=$(awk -v s="$s_rps" -v n="$n_rps" 'BEGIN { printf "%.2f", s / n }')
p99_ratio=$(awk -v s="$s_p99" -v n="$n_p99" 'BEGIN { printf "%.2f", (n != 0 ? s / n : 0) }')
echo "median: nginx $n_rps req/s, p99 $n_p99 ms, $(median <<<"$nginx_cpu") CPU us/request;" \
  "/healthz $s_rps req/s, p99 $s_p99 ms, $(median <<<"$server_cpu") CPU us/request"
echo "req/s server/nginx $rps_ratio (target >= 0.8): $(verdict "$(awk -v r="$rps_ratio" 'BEGIN { print (r >= 0.8) }')")"
echo "p99 server/nginx $p99_ratio x (target <= 2 x): $(verdict "$(awk -v r="$p99_ratio" 'BEGIN { print (r <= 2) }')")"
echo "load average at the end: $(load)"
